// Request options come from the query string and/or multipart fields; fields win.
import type { z } from 'zod';
import { HttpError } from './errors.ts';

/** Parses query + fields with a zod schema; empty values count as absent (blank HTML inputs). */
export function parseOptions<S extends z.ZodType>(schema: S, query: unknown, fields: Record<string, string>): z.output<S> {
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(v)) throw new HttpError(400, 'duplicate_field', `query parameter "${k}" is given more than once`);
    if (v !== '') merged[k] = v;
  }
  for (const [k, v] of Object.entries(fields)) if (v !== '') merged[k] = v;
  return schema.parse(merged); // ZodError → 400 invalid_option naming the field
}
