/**
 * Per-layer quantization sensitivity of a trained FP32 network (`lowbit autoquant`), two ways:
 *
 * HAWQ-V2 (Dong et al. 2020): quantizing layer l's weights to b bits perturbs them by dW = Q_b(W) - W; by a
 * second-order expansion at a minimum the loss rises by about
 *   Omega_l(b) = 1/2 * (Tr(H_l) / n_l) * |Q_b(W_l) - W_l|^2,
 * Tr(H_l) from Hutchinson's estimator (hessian.ts), n_l the layer's weight count.
 *
 * Measured: the validation loss and accuracy of the network with only that layer quantized (the others
 * FP32), evaluated in inference mode (batch-norm running statistics):
 *   weights: W_l replaced by Q_b(W_l), the quantizer QAT uses for that layer (`quantizeWeights`: b >= 2
 *     symmetric narrow-range per output channel, max|w| / (2^(b-1) - 1); b = 1 sign(w) x mean|w| per channel,
 *     XNOR-Net's L2-optimal binary scale; the last layer one scale per tensor);
 *   activations: the output of layer l's activation (ReLU, >= 0) replaced by round(clamp(y, 0, c) n / c) c / n,
 *     n = 2^a - 1, with the clip c the one of c = max(y) 2^(-k/2), k = 0..8, of least squared error on the
 *     evaluated batch (a = 1: {0, c}; the 1-bit QAT activation is sign(y) of the batch-norm output, so this is
 *     an approximation of what QAT will see).
 */
import { Dense } from './dense.js';
import { Conv2d } from './conv.js';
import { Activation } from './activations.js';
import { softmaxCrossEntropy, argmaxRows } from './loss.js';
import { roundReal } from '../arith/index.js';
import { QAT_ROUNDING, quantizeWeights, type WeightQuantSpec } from './quantizers.js';
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

/** The QAT weight quantizer of `bits` bits for a layer (`last`: one scale per tensor). */
export function weightSpecFor(bits: number, last: boolean): WeightQuantSpec {
  const spec: WeightQuantSpec = bits === 1 ? { method: 'binary', bits: 1, xnorScale: true } : { method: 'int', bits };
  return last ? { ...spec, perTensor: true } : spec;
}

/** Q_b(W) as real values (q * scale) of a layer's FP32 weights. */
export function quantizedWeights(l: Weighted, bits: number, last: boolean): Float32Array {
  const [m, k] = l instanceof Dense ? [l.outF, l.inF] : [l.outC, l.K];
  const w = l.weight.value;
  const q = new Float32Array(w.length);
  const scale = new Float32Array(m);
  const ste = new Float32Array(w.length);
  quantizeWeights(weightSpecFor(bits, last), w, m, k, q, scale, ste);
  for (let o = 0; o < m; o++) for (let i = o * k; i < (o + 1) * k; i++) q[i] = q[i]! * scale[o]!;
  return q;
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

/** Uniform unsigned a-bit quantization of non-negative values in place, clip of least squared error. */
export function quantizeActivation(h: Float32Array, len: number, bits: number): void {
  const n = 2 ** bits - 1;
  let mx = 0;
  for (let i = 0; i < len; i++) mx = Math.max(mx, h[i]!);
  if (mx === 0) return;
  const q = (y: number, c: number): number => roundReal(Math.min(Math.max(y, 0), c) * (n / c), QAT_ROUNDING) * (c / n);
  let best = mx;
  let bestErr = Infinity;
  for (let k = 0; k <= 8; k++) {
    const c = mx * 2 ** (-k / 2);
    let err = 0;
    for (let i = 0; i < len; i++) err += (q(h[i]!, c) - h[i]!) ** 2;
    if (err < bestErr) {
      bestErr = err;
      best = c;
    }
  }
  for (let i = 0; i < len; i++) h[i] = q(h[i]!, best);
}
