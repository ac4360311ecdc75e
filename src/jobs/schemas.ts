// Shapes of batch jobs: what is stored in Redis with each job, and what GET /v1/jobs/:id answers.
import { z } from 'zod';
import { CaptionOptionsSchema, CaptionResultSchema } from '../service/schemas.ts';

/** BullMQ job data: the images live in their own Redis keys (binary, with a TTL), not in here. */
export const JobDataSchema = z.object({
  images: z.array(z.object({ filename: z.string(), key: z.string() })).min(1),
  options: CaptionOptionsSchema,
  /** apiKeyId of the submitter (null when keys are off): other keys get 404 for this job. */
  owner: z.string().nullable(),
});
export type JobData = z.infer<typeof JobDataSchema>;

export const JobProgressSchema = z.object({
  stage: z.enum(['preparing', 'captioning', 'done']),
  images: z.number().int().describe('images in the job'),
  done: z.number().int().describe('images captioned so far'),
});
export type JobProgress = z.infer<typeof JobProgressSchema>;

/** The job's return value: exactly the body of a POST /v1/captions answer. */
export const JobResultSchema = z.object({ results: z.array(CaptionResultSchema) });
export type JobResult = z.infer<typeof JobResultSchema>;

export const JobErrorSchema = z.object({
  status: z.number().int().describe('the HTTP status /v1/captions would have answered, e.g. 415'),
  error: z.string(),
  message: z.string(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

export const JobStateSchema = z.enum(['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled']);

export const JobStatusSchema = z.object({
  id: z.string(),
  state: JobStateSchema,
  progress: JobProgressSchema.optional(),
  attempts: z.number().int().describe('times a worker started this job (a worker killed mid-job makes it run again)'),
  createdAt: z.string().describe('ISO 8601'),
  finishedAt: z.string().optional(),
  expiresAt: z.string().optional().describe('when the results are dropped from Redis'),
  results: z.array(CaptionResultSchema).optional().describe('state completed: same as the results of POST /v1/captions'),
  error: JobErrorSchema.optional().describe('state failed: the error POST /v1/captions would have given'),
});
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const JobAcceptedSchema = z.object({
  id: z.string(),
  state: z.literal('waiting'),
  statusUrl: z.string(),
  expiresAt: z.string().describe('the images are dropped from Redis then, done or not'),
});
export type JobAccepted = z.infer<typeof JobAcceptedSchema>;

export const JobCancelledSchema = z.object({
  id: z.string(),
  state: z.enum(['cancelled', 'cancelling', 'deleted']).describe('cancelled: removed before it ran; cancelling: running, its result will be discarded; deleted: finished, results removed'),
});

// A failed job's reason is one string in BullMQ; ours is "<status> <code>: <message>".
const REASON = /^(\d{3}) ([a-z_]+): ([\s\S]*)$/;
export const encodeError = (e: JobError) => `${e.status} ${e.error}: ${e.message}`;
export function decodeError(reason: string | undefined): JobError {
  const m = REASON.exec(reason ?? '');
  if (m) return { status: Number(m[1]), error: m[2], message: m[3] };
  return { status: 500, error: 'job_failed', message: reason || 'the job failed' };
}
