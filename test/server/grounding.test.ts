// Per-word grounding through the real HTTP server (inference in a worker thread): the detector's
// boxes on a real COCO photo, each object word's grounding, the option to turn it off, the
// boxes in the overlay, the spec; and a models dir without the detector still serves, ungrounded.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { categoryOf } from '../../src/grounding/categories.ts';
import { BOX_COLOR } from '../../src/render/box.ts';
import { CaptionsResponseSchema } from '../../src/server/schemas.ts';
import { ModelsInfoSchema, type CaptionResult } from '../../src/service/schemas.ts';
import { httpRequest, imageForm, jpeg, listeningWorkerApp, parseSse, SHARED_DIR, skipWithoutDetector, skipWithoutModel, type ListeningApp } from '../helpers/server.ts';

const COCO = join(SHARED_DIR, 'data', 'coco-mini-train');
/** A batter at the plate: COCO boxes a person over 44% of the photo. */
const PHOTO = join(COCO, 'train2017', '000000544238.jpg');

const caption = async (srv: ListeningApp, image: Buffer, fields: Record<string, string> = {}) => {
  const res = await httpRequest(srv.base, '/v1/captions', await imageForm([image], fields));
  return { status: res.status, body: JSON.parse(res.body) };
};

t.test('without the detector: the service starts, says so, and captions without boxes', { skip: skipWithoutModel }, async (t) => {
  const logs: string[] = [];
  const srv = await listeningWorkerApp({}, { log: (m: string) => logs.push(m) });
  t.teardown(srv.close);
  const info = ModelsInfoSchema.parse(JSON.parse((await httpRequest(srv.base, '/v1/models', null)).body));
  t.equal(info.detector, null, '/v1/models: detector null');
  t.ok(logs.some((m) => /no object detector .*words get no boxes/.test(m)), 'the log says it');
  const photo = await jpeg(200, 150);
  const plain = await caption(srv, photo, { maxLength: '5' });
  t.equal(plain.status, 200);
  const [r] = CaptionsResponseSchema.parse(plain.body).results;
  t.equal(r.detections, undefined, 'no detections');
  t.ok(r.tokens.every((x) => x.grounding === undefined), 'no grounding');
  t.equal(r.timings.detectMs, undefined);
  for (const grounding of ['true', 'false']) {
    const res = await caption(srv, photo, { maxLength: '5', grounding });
    t.equal(res.status, 200, `grounding=${grounding} is fine (the search's rules still read the ImageNet classes)`);
    t.equal(res.body.results[0].detections, undefined, 'and lists no detections');
  }
});

t.test('FINE_FOCUS=false: the server\'s default is the 14x14 focus map; a request can still ask for the fine one', { skip: skipWithoutDetector || (existsSync(PHOTO) ? false : `${PHOTO} not found (coco-mini-train in SHARED_DIR)`) }, async (t) => {
  const srv = await listeningWorkerApp({ FINE_FOCUS: 'false' }, {}, false, { detector: true });
  t.teardown(srv.close);
  const photo = readFileSync(PHOTO);
  const [coarse] = CaptionsResponseSchema.parse((await caption(srv, photo)).body).results;
  const [fine] = CaptionsResponseSchema.parse((await caption(srv, photo, { fineFocus: 'true' })).body).results;
  t.ok(coarse.tokens.some((x) => x.focus), `"${coarse.caption}" has focus maps`);
  t.same(coarse.focusGrid, coarse.grid, 'no fineFocus given: on α\'s grid');
  t.same(fine.focusGrid, { h: 2 * coarse.grid.h, w: 2 * coarse.grid.w }, 'fineFocus=true: twice as fine');
  t.equal(fine.caption, coarse.caption, 'the same caption');
});

