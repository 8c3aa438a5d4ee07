/**
 * Export of a trained network: to the FP32 checkpoint (contracts section 5) and, for a quantization-aware
 * network, to a QuantizedModel whose integer inference reproduces the network's exact mode bit for bit.
 *
 * QuantizedModel structure (FINN style):
 *   quantize       float pixels x in [0, 1] -> uint8 p = rint(x * 255) (scale 1/255): 8-bit first-layer input
 *   dense/conv2d   integer weights q (binary +-1, b-bit signed narrow range, or a training method's codes:
 *                  TTQ's {-c_n, 0, c_p}, INQ's 0 / +-2^j, with one scale per layer), no bias, followed by
 *                  batch-norm and the activation quantizer folded into a threshold stage:
 *                    out = #{t : acc >= T[o][t]}  (bipolar 2*out - 1 for sign activations)
 *                  T[o][t] = the smallest accumulator a with level(a) >= t, where
 *                    level(a) = act.quantInt(bn.evalChannel(layer.outputOf(a, o), o))
 *                  is exactly the function the exact-mode forward evaluates, found by binary search over
 *                  the reachable range |a| <= sum_i |q[o][i]| * max|x|. level is monotone (float rounding is
 *                  monotone); where it decreases (BN scale times weight scale < 0) the channel's weights are
 *                  negated so that acc' = -acc increases, as FINN flips the comparison.
 *   maxpool2d, flatten  unchanged (max commutes with the monotone quantizer)
 *   last dense     one per-tensor weight scale, `accumulator` output: raw int32 logits whose argmax is the
 *                  network's prediction (the learned temperature is positive and is dropped).
 */
import { CheckFailedError, InputError } from '../util/errors.js';
import type {
  ActQuant, Conv2dLayer, DenseLayer, Layer as QLayer, OutputStage, QuantizedModel, TensorFormat, Provenance, WeightGroups,
} from '../model/types.js';
import { SCHEMA_VERSION } from '../model/types.js';
import type { Checkpoint, CkptLayer } from '../model/checkpoint.js';
import { Activation, Dropout, GradQuant } from './activations.js';
import { Conv2d, Flatten, MaxPool2d } from './conv.js';
import { Dense } from './dense.js';
import { BatchNorm } from './norm.js';
import { Network, Scale } from './network.js';
import { groupedIntWeights } from './quantizers.js';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

function weightFormat(l: Dense | Conv2d): TensorFormat {
  // a training method's codes (TTQ on its scale grid, INQ's powers of two): w_hat = q * scale exactly
  if (l.codeFormat) return l.codeFormat;
  const m = l.wq.method;
  if (m === 'binary') return { type: 'binary' };
  if (m === 'ternary') return { type: 'int', bits: 2, signed: true };
  // DoReFa's k-bit codes are the odd integers 2r - n in [-n, n], n = 2^k - 1: k + 1 signed bits
  if (m === 'dorefa') return { type: 'int', bits: l.wq.bits + 1, signed: true };
  if (m === 'none') throw new InputError(`export: layer ${l.kind} is FP32${l.transform ? ` (${l.transform.name} without integer codes: INQ before its last partition, or TTQ without --ttq-scale-bits)` : ''}; quantize FP32 checkpoints with \`lowbit quantize\``);
  return { type: 'int', bits: l.wq.bits, signed: true };
}

function actQuant(a: Activation): ActQuant {
  return a.binary
    ? { format: { type: 'binary' }, scale: 1, zeroPoint: 0 }
    : { format: { type: 'int', bits: a.bits, signed: false }, scale: a.outScale(), zeroPoint: 0 };
}

/**
 * Thresholds of one channel: `level(a)` nondecreasing over integers a in [lo, hi]; T[t-1] = min a with
 * level(a) >= t for t = 1..steps (hi + 1 when none, lo when all), written into `out` at `off`.
 */
export function channelThresholds(level: (a: number) => number, lo: number, hi: number, steps: number, out: Int32Array, off: number): void {
  for (let t = 1; t <= steps; t++) {
    let a = lo;
    let b = hi + 1; // invariant: level(b) >= t (b = hi + 1 stands for "never"), level(a - 1) < t
    if (level(lo) >= t) b = lo;
    else {
      while (b - a > 1) {
        const mid = a + Math.floor((b - a) / 2);
        if (level(mid) >= t) b = mid;
        else a = mid;
      }
    }
    out[off + t - 1] = Math.max(INT32_MIN, Math.min(INT32_MAX, b));
  }
}

