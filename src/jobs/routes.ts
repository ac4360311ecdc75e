// POST /v1/jobs (same upload and options as /v1/captions → 202 + id), GET /v1/jobs/:id (state,
// progress, then results), DELETE /v1/jobs/:id (cancel). Off (501) unless REDIS_URL is set.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../server/context.ts';
import { HttpError } from '../server/errors.ts';
import { parseOptions } from '../server/options.ts';
import { CaptionRequestSchema } from '../server/schemas.ts';
import { readUpload } from '../server/upload.ts';
import type { JobAccepted, JobStatus } from './schemas.ts';
import { JobNotFoundError, JobStore } from './store.ts';

const JOB_ID = /^[\w-]{1,128}$/;

export async function jobsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { config } = ctx;
  if (!config.redisUrl) {
    const off = async () => {
      throw new HttpError(501, 'jobs_disabled', 'batch jobs are off on this server: start it with REDIS_URL=redis://host:6379 and run `show-attend-tell worker --redis ...`');
    };
    app.post('/v1/jobs', off);
    app.get('/v1/jobs/:id', off);
    app.delete('/v1/jobs/:id', off);
    return;
  }
  const store = new JobStore({ redisUrl: config.redisUrl, queue: config.jobsQueue, ttlSeconds: config.jobTtlSeconds, attempts: config.jobAttempts, failFast: true });
  app.addHook('onClose', async () => store.close());

  // Redis down or unreachable: the client may retry; our own errors pass through.
  const guard = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (err instanceof JobNotFoundError) throw new HttpError(404, 'job_not_found', err.message);
      throw new HttpError(503, 'jobs_unavailable', `the job store (Redis) is unavailable: ${(err as Error).message}`, { 'retry-after': '5' });
    }
  };
  const jobId = (id: string) => {
    if (!JOB_ID.test(id)) throw new HttpError(404, 'job_not_found', 'no such job');
    return id;
  };

  app.post('/v1/jobs', async (req, reply) => {
    const upload = await readUpload(req, config);
    const options = parseOptions(CaptionRequestSchema, req.query, upload.fields);
    const { id, expiresAt } = await guard(() => store.enqueue(upload.files, options, req.apiKeyId ?? null));
    const body: JobAccepted = { id, state: 'waiting', statusUrl: `/v1/jobs/${id}`, expiresAt: expiresAt.toISOString() };
    return reply.code(202).header('location', body.statusUrl).send(body);
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (req): Promise<JobStatus> => {
    const id = jobId(req.params.id);
    return guard(() => store.status(id, req.apiKeyId ?? null));
  });

  app.delete<{ Params: { id: string } }>('/v1/jobs/:id', async (req, reply) => {
    const id = jobId(req.params.id);
    const state = await guard(() => store.cancel(id, req.apiKeyId ?? null));
    return reply.code(state === 'cancelling' ? 202 : 200).send({ id, state });
  });
}
