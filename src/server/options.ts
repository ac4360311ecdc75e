// Request options come from the query string and/or multipart fields (or a JSON body's keys).
import type { z } from 'zod';
import { HttpError } from './errors.ts';

/**
 * Parses query + fields with a zod schema; empty values count as absent (blank HTML inputs).
 * A name given in both places must have the same value: a disagreement is a 400, never a
 * silent pick. Also returns the names given, so defaults can be told from explicit choices.
 */
export function parseOptionsGiven<S extends z.ZodType>(schema: S, query: unknown, fields: Record<string, string>): { options: z.output<S>; given: Set<string> } {
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(v)) throw new HttpError(400, 'duplicate_field', `query parameter "${k}" is given more than once`);
    if (v !== '') merged[k] = v;
  }
  for (const [k, v] of Object.entries(fields)) {
    if (v === '') continue;
    if (Object.hasOwn(merged, k) && String(merged[k]) !== v) throw new HttpError(400, 'option_conflict', `option "${k}" is ${JSON.stringify(String(merged[k]))} in the query string but ${JSON.stringify(v)} in the body: give it once`);
    merged[k] = v;
  }
  return { options: schema.parse(merged), given: new Set(Object.keys(merged)) }; // ZodError → 400 invalid_option naming the field
}

/** parseOptionsGiven without the names. */
export function parseOptions<S extends z.ZodType>(schema: S, query: unknown, fields: Record<string, string>): z.output<S> {
  return parseOptionsGiven(schema, query, fields).options;
}
