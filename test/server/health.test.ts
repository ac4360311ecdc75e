// The routes of src/server/routes/health.ts over a real socket (their basic answers are also
// checked in captions.test.ts): /v1/models shows where decoders are without exposing server paths.
import t from 'tap';
import { httpRequest, listenLocal, skipWithoutModel } from '../helpers/server.ts';

t.test('/v1/models exposes no absolute server path', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listenLocal();
  t.teardown(() => app.close());
  const res = await httpRequest(base, '/v1/models', null);
  t.equal(res.status, 200);
  t.notMatch(res.body, /"\/(work|tmp|home|root|usr)\//);
  const info = JSON.parse(res.body) as { decoders: { path: string | null; attention: string }[] };
  for (const d of info.decoders) t.ok(d.path === null || d.path === d.attention, `path ${d.path}`);
});
