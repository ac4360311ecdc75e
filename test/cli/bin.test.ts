// The installed command: bin/show-attend-tell.js launches src/cli.ts through tsx.
import t from 'tap';
import { spawn } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { MODEL_FILE, skipWithoutModel } from '../helpers/shared-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/show-attend-tell.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MODELS_DIR: '' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

t.test('caption one image: exit 0, one JSON line on stdout', { skip: skipWithoutModel }, async (t) => {
  const dir = t.testdir({ models: {} });
  await symlink(MODEL_FILE, join(dir, 'models', 'mobilenetv2-12-int8.onnx'));
  const image = join(dir, 'photo.png');
  await sharp({ create: { width: 96, height: 64, channels: 3, background: '#3a7' } }).png().toFile(image);
  const r = await run(['caption', image, '--models-dir', join(dir, 'models'), '--beam-size', '1', '--max-length', '4']);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.equal(lines.length, 1);
  const line = JSON.parse(lines[0]);
  t.equal(line.path, image);
  t.type(line.caption, 'string');
  t.match(line.image, { width: 96, height: 64, format: 'png' });
  t.match(r.stderr, /captioned 1 of 1 image, 0 failed/);
});

t.test('exit codes pass through: usage error is 2', async (t) => {
  const r = await run(['caption']);
  t.equal(r.code, 2);
  t.match(r.stderr, /no PATH given/);
  t.equal(r.stdout, '');
});

t.test('top-level --help prints the commands and exits 0; an unknown command exits 2', async (t) => {
  for (const flag of ['--help', '-h', 'help']) {
    const r = await run([flag]);
    t.equal(r.code, 0, flag);
    t.match(r.stdout, /commands:[\s\S]*caption/);
  }
  t.equal((await run(['frobnicate'])).code, 2);
});
