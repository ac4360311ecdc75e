import { nativeBindingPresent } from './native.ts';
import * as tf from './tf.ts';

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

/** aᵀ b for 2-D a, b (weight gradients), by the fast path of the current backend. */
export function matMulTA(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return explicitTranspose() ? tf.matMul(tf.transpose(a) as tf.Tensor2D, b as tf.Tensor2D) : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false);
}
