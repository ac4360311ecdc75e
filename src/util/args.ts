/**
 * Minimal `--key value` / `--flag` parser: keys become camelCase, numbers become numbers,
 * bare flags become true. Validation is the caller's zod schema.
 */
export function parseArgs(argv: string[]): { positional: string[]; options: Record<string, string | number | boolean> } {
  const positional: string[] = [];
  const options: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [rawKey, inline] = a.slice(2).split(/=(.*)/s, 2);
    const key = rawKey.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    let value: string | boolean;
    if (inline !== undefined) value = inline;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    else value = true;
    if (key.startsWith('no') && value === true && key.length > 2) {
      options[key[2].toLowerCase() + key.slice(3)] = false;
      continue;
    }
    options[key] = typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  }
  return { positional, options };
}
