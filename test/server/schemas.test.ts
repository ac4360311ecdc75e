// The routes' zod schemas at work (fastify-type-provider-zod): responses serialised with them keep
// every field of real results; the OpenAPI document's query parameters are the options schemas';
// fastify validates the query before the upload is read.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { createApp } from '../../src/server/app.ts';
import { CaptionRequestSchema, OverlayRequestSchema } from '../../src/server/schemas.ts';
import { Captioner } from '../../src/pipeline/captioner.ts';
import type { CaptionedImage } from '../../src/service/engine.ts';
import { LocalEngine } from '../../src/engine/local.ts';
import { imageForm, jpeg, makeModelsDir, SHARED_DIR, skipWithoutDetector, testConfig } from '../helpers/server.ts';

/** A real engine that keeps what it answered, to compare with what went over HTTP. */
class RecordingEngine extends LocalEngine {
  answered: CaptionedImage[] = [];
  override async caption(...args: Parameters<LocalEngine['caption']>): Promise<CaptionedImage[]> {
    this.answered = await super.caption(...args);
    return this.answered;
  }
}

t.test('the JSON response is the engine\'s results, field for field (maps, tags, alternatives, detections, grounding, region)', { skip: skipWithoutDetector }, async (t) => {
  const models = makeModelsDir({ detector: true });
  const captioner = await Captioner.load({ modelsDir: models.dir, allowDownload: false });
  const engine = new RecordingEngine(captioner, { maxBatch: 1, maxQueue: 4 });
  const { app } = createApp({ captioner: engine, config: testConfig() });
  // The models dir stays until the end: the hard decoder is read from it on its first request.
  t.teardown(async () => { await app.close(); await captioner.dispose(); models.cleanup(); });

  const coco = join(SHARED_DIR, 'data', 'coco-mini-train', 'train2017', '000000544238.jpg'); // a batter: detections and grounded words
  const photo = existsSync(coco) ? readFileSync(coco) : await jpeg(320, 240);
  const cases: Record<string, string>[] = [
    { beamSize: '3', nBest: '3', tags: 'true' },
    { beamSize: '1', maxLength: '2' }, // truncated
    { sample: 'true', seed: '5', nBest: '2', includeMaps: 'false' },
    ...(engine.has('hard') ? [{ attention: 'hard', sampleLocations: 'true', seed: '1', beamSize: '1' }] : []),
  ];
  let grounded = 0;
  for (const fields of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/captions', ...(await imageForm([photo], fields)) });
    t.equal(res.statusCode, 200, `${JSON.stringify(fields)}: ${res.body.slice(0, 200)}`);
    const sent = { results: engine.answered.map((c) => c.result) };
    t.same(res.json(), JSON.parse(JSON.stringify(sent)), `${JSON.stringify(fields)}: nothing dropped or changed`);
    grounded += sent.results[0].tokens.filter((x) => x.grounding).length;
  }
  t.ok(engine.answered[0].result.detections !== undefined, 'detections were in play');
  if (existsSync(coco)) t.ok(grounded > 0, `${grounded} grounded words compared`);

  t.test('the query is validated by fastify before the upload is read', async (t) => {
    // Not an upload at all: the bad option is what is reported.
    const res = await app.inject({ method: 'POST', url: '/v1/captions?beamSize=0', payload: 'x', headers: { 'content-type': 'text/plain' } });
    t.equal(res.statusCode, 400);
    t.match(res.json(), { error: 'invalid_option', message: /^beamSize: / });
  });

  t.test('a JSON body is validated by fastify too (any +json type); JSON null is no upload', async (t) => {
    const send = (payload: string, type = 'application/json') => app.inject({ method: 'POST', url: '/v1/captions', payload, headers: { 'content-type': type } });
    t.match((await send('null')).json(), { error: 'bad_json', message: /expected object, received null/ });
    t.match((await send('{"images":[{"path":"/etc/passwd"}]}', 'application/vnd.api+json')).json(), { error: 'bad_json', message: /^images\.0: each entry/ });
    const ok = await send(JSON.stringify({ images: [{ base64: (await jpeg(64, 48)).toString('base64') }], beamSize: 1, maxLength: 2 }), 'application/vnd.api+json');
    t.equal(ok.statusCode, 200, ok.body.slice(0, 200));
  });
});

t.test('the OpenAPI query parameters are the options schemas\' own JSON Schemas (bounds, defaults, descriptions)', async (t) => {
  const { app } = createApp({ captioner: new Promise(() => {}), config: testConfig() }); // the document needs no model
  t.teardown(() => app.close());
  const doc = (await app.inject('/openapi.json')).json();
  type Param = { name: string; in: string; required: boolean; description?: string; schema: Record<string, unknown> };
  for (const [path, options] of [['/v1/captions', CaptionRequestSchema], ['/v1/overlays', OverlayRequestSchema], ['/v1/jobs', CaptionRequestSchema]] as const) {
    const params = doc.paths[path].post.parameters as Param[];
    t.same(params.map((p) => p.name), Object.keys(options.shape), `${path}: every option, in order`);
    const own = z.toJSONSchema(options, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }).properties ?? {};
    for (const p of params) {
      t.match(p, { in: 'query', required: false }, `${path} ?${p.name}: optional, in the query`);
      t.same({ ...p.schema, description: p.description }, own[p.name], `${path} ?${p.name}: the option's schema`);
    }
  }
  const id = doc.paths['/v1/jobs/{id}'].get.parameters;
  t.match(id, [{ name: 'id', in: 'path', required: true }], 'the job id is a path parameter');
});
