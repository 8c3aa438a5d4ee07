/**
 * Structured channel pruning by L1 norm (Li, Kadav, Durdanovic, Samet & Graf, "Pruning Filters for
 * Efficient ConvNets", ICLR 2017), for the MLPs (a hidden neuron is a channel) and the cnn:
 * - the L1 norm of output channel o of a hidden dense/conv layer is s_o = sum_i |w[o][i]| (latent weights);
 * - in each hidden weighted layer the round(f C) channels of smallest s_o are removed (ties: the lower index
 *   is removed first), the rest kept in order;
 * - removing channel o removes row o of the layer (and its bias, LSQ step), channel o of the batch-norm
 *   after it, and the inputs the next weighted layer reads from channel o (its column o of a dense layer,
 *   its input channel o of a conv, or the H*W columns c*H*W + p behind a flatten).
 * The result is a smaller network (hidden widths = channels kept), built by `buildNetwork` and then given
 * the kept values; it is retrained afterwards (the caller's `train` with `init`). The last layer keeps its
 * outputs.
 */
import { buildNetwork, type NetSpec } from './arch.js';
import { BatchNorm } from './norm.js';
import { Conv2d } from './conv.js';
import { Dense } from './dense.js';
import { Activation } from './activations.js';
import { Network, Scale } from './network.js';
import { badValue, InputError } from '../util/errors.js';

/** L1 norm of each output channel (row) of a rows x cols weight matrix. */
export function channelL1(w: Float32Array, rows: number): Float64Array {
  const cols = w.length / rows;
  const s = new Float64Array(rows);
  for (let o = 0; o < rows; o++) for (let i = o * cols; i < (o + 1) * cols; i++) s[o] += Math.abs(w[i]!);
  return s;
}

/** The channels kept when the round(f C) of smallest L1 norm are removed (ascending indices; at least one kept). */
export function keptChannels(norms: Float64Array, fraction: number): Int32Array {
  const C = norms.length;
  const drop = Math.min(C - 1, Math.round(fraction * C));
  const order = Int32Array.from({ length: C }, (_, i) => i).sort((a, b) => norms[a]! - norms[b]! || a - b);
  return order.slice(drop).sort();
}

type Weighted = Dense | Conv2d;

/** Copies the rows `rows` (all when null) of a rows x (inC * per) matrix, within each row the `per`
 * columns of every kept input channel (all when `inKeep` is null), into `dst`. */
function copyWeights(src: Float32Array, dst: Float32Array, rows: Int32Array | null, inKeep: Int32Array | null, inC: number, per: number): void {
  const R = rows ?? Int32Array.from({ length: src.length / (inC * per) }, (_, i) => i);
  let d = 0;
  for (const o of R) {
    const base = o * inC * per;
    if (!inKeep) for (let i = 0; i < inC * per; i++) dst[d++] = src[base + i]!;
    else for (const c of inKeep) for (let p = 0; p < per; p++) dst[d++] = src[base + c * per + p]!;
  }
  if (d !== dst.length) throw new InputError(`pruneChannels: copied ${d} of ${dst.length} weights`);
}

function pick(src: ArrayLike<number>, keep: Int32Array | null, dst: Float32Array): void {
  if (!keep) dst.set(src as Float32Array);
  else keep.forEach((c, j) => (dst[j] = src[c]!));
}

export interface PrunedNetwork {
  net: Network;
  spec: NetSpec;
  /** kept channel indices of each hidden weighted layer */
  kept: number[][];
}

/** Removes the fraction `f` of the channels of smallest L1 norm from every hidden layer of `net` (built from `spec`). */
export function pruneChannels(net: Network, spec: NetSpec, fraction: number, seed: number): PrunedNetwork {
  if (!(fraction >= 0 && fraction < 1)) throw badValue('prune-channels', fraction, 'a fraction in [0, 1)');
  if (spec.arch === 'cnv') throw new InputError('--prune-channels: the cnv architecture is not supported; use tfc, sfc, lfc or cnn');
  const weighted = net.layers.filter((l): l is Weighted => l instanceof Dense || l instanceof Conv2d);
  const hidden = weighted.slice(0, -1);
  const keeps = hidden.map((l) => keptChannels(channelL1(l.weight.value, l instanceof Dense ? l.outF : l.outC), fraction));
  const newSpec: NetSpec = { ...spec, hidden: keeps.map((k) => k.length) };
  const out = buildNetwork(newSpec, seed);
  if (out.layers.length !== net.layers.length) throw new InputError('pruneChannels: the pruned network has another layer structure');
  let inKeep: Int32Array | null = null;
  let outKeep: Int32Array | null = null;
  let h = 0;
  net.layers.forEach((l, i) => {
    const m = out.layers[i]!;
    if (l instanceof Dense || l instanceof Conv2d) {
      const mm = m as Weighted;
      outKeep = h < keeps.length ? keeps[h++]! : null;
      // per input channel: k*k columns of a conv, H*W columns of a dense behind a flatten, else 1
      const inC = l instanceof Conv2d ? l.inC : (flattenedChannels(net, i) ?? l.inF);
      const per = l instanceof Conv2d ? l.k * l.k : l.inF / inC;
      copyWeights(l.weight.value, mm.weight.value, outKeep, inKeep, inC, per);
      if (l.bias) pick(l.bias.value, outKeep, mm.bias!.value);
      if (l instanceof Dense && l.step) pick(l.step.value, l.step.value.length > 1 ? outKeep : null, (mm as Dense).step!.value);
      inKeep = outKeep;
    } else if (l instanceof BatchNorm) {
      const mb = m as BatchNorm;
      pick(l.gamma.value, outKeep, mb.gamma.value);
      pick(l.beta.value, outKeep, mb.beta.value);
      pick(l.mean, outKeep, mb.mean);
      pick(l.var, outKeep, mb.var);
    } else if (l instanceof Activation || l instanceof Scale) {
      l.params().forEach((p, k) => m.params()[k]!.value.set(p.value));
    }
  });
  return { net: out, spec: newSpec, kept: keeps.map((k) => Array.from(k)) };
}

/** The channels C of the CHW tensor a dense layer `i` reads through a flatten (null for an MLP layer). */
function flattenedChannels(net: Network, i: number): number | null {
  for (let j = i; j >= 0; j--) if (net.shapes[j]!.length === 3) return net.shapes[j]![0]!;
  return null;
}