/** Exports a QAT network to a QuantizedModel (see the file header). */
export function exportQuantized(net: Network, name: string, provenance: Provenance): QuantizedModel {
  const L = net.layers.filter((l) => !(l instanceof Dropout || l instanceof GradQuant));
  const layers: QLayer[] = [{ name: 'input', kind: 'quantize', output: { format: { type: 'int', bits: 8, signed: false }, scale: 1 / 255, zeroPoint: 0 } }];
  let input: ActQuant = layers[0]!.kind === 'quantize' ? (layers[0] as { output: ActQuant }).output : (null as never);
  let maxIn = 255;
  let idx = 0;
  for (let i = 0; i < L.length; i++) {
    const l = L[i]!;
    if (l instanceof MaxPool2d) {
      layers.push({ name: `pool${i}`, kind: 'maxpool2d', kernel: [l.k, l.k], stride: [l.k, l.k], padding: [0, 0, 0, 0] });
      continue;
    }
    if (l instanceof Flatten) {
      layers.push({ name: `flatten${i}`, kind: 'flatten' });
      continue;
    }
    if (l instanceof Scale) continue;
    if (!(l instanceof Dense || l instanceof Conv2d)) throw new InputError(`export: unexpected ${l.kind} at layer ${i}; expected dense/conv2d, pool or flatten`);
    l.quantize();
    const outC = l instanceof Dense ? l.outF : l.outC;
    const K = l instanceof Dense ? l.inF : l.K;
    const bn = L[i + 1] instanceof BatchNorm ? (L[i + 1] as BatchNorm) : null;
    const act = L[i + (bn ? 2 : 1)] instanceof Activation ? (L[i + (bn ? 2 : 1)] as Activation) : null;
    const q = Int32Array.from(l.q);
    const flipped = new Uint8Array(outC);
    let output: OutputStage;
    if (act) {
      if (!act.quantized) throw new InputError(`export: activation ${act.method} after layer ${i} is not quantized`);
      const steps = act.binary ? 1 : act.n;
      const th = new Int32Array(outC * steps);
      for (let o = 0; o < outC; o++) {
        let B = 0;
        for (let k = 0; k < K; k++) B += Math.abs(q[o * K + k]!) * maxIn;
        const lvl = (a: number): number => {
          const y = l.outputOf(a, o);
          const z = bn ? bn.evalChannel(y, o) : y;
          const v = act.quantInt(z);
          return act.binary ? (v + 1) / 2 : v;
        };
        const dir = Math.sign(l.accScale(o)) * (bn ? Math.sign(bn.evalScale(o)) : 1);
        if (dir < 0) {
          flipped[o] = 1;
          for (let k = 0; k < K; k++) q[o * K + k] = -q[o * K + k]! | 0;
          channelThresholds((a) => lvl(-a), -B, B, steps, th, o * steps);
        } else if (dir > 0) channelThresholds(lvl, -B, B, steps, th, o * steps);
        else {
          const v = lvl(0);
          for (let t = 1; t <= steps; t++) th[o * steps + t - 1] = t <= v ? INT32_MIN : INT32_MAX;
        }
      }
      const out = actQuant(act);
      output = { kind: 'threshold', thresholds: th, channels: outC, steps, offset: 0, bipolar: act.binary, output: out };
      i += bn ? 2 : 1;
    } else {
      if (bn) throw new InputError(`export: batch-norm without a quantized activation after layer ${i}`);
      output = { kind: 'accumulator' };
    }
    const weight = { format: weightFormat(l), data: q, zeroPoint: [0], scale: Array.from(l.scale.subarray(0, outC)), ...groupedExport(l, q, flipped, `layer ${i}`) };
    if (l.bias && l.bias.value.some((v) => v !== 0)) throw new InputError(`export: layer ${i} has a bias; QAT layers are bias-free`);
    const name = `${l.kind}${idx++}`;
    if (l instanceof Dense) {
      const d: DenseLayer = { name, kind: 'dense', inFeatures: l.inF, outFeatures: l.outF, input, weight: { ...weight, zeroPoint: new Array(outC).fill(0) }, bias: null, output };
      layers.push(d);
    } else {
      const c: Conv2dLayer = {
        name, kind: 'conv2d', inChannels: l.inC, outChannels: l.outC, kernel: [l.k, l.k], stride: [l.stride, l.stride],
        padding: [l.pad, l.pad, l.pad, l.pad], input, weight: { ...weight, zeroPoint: new Array(outC).fill(0) }, bias: null, output,
      };
      layers.push(c);
    }
    if (output.kind === 'threshold') {
      input = output.output;
      maxIn = output.bipolar ? 1 : output.steps;
    }
  }
  return { schemaVersion: SCHEMA_VERSION, name, inputShape: net.inputShape.slice(), layers, provenance };
}

