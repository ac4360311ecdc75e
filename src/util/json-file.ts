// Reading a JSON data file that must match a schema, with errors that name the file and the fault.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** `path` parsed and checked against `schema`; `what` names the kind of file in the error ("a COCO instances file"). */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not a readable JSON file (${err instanceof Error ? err.message : err})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: not ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
