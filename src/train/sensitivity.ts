/**
 * Per-layer quantization sensitivity of a trained FP32 network (`lowbit autoquant`), two ways:
 *
 * HAWQ-V2 (Dong et al. 2020): quantizing layer l's weights to b bits perturbs them by dW = Q_b(W) - W; by a
 * second-order expansion at a minimum the loss rises by about
 *   Omega_l(b) = 1/2 * (Tr(H_l) / n_l) * |Q_b(W_l) - W_l|^2,
 * Tr(H_l) from Hutchinson's estimator (hessian.ts), n_l the layer's weight count.
 *
 * Q_b is the b-bit quantizer of the family QAT fine-tunes with (`NetSpec.layerBits`, arch.ts: 1 bit binary,
 * more bits int), at its MSE-optimal scale (sensitivity_scale.ts), per output channel (the last layer: one
 * scale per tensor, as QAT; a hidden layer's per-channel scale is absorbed by the batch-norm after it):
 *   b = 1: sign(w) x s, s = mean|w| (XNOR-Net's scale, the MSE-optimal one);
 *   b >= 2: symmetric narrow range, clamp(round(w / s), -Q, Q) x s, Q = 2^(b-1) - 1, s the exact minimiser
 *     of |Q_b(W) - W|^2 (QAT starts from s = max|w| / Q and moves the weights onto its grid; the max-scaled
 *     ternary at b = 2 errs more than the 1-bit sign grid, so Omega at QAT's starting scale ranked 1 bit
 *     above 2 bits in every layer: it compared the scale rules, not the precisions).
 * The grids are nested ({-s, s} in {-s, 0, s}; {-Q..Q} s in {-(2Q+1)..2Q+1} s/2), so with optimal scales
 * |Q_b(W) - W|^2 and Omega are non-increasing in b.
 *
 * Measured: the validation loss and accuracy of the network with only that layer quantized (the others
 * FP32), evaluated in inference mode (batch-norm running statistics):
 *   weights: W_l replaced by Q_b(W_l) above;
 *   activations: the output of layer l's activation (ReLU, >= 0) replaced by its nearest point of the
 *     unsigned grid {0..n} x s, n = 2^a - 1, s the exact MSE-optimal step on the evaluated batch (so that the
 *     error is non-increasing in a, by the same nesting: {0..n} s in {0..2n+1} s/2). a = 1 is {0, s}, a
 *     threshold of the ReLU output; the 1-bit QAT activation is sign(y) of the batch-norm output (a threshold
 *     at 0 and levels -1, +1, an affine map of {0, 1} the next layer's weights absorb in fine-tuning), so this
 *     is an approximation of what QAT will see.
 */
import { Dense } from './dense.js';
import { Conv2d } from './conv.js';
import { Activation } from './activations.js';
import { softmaxCrossEntropy, argmaxRows } from './loss.js';
import { roundReal } from '../arith/index.js';
import { QAT_ROUNDING, symLevels } from './quantizers.js';
import { optimalSignStep, optimalStep } from './sensitivity_scale.js';
import type { Network } from './network.js';
import type { GroupTrace } from './hessian.js';

export interface LossAcc {
  loss: number;
  accuracy: number;
}

/** Mean cross-entropy and accuracy of `net` (inference mode) on n samples; `hook(i, h, len)` may change
 * layer i's output in place before layer i + 1 reads it. */
export function evalWith(net: Network, x: Float32Array, labels: Uint8Array, n: number, hook?: (i: number, h: Float32Array, len: number) => void): LossAcc {
  let h = x;
  net.layers.forEach((l, i) => {
    h = l.forward(h, n, false);
    hook?.(i, h, n * net.shapes[i + 1]!.reduce((a, b) => a * b, 1));
  });
  const C = net.outSize;
  const dz = new Float32Array(n * C);
  const r = softmaxCrossEntropy(h, labels, n, C, dz);
  const pred = new Uint8Array(n);
  argmaxRows(h, n, C, pred);
  let ok = 0;
  for (let b = 0; b < n; b++) if (pred[b] === labels[b]) ok++;
  return { loss: r.loss, accuracy: ok / n };
}

type Weighted = Dense | Conv2d;

function weightedLayers(net: Network): Weighted[] {
  return net.layers.filter((l): l is Weighted => l instanceof Dense || l instanceof Conv2d);
}

