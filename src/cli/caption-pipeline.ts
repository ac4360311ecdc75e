// The pipeline of `show-attend-tell caption`: files → batches → one captioner call per batch →
// JSONL records (+ overlay sheets), in file order. Each file is read and decoded on its own, so a
// bad file costs only its own line; the next batch is prepared while this one is captioned.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Captioner } from '../pipeline/captioner.ts';
import type { CaptionedImage } from '../service/engine.ts';
import type { DecodingPlan } from '../service/schemas.ts';
import { wantsFineFocus } from '../service/options.ts';
import type { PreparedImage } from '../encoder/preprocess.ts';
import { renderSheet } from '../render/index.ts';
import { overlayWords } from '../pipeline/overlay.ts';
import { errorLine, resultLine, type CaptionLine, type ResultLine } from './caption-output.ts';
import type { FoundImage } from './walk.ts';

export interface PipelineOptions {
  batch: number;
  maps: boolean; // attention maps in the JSONL
  overlays: { outDir: string; panelSize: number } | null; // a PNG sheet per image under outDir/overlays/
  captionOpts: DecodingPlan;
  say: (msg: string) => void;
}

type Prepared = { file: FoundImage; prepared: PreparedImage; prepareMs: number } | { file: FoundImage; error: Error };

/** Yields each batch's records, in the order of `files`. */
export async function* captionFiles(captioner: Captioner, files: FoundImage[], o: PipelineOptions): AsyncGenerator<CaptionLine[]> {
  const prepareBatch = (batch: FoundImage[]) =>
    Promise.all(batch.map(async (file): Promise<Prepared> => {
      const t0 = performance.now();
      try {
        const prepared = await captioner.prepare(await readFile(file.absolute), { pixels: o.overlays !== null, fine: wantsFineFocus(o.captionOpts) });
        return { file, prepared, prepareMs: performance.now() - t0 };
      } catch (err) {
        return { file, error: err as Error };
      }
    }));
  const batches: FoundImage[][] = [];
  for (let i = 0; i < files.length; i += o.batch) batches.push(files.slice(i, i + o.batch));
  let next = batches.length ? prepareBatch(batches[0]) : null;
  for (let b = 0; b < batches.length; b++) {
    const items = await next!;
    next = b + 1 < batches.length ? prepareBatch(batches[b + 1]) : null;
    const results = new Map<FoundImage, CaptionLine>();
    const good: Extract<Prepared, { prepared: PreparedImage }>[] = [];
    for (const x of items) {
      if ('error' in x) results.set(x.file, errorLine(x.file, x.error));
      else good.push(x);
    }
    for (const [file, line] of await captionBatch(captioner, good, o)) results.set(file, line);
    yield items.map((x) => results.get(x.file)!);
  }
}

/** One captioner call for the batch; if it fails as a whole, image by image (so one bad image fails alone). */
async function captionBatch(captioner: Captioner, good: Extract<Prepared, { prepared: PreparedImage }>[], o: PipelineOptions): Promise<Map<FoundImage, CaptionLine>> {
  const lines = new Map<FoundImage, CaptionLine>();
  let captioned: Awaited<ReturnType<Captioner['caption']>> | null = null;
  if (good.length) {
    try {
      captioned = await captioner.caption(good.map((x) => x.prepared), o.captionOpts);
    } catch {
      captioned = null;
    }
  }
  for (let i = 0; i < good.length; i++) {
    const x = good[i];
    let one = captioned?.[i];
    let batchSize = good.length;
    if (!one) {
      try {
        [one] = await captioner.caption([x.prepared], o.captionOpts);
        batchSize = 1;
      } catch (err) {
        lines.set(x.file, errorLine(x.file, err as Error));
        continue;
      }
    }
    const line = resultLine(x.file.path, one.result, o.maps, {
      prepareMs: round(x.prepareMs),
      encodeMs: round(one.result.timings.encodeMs / batchSize),
      decodeMs: round(one.result.timings.decodeMs / batchSize),
      batch: batchSize,
    });
    if (o.overlays) await writeOverlay(line, x.file, one, o);
    lines.set(x.file, line);
  }
  return lines;
}

/** The attention sheet beside the JSONL; a failed sheet is reported but keeps the caption. */
async function writeOverlay(line: ResultLine, file: FoundImage, one: CaptionedImage, o: PipelineOptions): Promise<void> {
  const t0 = performance.now();
  const rel = `overlays/${file.relative}.png`;
  try {
    const png = await renderSheet(
      one.prepared.pixels!, // prepared with pixels when overlays are on
      overlayWords(one.result),
      { mode: o.captionOpts.attention, format: 'png', panelSize: o.overlays!.panelSize, title: file.relative },
    );
    const target = join(o.overlays!.outDir, rel);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, png);
    line.overlay = rel;
    line.timings.overlayMs = round(performance.now() - t0);
  } catch (err) {
    o.say(`caption: overlay for ${file.path} failed: ${(err as Error).message}`);
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
