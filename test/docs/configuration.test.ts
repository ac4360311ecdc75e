// docs/configuration.md is generated from the environment schema: it must match what the
// generator prints now, so a variable added, renamed or re-described in src/server/config.ts
// (or a worker flag) fails here until the guide is regenerated.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { CONFIG_DOC, configDoc } from '../../scripts/gen-config-doc.ts';
import { EnvSchema } from '../../src/server/config.ts';

t.test('docs/configuration.md is what scripts/gen-config-doc.ts prints (run it after changing the schema)', async (t) => {
  t.equal(readFileSync(CONFIG_DOC, 'utf8'), configDoc(), 'regenerate: npx tsx scripts/gen-config-doc.ts');
});

t.test('every variable of the schema has a row with a description', async (t) => {
  const doc = configDoc();
  for (const name of Object.keys(EnvSchema.shape)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    t.ok(row, `${name} has a row`);
    t.notMatch(row ?? '', /\|\s*\|$/, `${name} is described`);
  }
});

t.test('machine-dependent defaults are written as rules, not as this machine\'s values', async (t) => {
  const row = configDoc().split('\n').find((l) => l.startsWith('| `MAX_CONCURRENT` |'));
  t.match(row, /availableParallelism/);
});
