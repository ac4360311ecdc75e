// POST /v1/jobs (same upload and options as /v1/captions → 202 + id), GET /v1/jobs/:id (state,
// progress, then results), DELETE /v1/jobs/:id (cancel). Off (501) unless REDIS_URL is set.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { JobAcceptedSchema, JobCancelledSchema, JobStatusSchema, type JobAccepted } from '../../jobs/schemas.ts';
import { JobNotFoundError, JobStore } from '../../jobs/store.ts';
import { HttpError } from '../errors.ts';
import { edgeErrors, err, json } from '../openapi.ts';
import { parseOptions } from '../options.ts';
import { CaptionRequestSchema } from '../schemas.ts';
import { readUpload } from '../upload.ts';
import { uploadErrors, uploadHooks, uploadSchema } from '../upload-route.ts';

const JOB_ID = /^[\w-]{1,128}$/;

// The same schemas whether jobs are on or off (a 501 then).
const jobsOff = { 501: err('batch jobs are off: the server has no REDIS_URL') };
// Any string: an id of the wrong form is a 404 like an unknown one, not a 400.
const params = z.object({ id: z.string().describe('the id POST /v1/jobs answered') });
const notFound = err('unknown, expired, or submitted with another API key');
const submit = uploadSchema(CaptionRequestSchema, {
  summary: 'Submit a batch job: the same upload and options as /v1/captions, captioned later by a worker',
  description: 'The images are stored in Redis (JOB_TTL_S) and the job is queued for `show-attend-tell worker` processes (BullMQ). Poll GET /v1/jobs/{id}.',
  multiple: true,
  response: {
    202: json('queued; Location: /v1/jobs/{id}', JobAcceptedSchema),
    400: uploadErrors[400], 408: uploadErrors[408], 413: uploadErrors[413], ...edgeErrors, ...jobsOff,
    503: err('the job store (Redis) is unavailable; see Retry-After'),
  },
});
const status = {
  summary: 'A job\'s state and progress; once completed its results (as from /v1/captions), once failed the error /v1/captions would have given',
  params,
  response: { 200: json('status', JobStatusSchema), 404: notFound, ...edgeErrors, ...jobsOff, 503: err('Redis unavailable') },
};
const cancel = {
  summary: 'Cancel a job (or delete a finished one\'s results)',
  params,
  response: {
    200: json('cancelled before it ran, or deleted', JobCancelledSchema),
    202: json('running: cancelling, its result will be discarded', JobCancelledSchema),
    404: notFound, ...edgeErrors, ...jobsOff, 503: err('Redis unavailable'),
  },
};

export const jobsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config } = app.api;
  if (!config.redisUrl) {
    const off = async () => {
      throw new HttpError(501, 'jobs_disabled', 'batch jobs are off on this server: start it with REDIS_URL=redis://host:6379 and run `show-attend-tell worker --redis ...`');
    };
    // Refused on arrival (onRequest), before any body is read or validated.
    app.post('/v1/jobs', { schema: submit, onRequest: off }, off);
    app.get('/v1/jobs/:id', { schema: status, onRequest: off }, off);
    app.delete('/v1/jobs/:id', { schema: cancel, onRequest: off }, off);
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

  app.post('/v1/jobs', { schema: submit, preValidation: uploadHooks(config) }, async (req, reply) => {
    const upload = await readUpload(req, config);
    const options = parseOptions(CaptionRequestSchema, req.query, upload.fields, config.optionDefaults);
    const { id, expiresAt } = await guard(() => store.enqueue(upload.files, options, req.apiKeyId ?? null));
    const body: JobAccepted = { id, state: 'waiting', statusUrl: `/v1/jobs/${id}`, expiresAt: expiresAt.toISOString() };
    return reply.code(202).header('location', body.statusUrl).send(body);
  });

  app.get('/v1/jobs/:id', { schema: status }, async (req) => {
    const id = jobId(req.params.id);
    return guard(() => store.status(id, req.apiKeyId ?? null));
  });

  app.delete('/v1/jobs/:id', { schema: cancel }, async (req, reply) => {
    const id = jobId(req.params.id);
    const state = await guard(() => store.cancel(id, req.apiKeyId ?? null));
    return reply.code(state === 'cancelling' ? 202 : 200).send({ id, state });
  });
};
