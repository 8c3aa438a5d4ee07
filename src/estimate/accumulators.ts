import { formatRange } from '../arith/format.js';
import { accBounds, type AccRange } from '../hw/acc_bounds.js';
import { effectiveWeights } from '../model/group.js';
import type { Conv2dLayer, DenseLayer, QuantizedModel } from '../model/types.js';

/**
 * The narrowest safe accumulator of a QuantizedModel, per dense/conv layer and for the whole model, by the
 * proof rule of hw/acc_bounds.ts applied to the model's own weights (w - wZp, times the group multiplier for
 * per-group scales: the widened accumulator, model/group.ts; in the integer reference's K order: dense input
 * index, conv (c, i, j)), its int32 biases and each layer's input range:
 *   the range of the integers a layer can receive, minus its zero point, widened to contain 0 — the input
 *   format's range, narrowed by what produced it: a requantize stage's clamp [min, max], a threshold
 *   stage's [offset, offset + steps] (bipolar: ±1), a clamp layer (max-pool and flatten keep the range).
 * "Safe" means: no input in those ranges makes the register overflow (WRAP or SAT), so the layer's
 * accumulators equal the exact int32 sums of `integerInference`; one bit fewer overflows on some input
 * of those ranges (the bound is attained). With a chunk length L the narrow register's width is the same
 * rule over chunks of L terms; the wide register needs the one-register width.
 */
export interface LayerAccWidth {
  layer: string;
  K: number;
  /** the range of an input term x - xZp */
  input: AccRange;
  /** every value of a one-register accumulator (bias included) */
  total: AccRange;
  /** narrowest safe one-register (or wide) accumulator */
  bits: number;
  /** with a chunk length: the narrow register's range and width */
  chunk?: { length: number; range: AccRange; bits: number };
}

export interface ModelAccWidths {
  layers: LayerAccWidth[];
  /** max over the layers: the narrowest accumulator safe for the whole model */
  bits: number;
  /** with a chunk length: the narrowest narrow register for the whole model */
  chunk?: { length: number; bits: number };
  /** the width trade-off: narrow-register bits for chunk lengths 1, 2, 4, .. up to the longest K */
  tradeoff: { length: number; bits: number }[];
}

export function modelAccWidths(model: QuantizedModel, chunkLength?: number): ModelAccWidths {
  const macs: { l: DenseLayer | Conv2dLayer; input: AccRange }[] = [];
  let range: AccRange | null = null; // of the integers flowing into the next layer
  for (const l of model.layers) {
    if (l.kind === 'quantize') {
      const f = formatRange(l.output.format);
      range = { lo: f.min, hi: f.max };
    }
    else if (l.kind === 'add' || l.kind === 'globalavgpool') {
      const f = formatRange(l.output.format);
      range = { lo: f.min, hi: f.max };
    } else if (l.kind === 'clamp') range = range ? { lo: Math.max(range.lo, l.min), hi: Math.min(range.hi, l.max) } : { lo: l.min, hi: l.max };
    else if (l.kind === 'dense' || l.kind === 'conv2d') {
      const f = formatRange(l.input.format);
      const r = range ? { lo: Math.max(range.lo, f.min), hi: Math.min(range.hi, f.max) } : { lo: f.min, hi: f.max };
      const zp = l.input.zeroPoint;
      macs.push({ l, input: { lo: Math.min(0, r.lo - zp), hi: Math.max(0, r.hi - zp) } });
      range = stageRange(l);
    }
  }
  const layerFor = (L?: number): LayerAccWidth[] => macs.map(({ l, input }) => {
    const rows = l.kind === 'dense' ? l.outFeatures : l.outChannels;
    const K = l.weight.data.length / rows;
    const b = accBounds(effectiveWeights(l), rows, K, input.lo, input.hi, l.bias, L);
    const out: LayerAccWidth = { layer: l.name, K, input, total: b.total, bits: b.bits };
    if (L !== undefined) out.chunk = { length: L, range: b.chunk!, bits: b.chunkBits! };
    return out;
  });
  const layers = layerFor(chunkLength);
  const maxK = Math.max(1, ...layers.map((l) => l.K));
  const tradeoff: { length: number; bits: number }[] = [];
  for (let L = 1; ; L *= 2) {
    const len = Math.min(L, maxK);
    tradeoff.push({ length: len, bits: Math.max(2, ...layerFor(len).map((l) => l.chunk!.bits)) });
    if (len === maxK) break;
  }
  const res: ModelAccWidths = { layers, bits: Math.max(2, ...layers.map((l) => l.bits)), tradeoff };
  if (chunkLength !== undefined) res.chunk = { length: chunkLength, bits: Math.max(2, ...layers.map((l) => l.chunk!.bits)) };
  return res;
}

/** The range of the integers a dense/conv layer's output stage produces (null: the raw int32 accumulator). */
function stageRange(l: DenseLayer | Conv2dLayer): AccRange | null {
  const o = l.output;
  if (o.kind === 'requantize') return { lo: o.clamp.min, hi: o.clamp.max };
  if (o.kind === 'threshold') return o.bipolar ? { lo: -1, hi: 1 } : { lo: o.offset, hi: o.offset + o.steps };
  return null;
}
