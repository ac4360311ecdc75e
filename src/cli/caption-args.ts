// The parse side of `show-attend-tell caption`: command-line flags → paths, the command's own
// options and the caption options (validated by the same schema and conflict rules as the API).
import { z } from 'zod';
import { CaptionOptionsSchema, type DecodingPlan } from '../service/schemas.ts';
import { OptionConflictError, resolveOptions } from '../service/options.ts';
import { flagName, optionHelp } from './help.ts';

const bool = z.union([z.boolean(), z.literal(0), z.literal(1), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 1 || v === 'true' || v === '1' || v === 'yes');

/** A path option: `--out 2024` arrives as the number 2024. */
const pathOpt = z.union([z.string().min(1), z.number()], { error: 'needs a path after it' }).transform(String);

export const CaptionCliOptionsSchema = z.object({
  out: pathOpt.optional().describe('write DIR/captions.jsonl (and DIR/overlays/); without it JSONL goes to stdout and progress to stderr'),
  overlays: bool.default(false).describe('also write a PNG attention sheet per image to DIR/overlays/<path>.png (needs --out)'),
  panelSize: z.coerce.number().int().min(16).max(1024).default(224).describe('side of each sheet panel in px'),
  recursive: bool.default(true).describe('walk folders recursively (--no-recursive: only the files directly inside each folder)'),
  batch: z.coerce.number().int().min(1).max(256).default(8).describe('images per encoder/decoder batch'),
  modelsDir: pathOpt.optional().describe('encoder .onnx plus soft/ and hard/ decoders (env MODELS_DIR, else models)'),
  download: bool.default(false).describe('fetch the encoder from its official URL when missing'),
  maps: bool.default(false).describe('include per-word attention maps (tokens[].attention) in the JSONL'),
  redis: z.string().url({ error: 'needs a redis:// URL' }).optional().describe('do not caption here: enqueue one job per image on Redis for `show-attend-tell worker` processes and write the lines as results come back; with --out, a rerun skips the images already in captions.jsonl'),
  window: z.coerce.number().int().min(1).max(10_000).default(64).describe('jobs in flight at once with --redis'),
  help: bool.default(false).describe('this text'),
});
export type CaptionCliOptions = z.infer<typeof CaptionCliOptionsSchema>;

/** The command's --help; both option lists come from their schemas. */
export function captionUsage(): string {
  return `show-attend-tell caption PATH... [options]

PATH is an image file or a folder (walked recursively for .jpg .jpeg .png .webp .gif .tif
.tiff .avif .heic .heif; hidden entries skipped; sorted order). Writes one JSON line per image:
  {"path","caption","logprob","alternatives","tokens","image","timings"}  or  {"path","error"}

options:
${optionHelp(CaptionCliOptionsSchema, { values: { out: 'DIR', modelsDir: 'DIR', redis: 'URL' } })}
caption options (as the API's; --beam is --beam-size):
${optionHelp(CaptionOptionsSchema, { skip: ['includeMaps'] })}
  Options that do not apply together (e.g. --temperature without --sample) are refused.

exit status: 0 all images captioned, 1 some failed (listed at the end), 2 usage error.
`;
}

/** Flags that take no value: `--overlays photos/` must not swallow the path. */
const BOOLEAN_KEYS = new Set(['overlays', 'recursive', 'download', 'maps', 'includeMaps', 'help', 'sample', 'sampleLocations', 'tags']);
const BOOLEAN_WORDS = new Set(['true', 'false', 'yes', 'no', '1', '0']);
const ALIASES: Record<string, string> = { beam: 'beamSize', includeMaps: 'maps' };

export type ParsedCaptionArgs =
  | { kind: 'help' }
  | { kind: 'usage'; message: string; full?: boolean }
  | { kind: 'run'; paths: string[]; cli: CaptionCliOptions; captionOpts: DecodingPlan };

export function parseCaptionArgs(positional: string[], rawOptions: Record<string, string | number | boolean>): ParsedCaptionArgs {
  const paths = [...positional];
  const raw: Record<string, string | number | boolean> = {};
  for (const [k0, v0] of Object.entries(rawOptions)) {
    const k = ALIASES[k0] ?? k0;
    let v = v0;
    if (BOOLEAN_KEYS.has(k0) && typeof v !== 'boolean' && !BOOLEAN_WORDS.has(String(v).toLowerCase())) {
      paths.push(String(v)); // `--overlays photos/`: the value was really a PATH
      v = true;
    }
    raw[k] = v;
  }
  if (raw.help === true) return { kind: 'help' };
  const cliKeys = new Set(Object.keys(CaptionCliOptionsSchema.shape));
  const captionKeys = new Set(Object.keys(CaptionOptionsSchema.shape).filter((k) => k !== 'includeMaps'));
  const unknown = Object.keys(raw).filter((k) => !cliKeys.has(k) && !captionKeys.has(k));
  if (unknown.length) return { kind: 'usage', message: `unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.map(flagName).join(', ')}` };
  const cliParsed = CaptionCliOptionsSchema.safeParse(pick(raw, cliKeys));
  const capParsed = CaptionOptionsSchema.safeParse(pick(raw, captionKeys));
  for (const p of [cliParsed, capParsed]) {
    if (!p.success) return { kind: 'usage', message: `bad options:\n${p.error.issues.map((i) => `  ${i.path.map((k) => flagName(String(k))).join('.')}: ${i.message}`).join('\n')}` };
  }
  const cli = cliParsed.data!;
  // The captioner needs the maps for overlays even when the JSONL leaves them out.
  let captionOpts: DecodingPlan;
  try {
    captionOpts = resolveOptions({ ...capParsed.data!, includeMaps: cli.maps || cli.overlays }, new Set(Object.keys(pick(raw, captionKeys)))); // same rules as the API
  } catch (err) {
    if (err instanceof OptionConflictError) return { kind: 'usage', message: `conflicting options: ${err.message}` };
    throw err;
  }
  if (!paths.length) return { kind: 'usage', message: 'no PATH given (image files or folders)', full: true };
  if (cli.overlays && !cli.out) return { kind: 'usage', message: '--overlays needs --out DIR (the sheets go to DIR/overlays/)' };
  if (cli.overlays && cli.redis) return { kind: 'usage', message: '--overlays is not available with --redis (use /v1/overlays)' };
  return { kind: 'run', paths, cli, captionOpts };
}

function pick(o: Record<string, unknown>, keys: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.has(k)));
}
