// Option help generated from a zod object schema (flag, value kind, description, default), so a
// command's --help cannot drift from what its schema accepts.
import type { z } from 'zod';

interface Def {
  type: string;
  defaultValue?: unknown;
  innerType?: z.ZodType;
  in?: z.ZodType;
  entries?: Record<string, string>;
  options?: z.ZodType[];
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

export const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;

/** What follows the flag: nothing for booleans, the choices for enums, N/X for numbers. */
function valueHint(s: z.ZodType): string {
  const def = defOf(s);
  switch (def.type) {
    case 'default':
    case 'optional':
      return valueHint(def.innerType!);
    case 'pipe':
      return valueHint(def.in!);
    case 'boolean':
      return '';
    case 'enum':
      return ` ${Object.values(def.entries!).join('|')}`;
    case 'number': // integers N, reals X
      return (s as unknown as { isInt?: boolean }).isInt ? ' N' : ' X';
    case 'union': // the CLIs' booleans accept true/false/1/0 words as well
      return def.options!.some((o) => defOf(o).type === 'boolean') ? '' : ` ${valueHint(def.options![0]).trim()}`;
    default:
      return ' VALUE';
  }
}

const defaultOf = (s: z.ZodType): unknown => (defOf(s).type === 'default' ? defOf(s).defaultValue : undefined);

/**
 * One line per option: `  --beam-size N   beam width k (1 = greedy) (3)`. `values` overrides the
 * value hint (e.g. DIR for a path), `skip` leaves keys out.
 */
export function optionHelp(schema: z.ZodObject, opts: { skip?: string[]; values?: Record<string, string> } = {}): string {
  const rows: [string, string][] = [];
  for (const [key, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    if (opts.skip?.includes(key)) continue;
    const hint = opts.values?.[key] !== undefined ? ` ${opts.values[key]}` : valueHint(field);
    const d = defaultOf(field);
    const description = field.description ?? '';
    const required = !field.safeParse(undefined).success;
    const shown = required ? ' (required)' : d === undefined || d === false ? '' : ` (default ${typeof d === 'string' ? d : JSON.stringify(d)})`;
    rows.push([`${flagName(key)}${hint}`, `${description}${shown}`]);
  }
  const width = Math.min(26, Math.max(...rows.map(([f]) => f.length)) + 2);
  return rows.map(([f, d]) => wrap(`  ${f.padEnd(width)}`, d, 2 + width)).join('\n');
}

/** The description wrapped at 100 columns, continuation lines under its first word. */
function wrap(head: string, text: string, indent: number): string {
  const lines: string[] = [];
  let line = head.length > indent ? `${head}\n${' '.repeat(indent)}` : head;
  let used = indent;
  for (const word of text.split(' ')) {
    if (used > indent && used + 1 + word.length > 100) {
      lines.push(line.trimEnd());
      line = ' '.repeat(indent);
      used = indent;
    }
    line += (used > indent ? ' ' : '') + word;
    used += (used > indent ? 1 : 0) + word.length;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}
