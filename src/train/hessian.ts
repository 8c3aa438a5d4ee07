/**
 * Per-layer Hessian traces by Hutchinson's estimator (HAWQ-V2, Dong et al. 2020; PyHessian, Yao et al.
 * 2020), with Hessian-vector products taken from the training front end's own gradients.
 *
 * For the loss L(w) and a Rademacher vector v (each entry +1 or -1 with probability 1/2), E[v^T H v] =
 * Tr(H), since E[v_i v_j] = [i = j]. One v spans every group (layer) at once: for group l,
 * E[v_l^T (H v)_l] = Tr(H_ll) + sum_{m != l} E[v_l^T H_lm v_m] = Tr(H_ll), the cross terms vanishing
 * because v_l and v_m are independent with mean 0. So one Hessian-vector product per sample serves every
 * layer, as in PyHessian.
 *
 * Hessian-vector product by central differences of gradients: with delta_l = eps_l v_l (eps_l = epsRel *
 * rms(w_l), so every layer moves by the same relative amount),
 *   g(w + delta) - g(w - delta) = 2 H delta + O(|delta|^3),
 * hence v_l^T (H D v)_l / eps_l, D = diag(eps), whose expectation is again Tr(H_ll) (the cross terms carry
 * a factor eps_m / eps_l but still have mean 0). For a quadratic loss the difference is exact (up to the
 * rounding of w +- delta and of the gradients). The perturbations are the actual float32 steps
 * fround(w + delta) - w, the weights are restored bit for bit afterwards.
 */
import { Rng } from '../util/rng.js';
import { InputError, badValue, checkInt } from '../util/errors.js';
import type { Param } from './layer.js';
import type { Network } from './network.js';
import { Dense } from './dense.js';
import { Conv2d } from './conv.js';
import { BatchNorm } from './norm.js';
import { Dropout } from './activations.js';
import { softmaxCrossEntropy } from './loss.js';

export interface HutchinsonOptions {
  /** Rademacher samples (>= 1) */
  samples: number;
  seed: number;
  /** finite-difference step relative to each group's rms weight (default 1e-3) */
  epsRel?: number;
}

export interface GroupTrace {
  /** Hutchinson's estimate of Tr(H_ll): the mean of the per-sample values */
  trace: number;
  /** parameters in the group (HAWQ's average Hessian trace is trace / size) */
  size: number;
  /** standard error of the mean over the samples (0 for one sample) */
  stderr: number;
  /** v_l^T (H v)_l of every sample */
  values: number[];
}

/**
 * Traces of the diagonal blocks H_ll of the Hessian of the loss whose gradient `grad()` computes: it must
 * zero and fill `p.grad` of every parameter in `groups` at their current values, deterministically.
 */
export function hutchinsonTraces(groups: Param[][], grad: () => void, opts: HutchinsonOptions): GroupTrace[] {
  checkInt('samples', opts.samples, 1, 1e6);
  const epsRel = opts.epsRel ?? 1e-3;
  if (!(epsRel > 0 && epsRel < 1)) throw badValue('epsRel', epsRel, 'a number in (0, 1)');
  const params = groups.flat();
  const rng = new Rng(opts.seed);
  const w0 = params.map((p) => p.value.slice());
  const eps = groups.map((g) => {
    let s = 0;
    let n = 0;
    for (const p of g) for (const w of p.value) {
      s += w * w;
      n++;
    }
    const rms = Math.sqrt(s / Math.max(1, n));
    return epsRel * (rms > 0 ? rms : 1);
  });
  const v = params.map((p) => new Float32Array(p.value.length));
  const gPlus = params.map((p) => new Float64Array(p.value.length));
  const values: number[][] = groups.map(() => []);
  const setWeights = (sign: number): void => {
    let k = 0;
    groups.forEach((g, gi) => {
      for (const p of g) {
        const base = w0[k]!;
        const d = v[k]!;
        for (let i = 0; i < p.value.length; i++) p.value[i] = base[i]! + sign * eps[gi]! * d[i]!;
        k++;
      }
    });
  };
  try {
    for (let s = 0; s < opts.samples; s++) {
      for (const d of v) for (let i = 0; i < d.length; i++) d[i] = rng.float() < 0.5 ? -1 : 1;
      setWeights(1);
      grad();
      params.forEach((p, k) => gPlus[k]!.set(p.grad));
      // the actual steps taken: fround(w0 + delta) - w0 (then the minus side)
      const stepPlus = params.map((p, k) => Float64Array.from(p.value, (x, i) => x - w0[k]![i]!));
      setWeights(-1);
      grad();
      let k = 0;
      groups.forEach((g, gi) => {
        // v_l^T (H D v)_l / eps_l = v_l^T (g+ - g-)_l / (2 eps_l); 2 eps_l size is measured as
        // den = v_l . (step+ - step-)_l, the steps actually taken (exactly 2 eps_l size when w0 +- delta
        // are representable)
        let num = 0;
        let den = 0;
        for (const p of g) {
          const d = v[k]!;
          const gp = gPlus[k]!;
          const sp = stepPlus[k]!;
          for (let i = 0; i < d.length; i++) {
            num += d[i]! * (gp[i]! - p.grad[i]!);
            den += d[i]! * (sp[i]! - (p.value[i]! - w0[k]![i]!));
          }
          k++;
        }
        const size = g.reduce((a, p) => a + p.value.length, 0);
        values[gi]!.push(den === 0 ? 0 : (num / den) * size);
      });
    }
  } finally {
    params.forEach((p, k) => p.value.set(w0[k]!));
  }
  return groups.map((g, gi) => {
    const xs = values[gi]!;
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const varS = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
    return { trace: mean, size: g.reduce((a, p) => a + p.value.length, 0), stderr: Math.sqrt(varS / xs.length), values: xs };
  });
}

/**
 * The per-layer traces of a network's weights (every dense and conv layer's `weight`, in order) for the
 * mean softmax cross-entropy over a fixed batch (x: n samples, labels), the loss the training front end
 * minimises, with batch-norm in training mode (batch statistics: a deterministic function of the weights
 * for a fixed batch). Batch-norm running statistics are restored afterwards. Dropout would make the gradient
 * random: a network with dropout is refused.
 */
export function networkHessianTraces(net: Network, x: Float32Array, labels: Uint8Array, n: number, opts: HutchinsonOptions): (GroupTrace & { layer: number })[] {
  if (net.layers.some((l) => l instanceof Dropout && l.p > 0)) throw new InputError('Hessian traces need a deterministic gradient: the network has dropout; build it with dropout 0');
  const weighted = net.layers.map((l, i) => [l, i] as const).filter(([l]) => l instanceof Dense || l instanceof Conv2d);
  const groups = weighted.map(([l]) => [(l as Dense | Conv2d).weight]);
  const norms = net.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
  const saved = norms.map((b) => [b.mean.slice(), b.var.slice()] as const);
  const all = net.params();
  const classes = net.outSize;
  const dz = new Float32Array(n * classes);
  const grad = (): void => {
    for (const p of all) p.grad.fill(0);
    const z = net.forward(x, n, true);
    softmaxCrossEntropy(z, labels, n, classes, dz);
    net.backward(dz, n);
  };
  try {
    return hutchinsonTraces(groups, grad, opts).map((t, k) => ({ ...t, layer: weighted[k]![1] }));
  } finally {
    norms.forEach((b, k) => {
      b.mean.set(saved[k]![0]);
      b.var.set(saved[k]![1]);
    });
  }
}
