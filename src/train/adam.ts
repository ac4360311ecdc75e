/**
 * Adam (Kingma & Ba 2015) on the flat parameter vector, in plain JS so its state is two
 * Float32Arrays that checkpoint trivially and the update is identical on every backend.
 */
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  t = 0;

  constructor(size: number, readonly opts: AdamOptions = { lr: 4e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 }) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  step(params: Float32Array, grad: Float32Array, lr = this.opts.lr): void {
    const { beta1, beta2, eps } = this.opts;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const stepSize = (lr * Math.sqrt(c2)) / c1;
    const { m, v } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + eps);
    }
  }
}

/** Scales grad so its global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGlobalNorm(grad: Float32Array, maxNorm: number): number {
  let sq = 0;
  for (let i = 0; i < grad.length; i++) sq += grad[i] * grad[i];
  const norm = Math.sqrt(sq);
  if (maxNorm > 0 && norm > maxNorm) {
    const s = maxNorm / norm;
    for (let i = 0; i < grad.length; i++) grad[i] *= s;
  }
  return norm;
}
