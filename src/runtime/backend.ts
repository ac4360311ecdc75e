import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from './tf.ts';

const require = createRequire(import.meta.url);

/**
 * The native packages install without their libtensorflow binding when their install script
 * cannot run (offline, or npm's allowScripts); importing them then fails half-way after
 * registering kernels, so look for the binding first.
 */
function nativeBindingPresent(pkg: string): boolean {
  let root: string;
  try {
    root = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed`);
  }
  const lib = join(root, 'lib');
  const found = existsSync(lib) && readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
  if (!found) throw new Error(`${pkg} is installed without its native binding (its install script did not run)`);
  return true;
}

/**
 * tfjs backend chosen at start-up. Preference order: native GPU, native CPU, WebAssembly, plain JS.
 * The two native packages are optional dependencies: their install downloads libtensorflow, which
 * fails offline, so they are simply absent there. TFJS_BACKEND forces one (node-gpu|node|wasm|cpu).
 */
export const BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const loaders: Record<BackendName, () => Promise<string>> = {
  'node-gpu': async () => {
    nativeBindingPresent('@tensorflow/tfjs-node-gpu');
    await import('@tensorflow/tfjs-node-gpu' as string);
    return 'tensorflow';
  },
  node: async () => {
    nativeBindingPresent('@tensorflow/tfjs-node');
    await import('@tensorflow/tfjs-node' as string);
    return 'tensorflow';
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    return 'wasm';
  },
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    return 'cpu';
  },
};

let chosen: { name: BackendName; tried: { name: BackendName; error: string }[] } | undefined;

export async function initBackend(forced = process.env.TFJS_BACKEND): Promise<BackendName> {
  if (chosen) return chosen.name;
  if (forced && !BACKENDS.includes(forced as BackendName)) {
    throw new Error(`TFJS_BACKEND=${forced} is not one of ${BACKENDS.join(', ')}`);
  }
  const order = forced ? [forced as BackendName] : [...BACKENDS];
  const tried: { name: BackendName; error: string }[] = [];
  for (const name of order) {
    try {
      const tfName = await loaders[name]();
      if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') failed`);
      await tf.ready();
      chosen = { name, tried };
      return name;
    } catch (err) {
      tried.push({ name, error: err instanceof Error ? err.message.split('\n')[0] : String(err) });
    }
  }
  throw new Error(`no tfjs backend could start: ${tried.map((t) => `${t.name}: ${t.error}`).join('; ')}`);
}

export function backendInfo(): { name: BackendName | undefined; skipped: { name: BackendName; error: string }[] } {
  return { name: chosen?.name, skipped: chosen?.tried ?? [] };
}

/** wasm's transposed matMul falls to a slow path (~10-80x); explicit transposes are much faster there. */
export function explicitTranspose(): boolean {
  return tf.getBackend() === 'wasm';
}

/** True when @tensorflow/tfjs-node-gpu is installed with its native binding (no import, no CUDA probe). */
export function gpuBackendInstalled(): boolean {
  try {
    return nativeBindingPresent('@tensorflow/tfjs-node-gpu');
  } catch {
    return false;
  }
}