t.test('grounded captions of a real photo', { skip: skipWithoutDetector || (existsSync(PHOTO) ? false : `${PHOTO} not found (coco-mini-train in SHARED_DIR)`) }, async (t) => {
  const srv = await listeningWorkerApp({}, {}, false, { detector: true });
  t.teardown(srv.close);
  const info = ModelsInfoSchema.parse(JSON.parse((await httpRequest(srv.base, '/v1/models', null)).body));
  t.ok(info.detector, '/v1/models lists the detector');
  t.match(info.detector?.sha256, /^[0-9a-f]{64}$/);
  t.ok((info.detector?.inputSize ?? 0) > 0);
  const photo = readFileSync(PHOTO);
  const { width, height } = await sharp(photo).metadata();

  const res = await caption(srv, photo);
  t.equal(res.status, 200);
  const [r] = CaptionsResponseSchema.parse(res.body).results;
  t.comment(`caption: "${r.caption}"; detections: ${r.detections?.map((d) => `${d.category} ${d.score}`).join(', ')}`);
  t.ok(r.detections && r.detections.length > 0, 'detections listed');
  const dets = r.detections ?? [];
  t.ok(dets.every((d, i) => d.score >= info.detector!.displayThreshold && (i === 0 || d.score <= dets[i - 1].score)), 'above the display threshold, best first');
  t.ok(dets.every((d) => d.box.x >= 0 && d.box.y >= 0 && d.box.x + d.box.w <= width! + 0.1 && d.box.y + d.box.h <= height! + 0.1 && d.box.w > 0 && d.box.h > 0), 'boxes inside the original image, in its pixels');
  // COCO's own box of the batter (x, y, w, h in the same pixels): the detector must find it.
  const truth = cocoBoxes('000000544238.jpg', 'person').sort((a, b) => b[2] * b[3] - a[2] * a[3])[0];
  const person = dets.filter((d) => d.category === 'person').map((d) => iou([d.box.x, d.box.y, d.box.w, d.box.h], truth));
  t.ok(Math.max(0, ...person) > 0.5, `a person detection matches COCO's box (best IoU ${Math.max(0, ...person).toFixed(2)})`);
  t.ok((r.timings.detectMs ?? -1) >= 0, 'detectMs reported');
  checkGrounding(t, r);
  const named = r.tokens.filter((x) => x.grounding && 'box' in x.grounding);
  if (r.model.trained) t.ok(named.length > 0, `the trained decoder names a detected object: "${r.caption}"`);

  t.test('includeMaps=false still grounds (the maps are computed, not returned)', async (t) => {
    const [noMaps] = CaptionsResponseSchema.parse((await caption(srv, photo, { includeMaps: 'false' })).body).results;
    t.ok(noMaps.tokens.every((x) => x.attention === undefined));
    t.same(noMaps.tokens.map((x) => x.grounding), r.tokens.map((x) => x.grounding), 'same grounding as with maps');
    t.same(noMaps.detections, r.detections);
  });

  t.test('streamed words carry the same grounding as the answer\'s tokens', async (t) => {
    const form = await imageForm([photo]);
    const res = await httpRequest(srv.base, '/v1/captions', { payload: form.payload, headers: { ...form.headers, accept: 'text/event-stream' } });
    const events = parseSse(res.body);
    const words = events.filter((e) => e.event === 'word').map((e) => e.data as { word: string; grounding?: unknown });
    const result = events.find((e) => e.event === 'result')?.data as CaptionResult;
    t.same(words.map((w) => w.grounding), result.tokens.map((x) => x.grounding));
    t.same(result.tokens.map((x) => x.grounding), r.tokens.map((x) => x.grounding), 'and as the plain answer');
  });

  /** Every object word has a focus map on `grid` (a distribution, not α), the other words none. */
  const checkFocus = (t: Test, r: CaptionResult, grid: { h: number; w: number }) => {
    t.same(r.focusGrid, grid, `focusGrid ${grid.h}x${grid.w}`);
    for (const x of r.tokens) {
      if (!categoryOf(x.word)) {
        t.equal(x.focus, undefined, `"${x.word}": no focus map`);
        continue;
      }
      const focus = x.focus ?? [];
      t.equal(focus.length, grid.h, `"${x.word}": ${grid.h} rows`);
      t.ok(focus.every((row) => row.length === grid.w), `"${x.word}": ${grid.w} columns`);
      const sum = focus.flat().reduce((a, b) => a + b, 0);
      t.ok(Math.abs(sum - 1) < 0.01, `"${x.word}": sums to 1 (${sum.toFixed(4)})`);
      t.notSame(focus, x.attention, `"${x.word}": not α`);
    }
  };

  t.test('object words carry a focus map (a distribution, not α) on the fine grid; fineFocus=false or a small photo: on α\'s grid; the overlay draws it unless map=attention', async (t) => {
    const objects = r.tokens.filter((x) => categoryOf(x.word));
    t.ok(objects.length > 0, `the caption names an object: "${r.caption}"`);
    // The photo is 640 px wide, more than the encoder's 448: fine focus maps, twice as fine.
    checkFocus(t, r, { h: 2 * r.grid.h, w: 2 * r.grid.w });
    const [coarse] = CaptionsResponseSchema.parse((await caption(srv, photo, { fineFocus: 'false' })).body).results;
    t.equal(coarse.caption, r.caption, 'fineFocus=false: the same caption');
    checkFocus(t, coarse, r.grid);
    const smallPhoto = await sharp(photo).resize(320).jpeg().toBuffer();
    const [small] = CaptionsResponseSchema.parse((await caption(srv, smallPhoto)).body).results;
    if (small.tokens.some((x) => categoryOf(x.word))) checkFocus(t, small, r.grid); // 320 px: no detail to gain, no second pass
    else t.comment(`320 px: "${small.caption}" names no object`);
    // Both in one request (one batch): each image gets its own grid.
    const both = CaptionsResponseSchema.parse(JSON.parse((await httpRequest(srv.base, '/v1/captions', await imageForm([photo, smallPhoto]))).body)).results;
    t.same(both.map((x) => x.caption), [r.caption, small.caption], 'one request, the same captions');
    t.same(both.map((x) => x.focusGrid), [r.focusGrid, small.focusGrid], 'and the same focus grids, image by image');
    const [noMaps] = CaptionsResponseSchema.parse((await caption(srv, photo, { includeMaps: 'false' })).body).results;
    t.ok(noMaps.tokens.every((x) => x.focus === undefined), 'includeMaps=false: no focus maps');
    t.equal(noMaps.focusGrid, undefined, 'and no focusGrid');
    const word = String(r.tokens.indexOf(objects[0]));
    const overlay = async (fields: Record<string, string>) => {
      const form = await imageForm([photo], { word, ...fields });
      const res = await fetch(`${srv.base}/v1/overlays`, { method: 'POST', body: new Uint8Array(form.payload), headers: form.headers });
      t.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    };
    const [focus, attention, again] = [await overlay({}), await overlay({ map: 'attention' }), await overlay({ map: 'focus' })];
    t.ok(focus.equals(again), 'map=focus is the default');
    t.notOk(focus.equals(attention), 'map=attention draws another map');
    const bad = await httpRequest(srv.base, '/v1/overlays', await imageForm([photo], { map: 'saliency' }));
    t.equal(bad.status, 400, `map=saliency: 400 (${bad.body.slice(0, 120)})`);
  });

  t.test('grounding=false: no detections, no grounding', async (t) => {
    const [off] = CaptionsResponseSchema.parse((await caption(srv, photo, { grounding: 'false' })).body).results;
    t.equal(off.detections, undefined);
    t.ok(off.tokens.every((x) => x.grounding === undefined));
    t.equal(off.timings.detectMs, undefined);
  });

  t.test('the spec documents the grounded answer (Ajv against /openapi.json)', async (t) => {
    const doc = JSON.parse((await httpRequest(srv.base, '/openapi.json', null)).body);
    const schema = doc.paths['/v1/captions'].post.responses['200'].content['application/json'].schema;
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema);
    t.ok(validate(res.body), new Ajv2020().errorsText(validate.errors));
    const bad = structuredClone(res.body);
    bad.results[0].detections = [{ category: 'unicorn', score: 0.9, box: { x: 0, y: 0, w: 1, h: 1 } }];
    t.notOk(validate(bad), 'a category outside COCO is not documented');
  });

  t.test('the overlay of a grounded word outlines its box; without grounding no box', { skip: named.length ? false : 'the caption grounds no word' }, async (t) => {
    const word = String(r.tokens.indexOf(named[0]));
    const boxPixels = async (fields: Record<string, string>) => {
      const form = await imageForm([photo], { word, ...fields });
      const res = await fetch(`${srv.base}/v1/overlays`, { method: 'POST', body: new Uint8Array(form.payload), headers: form.headers });
      t.equal(res.status, 200);
      const { data } = await sharp(Buffer.from(await res.arrayBuffer())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let n = 0;
      for (let i = 0; i + 2 < data.length; i += 3) if (data[i] === BOX_COLOR[0] && data[i + 1] === BOX_COLOR[1] && data[i + 2] === BOX_COLOR[2]) n++;
      return n;
    };
    t.ok(await boxPixels({}) > 100, 'box drawn');
    t.equal(await boxPixels({ grounding: 'false' }), 0, 'no box');
  });
});

