/**
 * Whole-network post-training quantization: FP32 checkpoint + scheme + calibration set -> QuantizedModel.
 *
 * 1. Plan the network into segments (segments.ts).
 * 2. Calibrate: run the FP32 network over the calibration images twice — first the range of every
 *    activation tensor (and of the input), then (unless minmax) its |x| histogram (calibration.ts).
 * 3. The input becomes a `quantize` layer: `inputBits` unsigned (inputs >= 0, e.g. pixels / 255) or signed
 *    symmetric, scale = max|x| / qmax (power of two when shift-only), zero point 0.
 * 4. Each segment becomes a dense/conv2d layer (ptq_layer.ts); pooling and flatten layers follow it.
 */
import { formatRange, intFormat } from '../arith/format.js';
import type { Checkpoint } from '../model/checkpoint.js';
import { fp32Inference } from '../model/fp32_infer.js';
import type { ActQuant, Layer, QuantizedModel } from '../model/types.js';
import { SCHEMA_VERSION } from '../model/types.js';
import { badValue } from '../util/errors.js';
import { ActStats, calibName, type CalibMethod } from './calibration.js';
import { pow2Ceil } from '../arith/pow2.js';
import { quantizeSegment, type LayerQuantReport } from './ptq_layer.js';
import { layerSchemeAt, type Scheme } from './scheme.js';
import { planNetwork, type NetPlan } from './segments.js';

export interface PtqOptions {
  scheme: Scheme;
  calib: CalibMethod;
  /** calibration inputs, `count` samples of the checkpoint's input shape (e.g. pixels / 255) */
  calibInputs: Float32Array;
  count: number;
  name: string;
  source: string;
  /** TFLite requantization variant (default `double`) */
  variant?: 'double' | 'single';
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PtqResult {
  model: QuantizedModel;
  layers: LayerQuantReport[];
}

/** Collects per-segment output statistics (and the input's) over the calibration set. */
export function calibrateNetwork(ckpt: Checkpoint, plan: NetPlan, x: Float32Array, count: number, histogram: boolean, batch = 256, onProgress?: (d: number, t: number) => void): { input: ActStats; segs: ActStats[] } {
  const inSize = ckpt.inputShape.reduce((a, b) => a * b, 1);
  if (count < 1 || x.length < count * inSize) throw badValue('calibration inputs', x.length, `${count} samples of ${inSize} values`);
  const input = new ActStats();
  const segs = plan.segments.map(() => new ActStats());
  const byIndex = new Map<number, ActStats>();
  plan.segments.forEach((s, k) => byIndex.set(s.statsIndex, segs[k]));
  const passes = histogram ? 2 : 1;
  for (let pass = 0; pass < passes; pass++) {
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const xb = x.subarray(start * inSize, (start + n) * inSize);
      if (pass === 0) input.observeRange(xb);
      else input.observeHist(xb);
      fp32Inference(ckpt, xb, n, undefined, (i, out) => {
        const st = byIndex.get(i);
        if (st === undefined) return;
        if (pass === 0) st.observeRange(out);
        else st.observeHist(out);
      });
      onProgress?.(pass * count + start + n, passes * count);
    }
  }
  return { input, segs };
}

/** Post-training quantization of `ckpt` (see the file header). */
export function quantizeCheckpoint(ckpt: Checkpoint, o: PtqOptions): PtqResult {
  const plan = planNetwork(ckpt);
  const stats = calibrateNetwork(ckpt, plan, o.calibInputs, o.count, o.calib.kind !== 'minmax', o.batch, o.onProgress);
  const layers: Layer[] = [];
  const reports: LayerQuantReport[] = [];
  const inQ = ptqInputQuant(stats.input, o.scheme);
  layers.push({ kind: 'quantize', name: 'input', output: inQ });
  let cur: ActQuant = inQ;
  let pools = 0;
  const pushTail = (t: NetPlan['lead'][number]): void => {
    if (t.kind === 'flatten') layers.push({ kind: 'flatten', name: `flatten${pools++}` });
    else layers.push({ kind: 'maxpool2d', name: `maxpool${pools++}`, kernel: [t.k, t.k], stride: [t.k, t.k], padding: [0, 0, 0, 0] });
  };
  plan.lead.forEach(pushTail);
  const n = plan.segments.length;
  plan.segments.forEach((seg, k) => {
    const isLast = k === n - 1;
    const r = quantizeSegment(seg, cur, {
      ls: layerSchemeAt(o.scheme, k, n), perChannel: o.scheme.perChannel, shiftOnly: o.scheme.shiftOnly, isLast,
      calib: o.calib, stats: stats.segs[k], variant: o.variant ?? 'double', name: `${seg.compute.kind}${k}`, group: o.scheme.group,
    });
    layers.push(r.layer);
    reports.push(r.report);
    seg.tail.forEach(pushTail);
    if (r.out !== null) cur = r.out;
    else if (!isLast) throw badValue(`layer ${k}`, 'accumulator', 'an output stage before the last layer');
  });
  const model: QuantizedModel = {
    schemaVersion: SCHEMA_VERSION,
    name: o.name,
    inputShape: ckpt.inputShape.slice(),
    layers,
    provenance: {
      tool: 'lowbit quantize', date: new Date().toISOString(), source: o.source, accuracy: [],
      notes: `PTQ scheme ${o.scheme.name}${o.scheme.perChannel ? ' per-channel' : ''}${o.scheme.group > 0 ? ` group ${o.scheme.group}` : ''}${o.scheme.overrides.length ? ` overrides ${o.scheme.overrides.map((v) => `${v.sel}`).join(',')}` : ''}, calibration ${calibName(o.calib)} over ${o.count} samples`,
    },
  };
  return { model, layers: reports };
}

/** The `quantize` input layer's quantization: unsigned when every calibration input is >= 0. */
export function ptqInputQuant(st: ActStats, scheme: Scheme): ActQuant {
  const unsigned = st.min >= 0;
  const bits = scheme.inputBits;
  const qmax = formatRange(intFormat(bits, !unsigned)).max;
  let s = st.absMax > 0 ? Math.fround(st.absMax / qmax) : 1;
  if (scheme.shiftOnly) s = pow2Ceil(s);
  return { format: { type: 'int', bits, signed: !unsigned }, scale: s, zeroPoint: 0 };
}