/**
 * A grouped int layer (`wq.group`): the trained integers `q` are code * multiplier (rows negated where
 * `flipped`); returns the codes and the multipliers of `groupedIntWeights` on the same latent weights, after
 * checking that they multiply back to `q` exactly. Other layers: nothing to change.
 */
function groupedExport(l: Dense | Conv2d, q: Int32Array, flipped: Uint8Array, where: string): { data?: Int32Array; group?: WeightGroups } {
  const K = l instanceof Dense ? l.inF : l.K;
  const rows = q.length / K;
  if (l.wq.group === undefined || l.wq.method !== 'int' || l.wq.group.size >= K) return {};
  const g = groupedIntWeights(l.wq, l.weight.value, rows, K);
  const G = g.group.multiplier.length / rows;
  const data = new Int32Array(q.length);
  for (let o = 0; o < rows; o++) {
    for (let k = 0; k < K; k++) {
      const c = flipped[o] ? -g.codes[o * K + k]! : g.codes[o * K + k]!;
      if (c * g.group.multiplier[o * G + Math.floor(k / g.group.size)]! !== q[o * K + k]) {
        throw new CheckFailedError(`export: ${where} row ${o}: code x multiplier differs from the trained integer weight at ${k}`);
      }
      data[o * K + k] = c;
    }
  }
  return { data, group: g.group };
}

/**
 * The FP32 checkpoint of a network: dense/conv weights as the forward pass uses them (fake-quantized
 * w_hat = q * scale for QAT layers, then a training method's transform: TTQ, INQ, shared centroids), batch-norm, and activations (sign -> sign, hardtanh, relu; unsigned
 * quantized activations -> relu, which drops their clip and rounding). The logit temperature is folded into
 * the last layer. Dropout is the identity at inference and is omitted.
 */
export function toCheckpoint(net: Network, arch: string, meta: Record<string, unknown> = {}): Checkpoint {
  const layers: CkptLayer[] = [];
  for (const l of net.layers) {
    if (l instanceof Dense) {
      const w = l.effectiveWeights();
      layers.push({ kind: 'dense', in: l.inF, out: l.outF, weight: w, bias: l.bias ? l.bias.value.slice() : null });
    } else if (l instanceof Conv2d) {
      const w = l.effectiveWeights();
      layers.push({ kind: 'conv2d', inC: l.inC, outC: l.outC, k: l.k, stride: l.stride, pad: l.pad, weight: w, bias: l.bias ? l.bias.value.slice() : null });
    } else if (l instanceof BatchNorm) {
      layers.push({ kind: 'batchnorm', channels: l.channels, eps: l.eps, gamma: l.gamma.value.slice(), beta: l.beta.value.slice(), mean: l.mean.slice(), var: l.var.slice() });
    } else if (l instanceof Activation) {
      layers.push({ kind: l.method === 'sign' ? 'sign' : l.method === 'hardtanh' ? 'hardtanh' : 'relu' });
    } else if (l instanceof MaxPool2d) layers.push({ kind: 'maxpool2d', k: l.k });
    else if (l instanceof Flatten) layers.push({ kind: 'flatten' });
    else if (l instanceof Scale) {
      const last = layers[layers.length - 1];
      if (last?.kind !== 'dense') throw new InputError('toCheckpoint: the logit scale must follow a dense layer');
      const t = l.t.value[0]!;
      for (let i = 0; i < last.weight.length; i++) last.weight[i] *= t;
      if (last.bias) for (let i = 0; i < last.bias.length; i++) last.bias[i] *= t;
    }
  }
  return { format: 'lowbit-fp32', version: 1, arch, inputShape: net.inputShape.slice(), layers, meta };
}
