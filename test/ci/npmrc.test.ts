// npm must not warn about the project's .npmrc (an "onnxruntime-node-install" key made every npm
// command print "Unknown project config"; the package's own ONNXRUNTIME_NODE_INSTALL=skip is used).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

t.test('npm reads .npmrc without warnings', async (t) => {
  const r = spawnSync('npm', ['config', 'get', 'fund'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'warn' } });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /Unknown (project|user|env) config/);
  t.equal(r.stdout.trim(), 'false', '.npmrc is read (fund=false)');
});

t.test('CI skips the onnxruntime-node download the supported way', async (t) => {
  t.match(readFileSync(`${ROOT}.ci/run`, 'utf8'), /export ONNXRUNTIME_NODE_INSTALL=skip/);
});