/** Every object word carries a grounding consistent with the detections; no other word does. */
function checkGrounding(t: Test, r: CaptionResult): void {
  for (const tok of r.tokens) {
    const category = categoryOf(tok.word);
    if (!category) {
      t.equal(tok.grounding, undefined, `"${tok.word}" names no category: no grounding`);
      continue;
    }
    const g = tok.grounding;
    t.equal(g?.category, category, `"${tok.word}" → ${category}`);
    if (g && 'box' in g) {
      const d = r.detections![g.detection];
      t.same([d.category, d.box, d.score], [category, g.box, g.score], `"${tok.word}" grounded in detection ${g.detection}`);
      t.ok(g.attentionMass >= 0 && g.attentionMass <= 1);
    } else {
      t.notOk(r.detections!.some((d) => d.category === category), `"${tok.word}" not grounded: no ${category} detected`);
    }
  }
}

function cocoBoxes(file: string, category: string): number[][] {
  const d = JSON.parse(readFileSync(join(COCO, 'instances_train2017.json'), 'utf8'));
  const id = d.images.find((i: { file_name: string }) => i.file_name === file).id;
  const cat = d.categories.find((c: { name: string }) => c.name === category).id;
  return d.annotations.filter((a: { image_id: number; category_id: number }) => a.image_id === id && a.category_id === cat).map((a: { bbox: number[] }) => a.bbox);
}

function iou(a: number[], b: number[]): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  return (ix * iy) / (a[2] * a[3] + b[2] * b[3] - ix * iy);
}
