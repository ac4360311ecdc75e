/** A positive number from the environment (or its default); a bad value stops the benchmark with its name. */
export function envNumber(name: string, fallback: number, opts: { integer?: boolean } = {}): number {
  const v = Number(process.env[name] ?? fallback);
  const ok = opts.integer ? Number.isInteger(v) : Number.isFinite(v);
  if (!ok || v <= 0) throw new Error(`${name}=${process.env[name]} must be a positive ${opts.integer ? 'integer' : 'number'}`);
  return v;
}
