// /v1/jobs end to end: a real redis-server, the real HTTP server, a real worker process.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import t from 'tap';
import { JobAcceptedSchema, JobStatusSchema, type JobStatus } from '../../src/jobs/schemas.ts';
import { imageKey } from '../../src/jobs/store.ts';
import { CaptionsResponseSchema } from '../../src/server/schemas.ts';
import { imageForm, jpeg, png, skipWithoutModel, testApp } from '../helpers/server.ts';
import { jobsFixture, skipWithoutRedis } from '../helpers/redis.ts';
import { completedJobs, spawnWorker } from '../helpers/job-workers.ts';

t.test('batch jobs on Redis', { skip: skipWithoutModel || skipWithoutRedis() }, async (t) => {
  const { redisServer, redis, models } = await jobsFixture(t);

  const listen = async (env: Record<string, string>) => {
    const { app } = await testApp({ REDIS_URL: redisServer.url, ...env });
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => app.close());
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  };
  const base = await listen({});
  const post = async (path: string, images: Buffer[], fields: Record<string, string> = {}, headers: Record<string, string> = {}) => {
    const form = await imageForm(images, fields);
    return fetch(`${base}${path}`, { method: 'POST', body: new Uint8Array(form.payload), headers: { ...form.headers, ...headers } });
  };
  const submit = async (images: Buffer[], fields: Record<string, string> = {}, headers: Record<string, string> = {}, at = base) => {
    const form = await imageForm(images, fields);
    const res = await fetch(`${at}/v1/jobs`, { method: 'POST', body: new Uint8Array(form.payload), headers: { ...form.headers, ...headers } });
    if (res.status !== 202) throw new Error(`POST /v1/jobs: ${res.status} ${await res.text()}`);
    t.equal(res.headers.get('location'), `/v1/jobs/${(await res.clone().json() as { id: string }).id}`);
    return JobAcceptedSchema.parse(await res.json());
  };
  const status = async (id: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/v1/jobs/${id}`, { headers });
    return { status: res.status, body: await res.json() as JobStatus & { error?: unknown } };
  };
  /** Polls until the job has finished (bounded: 600 × 100 ms). */
  const finished = async (id: string): Promise<JobStatus> => {
    for (let i = 0; i < 600; i++) {
      const s = await status(id);
      if (s.status !== 200) throw new Error(`GET /v1/jobs/${id}: ${s.status} ${JSON.stringify(s.body)}`);
      if (['completed', 'failed', 'cancelled'].includes(s.body.state)) return JobStatusSchema.parse(s.body);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} did not finish`);
  };
  const withoutTimings = (results: { timings: unknown }[]) => results.map(({ timings: _t, ...r }) => r);

  await t.test('before any worker runs: a job waits, and DELETE cancels it and drops its images', async (t) => {
    const job = await submit([await jpeg(64, 48)]);
    t.equal(job.state, 'waiting');
    t.ok(Date.parse(job.expiresAt) > Date.now() + 3600_000, 'expires after the TTL (a day by default)');
    const s = await status(job.id);
    t.equal(s.status, 200);
    t.equal(s.body.state, 'waiting');
    const ttl = await redis.ttl(imageKey('captions', job.id, 0));
    t.ok(ttl > 86_000 && ttl <= 86_400, `the image is in Redis with a TTL (${ttl} s)`);
    const del = await fetch(`${base}/v1/jobs/${job.id}`, { method: 'DELETE' });
    t.equal(del.status, 200);
    t.same(await del.json(), { id: job.id, state: 'cancelled' });
    t.equal(await redis.exists(imageKey('captions', job.id, 0)), 0, 'image removed');
    t.equal((await status(job.id)).status, 404, 'gone');
  });

  await t.test('bad requests are refused like /v1/captions', async (t) => {
    const r1 = await post('/v1/jobs', [await jpeg()], { beamSize: '99' });
    t.equal(r1.status, 400);
    t.match(((await r1.json()) as { message: string }).message, /beamSize/);
    const r2 = await fetch(`${base}/v1/jobs`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    t.equal(r2.status, 400);
    const r3 = await status('no-such-job');
    t.equal(r3.status, 404);
    t.equal((r3.body as unknown as { error: string }).error, 'job_not_found');
    t.equal((await status('bad%20id!')).status, 404);
  });

  const heartbeat = join(models.dir, 'heartbeat');
  const worker = spawnWorker(redisServer.url, models.dir, ['--heartbeat', heartbeat]);
  t.teardown(() => worker.stop());
  await worker.ready;
  t.ok(Math.abs(Number(readFileSync(heartbeat, 'utf8')) - Date.now()) < 600_000, 'the worker wrote its heartbeat file (liveness probe)');

  await t.test('enqueue → results equal a direct /v1/captions call', async (t) => {
    const images = [await jpeg(160, 120), await png(90, 200)];
    const fields = { beamSize: '2', nBest: '2', maxLength: '12', tags: 'true' };
    const direct = CaptionsResponseSchema.parse(await (await post('/v1/captions', images, fields)).json());
    const job = await submit(images, fields);
    const done = await finished(job.id);
    t.equal(done.state, 'completed', JSON.stringify(done.error ?? ''));
    t.equal(done.attempts, 1);
    t.same(done.progress, { stage: 'done', images: 2, done: 2 });
    t.ok(done.finishedAt && done.expiresAt, 'finish and expiry times');
    t.equal(done.results!.length, 2);
    t.same(withoutTimings(done.results!), withoutTimings(direct.results), 'same captions, scores, maps, tags');
    t.equal(await redis.exists(imageKey('captions', job.id, 0)), 0, 'images dropped once done');
    // The OpenAPI document describes these bodies exactly.
    const doc = await (await fetch(`${base}/openapi.json`)).json() as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>> };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const accepted = ajv.compile(doc.paths['/v1/jobs'].post.responses['202'].content['application/json'].schema);
    const statusSchema = ajv.compile(doc.paths['/v1/jobs/{id}'].get.responses['200'].content['application/json'].schema);
    t.ok(accepted(job), `202 body matches the spec ${ajv.errorsText(accepted.errors)}`);
    t.ok(statusSchema(done), `completed status matches the spec ${ajv.errorsText(statusSchema.errors)}`);
    t.notOk(statusSchema({ ...done, state: 'exploded' }), 'and the spec is not vacuous');
    const del = await fetch(`${base}/v1/jobs/${job.id}`, { method: 'DELETE' });
    t.same(await del.json(), { id: job.id, state: 'deleted' }, 'DELETE of a finished job removes its results');
    t.equal((await status(job.id)).status, 404);
  });

  await t.test('a corrupt image fails its job with the /v1/captions error; the worker carries on', async (t) => {
    const bad = Buffer.from('definitely not an image');
    const direct = await post('/v1/captions', [bad]);
    t.equal(direct.status, 415);
    const directBody = await direct.json() as { error: string; message: string };
    const job = await submit([bad]);
    const done = await finished(job.id);
    t.equal(done.state, 'failed');
    t.same(done.error, { status: 415, error: directBody.error, message: directBody.message });
    t.equal(done.attempts, 1, 'not retried: retrying cannot fix the image');
    const two = await submit([await jpeg(), bad], { beamSize: '1' });
    const twoDone = await finished(two.id);
    t.equal(twoDone.error?.status, 415);
    t.match(twoDone.error?.message, /^image 1 \(img1\.bin\): cannot decode image/, 'says which image, as the HTTP API does');
    const unavailable = await finished((await submit([await jpeg()], { attention: 'hard', beamSize: '1' })).id);
    t.equal(unavailable.state, 'completed', 'the hard decoder is there (or the job says why not)');

    t.equal(worker.proc.exitCode, null, 'the worker process is alive');
    const after = await finished((await submit([await jpeg(100, 100)], { beamSize: '1' })).id);
    t.equal(after.state, 'completed', 'and still captions');
    t.ok(completedJobs(worker.log()).length >= 3, 'all done by that one worker');
  });

  await t.test('with API keys, a job is visible to its submitter only', async (t) => {
    const keyed = await listen({ API_KEYS: 'job-key-one,job-key-two' });
    const job = await submit([await jpeg()], { beamSize: '1' }, { authorization: 'Bearer job-key-one' }, keyed);
    const mine = await fetch(`${keyed}/v1/jobs/${job.id}`, { headers: { authorization: 'Bearer job-key-one' } });
    t.equal(mine.status, 200);
    const theirs = await fetch(`${keyed}/v1/jobs/${job.id}`, { headers: { authorization: 'Bearer job-key-two' } });
    t.equal(theirs.status, 404, 'another key sees nothing');
    t.equal((await fetch(`${keyed}/v1/jobs/${job.id}`, { method: 'DELETE', headers: { authorization: 'Bearer job-key-two' } })).status, 404, 'nor cancels it');
    t.equal((await fetch(`${keyed}/v1/jobs/${job.id}`)).status, 401);
  });

  await t.test('with REDIS_URL, rate limits are shared by all replicas', async (t) => {
    const one = await listen({ RATE_LIMIT_MAX: '3' });
    const two = await listen({ RATE_LIMIT_MAX: '3' });
    const statuses = [];
    for (const b of [one, two, one, two, one]) statuses.push((await fetch(`${b}/v1/models`)).status);
    t.same(statuses, [200, 200, 200, 429, 429], 'one budget of 3 across two servers');
  });

  await t.test('without REDIS_URL the jobs API says how to turn it on', async (t) => {
    const { app } = await testApp({});
    t.teardown(() => app.close());
    const res = await app.inject({ method: 'GET', url: '/v1/jobs/x' });
    t.equal(res.statusCode, 501);
    t.match(res.json().message, /REDIS_URL/);
  });

  await t.test('SIGTERM: the worker stops cleanly', async (t) => {
    t.equal(await worker.stop(), 0);
    t.match(worker.log(), /SIGTERM: finishing running jobs[\s\S]*stopped/);
  });

  await t.test('Redis down: 503 with Retry-After, not a hang or a crash', async (t) => {
    await redisServer.stop();
    const form = await imageForm([await jpeg()]);
    const res = await fetch(`${base}/v1/jobs`, { method: 'POST', body: new Uint8Array(form.payload), headers: form.headers });
    t.equal(res.status, 503);
    t.ok(res.headers.get('retry-after'));
    t.equal(((await res.json()) as { error: string }).error, 'jobs_unavailable');
    t.equal((await status('some-id')).status, 503);
    t.equal((await fetch(`${base}/healthz`)).status, 200, 'the server itself is fine');
  });
});