/** Q_b(W) as real values of a layer's FP32 weights, rows of k (`m` rows, or one row when `last`): each row
 * at its MSE-optimal scale of the b-bit grid (sign for b = 1, symmetric narrow-range int for b >= 2). */
export function optimalQuantized(w: Float32Array, m: number, k: number, bits: number, last: boolean): Float32Array {
  const [rows, len] = last ? [1, m * k] : [m, k];
  const out = new Float32Array(w.length);
  const Q = bits === 1 ? 1 : symLevels(bits);
  for (let o = 0; o < rows; o++) {
    const row = w.subarray(o * len, (o + 1) * len);
    const s = bits === 1 ? optimalSignStep(row).step : optimalStep(row.map(Math.abs), Q).step;
    for (let i = 0; i < len; i++) {
      const r = bits === 1 ? (row[i]! >= 0 ? 1 : -1) : roundReal(row[i]! / s, QAT_ROUNDING);
      out[o * len + i] = (r > Q ? Q : r < -Q ? -Q : r) * s;
    }
  }
  return out;
}

/** Q_b(W) of a weighted layer (`optimalQuantized` of its weight rows). */
export function quantizedWeights(l: Weighted, bits: number, last: boolean): Float32Array {
  const [m, k] = l instanceof Dense ? [l.outF, l.inF] : [l.outC, l.K];
  return optimalQuantized(l.weight.value, m, k, bits, last);
}

export interface LayerSensitivity {
  /** index among the weighted layers */
  layer: number;
  /** weight bits -> HAWQ's Omega; weight bits -> measured; activation bits -> measured (absent for the last layer) */
  hawq: Map<number, number>;
  weight: Map<number, LossAcc>;
  act: Map<number, LossAcc> | null;
}

/** The HAWQ and measured sensitivities of every weighted layer of an FP32 network at the candidate bits. */
export function layerSensitivities(net: Network, traces: GroupTrace[], x: Float32Array, labels: Uint8Array, n: number, wBits: readonly number[], aBits: readonly number[]): { base: LossAcc; layers: LayerSensitivity[] } {
  const ws = weightedLayers(net);
  if (traces.length !== ws.length) throw new Error(`${traces.length} traces for ${ws.length} weighted layers`);
  const base = evalWith(net, x, labels, n);
  // the activation after weighted layer j: the first Activation after it in the layer list
  const actAfter = ws.map((w) => {
    const at = net.layers.indexOf(w);
    const next = net.layers.findIndex((l, i) => i > at && (l instanceof Activation || l instanceof Dense || l instanceof Conv2d));
    return next >= 0 && net.layers[next] instanceof Activation ? next : -1;
  });
  const layers = ws.map((l, j) => {
    const last = j === ws.length - 1;
    const hawq = new Map<number, number>();
    const weight = new Map<number, LossAcc>();
    const saved = l.weight.value.slice();
    for (const b of wBits) {
      const qw = quantizedWeights(l, b, last);
      let d2 = 0;
      for (let i = 0; i < qw.length; i++) d2 += (qw[i]! - saved[i]!) ** 2;
      hawq.set(b, 0.5 * (traces[j]!.trace / traces[j]!.size) * d2);
      l.weight.value.set(qw);
      try {
        weight.set(b, evalWith(net, x, labels, n));
      } finally {
        l.weight.value.set(saved);
      }
    }
    let act: Map<number, LossAcc> | null = null;
    if (actAfter[j]! >= 0) {
      act = new Map();
      for (const a of aBits) act.set(a, evalWith(net, x, labels, n, (i, h, len) => { if (i === actAfter[j]) quantizeActivation(h, len, a); }));
    }
    return { layer: j, hawq, weight, act };
  });
  return { base, layers };
}

/** Uniform unsigned a-bit quantization of non-negative values in place: nearest point of {0..n} x s,
 * n = 2^a - 1, s the exact MSE-optimal step of the values. */
export function quantizeActivation(h: Float32Array, len: number, bits: number): void {
  const n = 2 ** bits - 1;
  const v = h.subarray(0, len);
  const s = optimalStep(v.map((y) => Math.max(y, 0)), n).step;
  for (let i = 0; i < len; i++) {
    const r = roundReal(Math.max(v[i]!, 0) / s, QAT_ROUNDING);
    v[i] = (r > n ? n : r) * s;
  }
}
