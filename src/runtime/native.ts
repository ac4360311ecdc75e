// Whether tfjs's native packages are usable, found without importing them (or tfjs itself): the
// service asks this to choose its decoder runtime before it loads either.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The native packages install without their libtensorflow binding when their install script
 * cannot run (offline, or npm's allowScripts); importing them then fails half-way after
 * registering kernels, so look for the binding first.
 */
export function nativeBindingPresent(pkg: string): boolean {
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

/** True when @tensorflow/tfjs-node-gpu is installed with its native binding (no import, no CUDA probe). */
export function gpuBackendInstalled(): boolean {
  try {
    return nativeBindingPresent('@tensorflow/tfjs-node-gpu');
  } catch {
    return false;
  }
}
