// Request options come from the query string and/or multipart fields (or a JSON body's keys).
// fastify validates the query (optionsQuery, the route's `querystring` schema); the fields are
// merged into it here and the whole is parsed once more with the full schema (defaults, types).
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from './errors.ts';

/**
 * The query form of an options schema: every name optional and without its default (kept in the
 * documentation), so the validated query holds only the names the caller gave; defaults are
 * applied once query and body are merged. Unknown names are typos → 400.
 */
export function optionsQuery<S extends z.ZodObject>(schema: S): z.ZodType<Partial<z.output<S>>, Record<string, unknown>> {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([name, s]) => {
    const field = s as z.ZodType;
    const bare = field instanceof z.ZodDefault ? (field.removeDefault() as z.ZodType).meta({ ...field.meta(), default: field.def.defaultValue }) : field;
    return [name, bare.optional()];
  }));
  return z.object(shape).strict() as unknown as z.ZodType<Partial<z.output<S>>, Record<string, unknown>>;
}

/**
 * preValidation hook of the upload routes: a blank value counts as absent (blank HTML inputs),
 * a name given twice is refused (fastify would hand the schema an array).
 */
export async function normaliseQuery(req: FastifyRequest): Promise<void> {
  const query: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(v)) throw new HttpError(400, 'duplicate_field', `query parameter "${k}" is given more than once`);
    if (v !== '') query[k] = v;
  }
  req.query = query;
}

/**
 * Merges the validated query with the body's option fields and parses the whole; empty fields
 * count as absent. A name given in both places must have the same value: a disagreement is a
 * 400, never a silent pick. `defaults` are the server's own for names the caller did not give
 * (FINE_FOCUS). Also returns the names given, so defaults can be told from explicit choices.
 */
export function parseOptionsGiven<S extends z.ZodObject>(schema: S, query: Partial<z.output<S>>, fields: Record<string, string>, defaults: Record<string, unknown> = {}): { options: z.output<S>; given: Set<string> } {
  const merged: Record<string, unknown> = { ...query };
  for (const [k, v] of Object.entries(fields)) {
    if (v === '') continue;
    if (Object.hasOwn(merged, k)) {
      const field = (schema.shape[k] as z.ZodType).safeParse(v);
      if (!field.success || !Object.is(field.data, merged[k])) throw new HttpError(400, 'option_conflict', `option "${k}" is ${JSON.stringify(String(merged[k]))} in the query string but ${JSON.stringify(v)} in the body: give it once`);
    }
    merged[k] = v;
  }
  const given = new Set(Object.keys(merged));
  return { options: schema.parse({ ...defaults, ...merged }), given }; // ZodError → 400 invalid_option naming the field
}

/** parseOptionsGiven without the names. */
export function parseOptions<S extends z.ZodObject>(schema: S, query: Partial<z.output<S>>, fields: Record<string, string>, defaults: Record<string, unknown> = {}): z.output<S> {
  return parseOptionsGiven(schema, query, fields, defaults).options;
}
