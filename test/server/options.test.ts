// Option rules over a real socket: a combination that does not apply is a 400 option_conflict
// naming it, on /v1/captions and /v1/overlays alike (src/server/options.ts, src/service/options.ts).
import t from 'tap';
import { errorBody as error, httpRequest, imageForm, jpeg, listenLocal, skipWithoutModel } from '../helpers/server.ts';

t.test('option conflicts over HTTP', { skip: skipWithoutModel }, async (t) => {
  const { app, base } = await listenLocal();
  t.teardown(() => app.close());
  const photo = await jpeg(200, 150);
  const caption = async (fields: Record<string, string>, query = '', images = [photo]) => httpRequest(base, `/v1/captions${query}`, await imageForm(images, fields));

  t.test('option conflicts are 400 option_conflict naming the options', async (t) => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ sampleLocations: 'true' }, '', /sampleLocations.*attention=hard/],
      [{ temperature: '0.5' }, '', /temperature.*sample=true/],
      [{ seed: '3' }, '', /seed/],
      [{ sample: 'true', beamSize: '5' }, '', /beamSize=5/],
      [{ beamSize: '1', lengthPenalty: '1' }, '', /lengthPenalty/],
      [{ beamSize: '2', nBest: '3' }, '', /nBest=3 exceeds beamSize=2/],
      [{ maxLength: '5' }, '?maxLength=6', /maxLength/],
    ];
    for (const [fields, query, message] of cases) {
      const res = await caption(fields, query);
      t.equal(res.status, 400, `${JSON.stringify(fields)}${query}: ${res.body.slice(0, 200)}`);
      t.equal(error(res).error, 'option_conflict');
      t.match(error(res).message, message);
    }
    // The same value in both places, spelt two ways, is no conflict: the values are compared.
    const same = await caption({ beamSize: '1', maxLength: '3', tags: 'true' }, '?maxLength=3.0&tags=yes');
    t.equal(same.status, 200, same.body.slice(0, 200));
    // The overlay route applies the same rules.
    const ov = await httpRequest(base, '/v1/overlays', await imageForm([photo], { temperature: '2' }));
    t.equal(ov.status, 400);
    t.equal(error(ov).error, 'option_conflict');
  });
});
