import type { IntFormat } from '../arith/index.js';
import type { DenseLayer, OutputStage, QuantizedModel } from '../model/types.js';
import { formatName, formatRange } from '../model/types.js';
import { InputError } from '../util/errors.js';
import { formatRange as operandFormatRange, type Design, type OperandFormat } from './design.js';
import {
  geometry, layoutBits, weightWordBits,
  type AccelLayer, type AccelProgram, type AccelStage, type Engine, type Layout,
} from './accel_program.js';

/**
 * The compiler: QuantizedModel + Design -> AccelProgram (accel_program.ts). It maps every dense layer to
 * an engine, folds zero points into the weights and biases, fuses clamp layers into the output stage,
 * lays out the memories and checks that everything fits — with an error naming the layer, the problem and
 * the fix when it does not. The program computes exactly what `integerInference` computes:
 *   sum_k (w - wZp)(x - xZp) + bias = sum_k w' (x - c) + bias',  w' = w - wZp,
 *   bias' = wrap32(bias - (xZp - c) * sum_k w'),  c = the input shift (first layer only, else 0),
 * provided no partial sum leaves the accumulator — checked here with the bound sum_k |w'| * max|x - c|.
 */
export function compileModel(model: QuantizedModel, design: Design): AccelProgram {
  const where = `model ${model.name} on design ${design.name}`;
  if (design.array.dataflow !== 'os') {
    throw new InputError(`${where}: the accelerator's controller drives the MAC array output-stationary; got array.dataflow = ${design.array.dataflow} (use --dataflow os; ws/is are modelled per GEMM by \`lowbit simulate\`)`);
  }
  const dense: DenseLayer[] = [];
  const clamps = new Map<number, { min: number; max: number }[]>();
  for (const l of model.layers) {
    if (l.kind === 'dense') dense.push(l);
    else if (l.kind === 'clamp') {
      if (dense.length === 0) throw new InputError(`${where}: clamp layer ${l.name} before the first dense layer; the accelerator clamps only layer outputs`);
      const list = clamps.get(dense.length - 1) ?? [];
      list.push({ min: l.min, max: l.max });
      clamps.set(dense.length - 1, list);
    } else if (l.kind === 'quantize') {
      if (dense.length > 0) throw new InputError(`${where}: quantize layer ${l.name} inside the network; only an input quantize (done by the host) is supported`);
    } else if (l.kind !== 'flatten') {
      throw new InputError(`${where}: layer ${l.name} is ${l.kind}; the accelerator runs dense, flatten, clamp and an input quantize (conv2d/maxpool2d: run them with \`lowbit infer\`)`);
    }
  }
  if (dense.length === 0) throw new InputError(`${where}: no dense layer to run`);
  const g = geometry(design);
  const engines = dense.map((l, i) => chooseEngine(l, design, i === 0, where));
  const layers: AccelLayer[] = [];
  let wBase = 0;
  let pBase = 0;
  let inputShift = 0;
  let steps = 1;
  for (let i = 0; i < dense.length; i++) {
    const l = dense[i];
    const engine = engines[i].engine;
    const c = engines[i].shift;
    if (i === 0) inputShift = c;
    const K = l.inFeatures;
    const N = l.outFeatures;
    const wPrime = new Int32Array(N * K);
    for (let n = 0; n < N; n++) {
      const zp = l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0] : l.weight.zeroPoint[n];
      for (let k = 0; k < K; k++) wPrime[n * K + k] = l.weight.data[n * K + k] - zp;
    }
    const xZp = l.input.zeroPoint;
    const bias = new Int32Array(N);
    const xAbs = Math.max(Math.abs(engines[i].x.lo), Math.abs(engines[i].x.hi));
    const accLimit = 2 ** (Math.min(design.accumulator.bits, 32) - 1) - 1;
    for (let n = 0; n < N; n++) {
      let rowSum = 0;
      let bound = 0;
      for (let k = 0; k < K; k++) {
        rowSum += wPrime[n * K + k];
        bound += Math.abs(wPrime[n * K + k]) * xAbs;
      }
      if (bound > accLimit) {
        throw new InputError(`${where}: layer ${l.name} output ${n} may reach |sum| = ${bound} > ${accLimit}, beyond the ${design.accumulator.bits}-bit accumulator; use a Design with accumulator.bits >= ${Math.ceil(Math.log2(bound + 1)) + 1}`);
      }
      const b = l.bias ? l.bias[n] : 0;
      bias[n] = (b - Math.imul(xZp - c, rowSum)) | 0;
    }
    const wd = engine === 'mac' ? K : Math.ceil(K / g.L);
    const groups = engine === 'mac' ? Math.ceil(N / g.C) : N;
    const stage = outputStage(l, design, clamps.get(i) ?? [], where);
    if (stage.kind === 'threshold') steps = Math.max(steps, stage.steps);
    const inLayout = layoutFor(engine, engines[i].xFormat, K, design);
    layers.push({
      name: l.name, engine, K, N, xFormat: engines[i].xFormat, wFormat: engines[i].wFormat, weights: wPrime, bias, stage,
      inLayout, outLayout: { kind: 'outbuf' }, wBase, pBase, groups, wd,
    });
    wBase += engine === 'mac' ? groups * K : N * wd * (engine === 'serial' ? engines[i].wFormat.bits : 1);
    pBase += groups;
  }
  for (let i = 0; i + 1 < layers.length; i++) layers[i].outLayout = layers[i + 1].inLayout;
  if (steps > design.xnor.thresholds) {
    throw new InputError(`${where}: a layer needs ${steps} thresholds per channel; the Design has xnor.thresholds = ${design.xnor.thresholds} (raise it to ${steps})`);
  }
  const actBits = Math.max(...layers.map((l) => layoutBits(l.inLayout, l.K)));
  const wordBits = weightWordBits(design);
  checkFits(where, 'weight', wBase * wordBits, design.buffers.weightBytes, 'buffers.weightBytes');
  checkFits(where, 'activation', 2 * actBits, design.buffers.activationBytes, 'buffers.activationBytes');
  const last = layers[layers.length - 1];
  checkFits(where, 'output', 32 * last.N, design.buffers.outputBytes, 'buffers.outputBytes');
  return {
    design, model: model.name, layers, inputElems: layers[0].K, outputElems: last.N, inputShift,
    wordBits, wDepth: Math.max(1, wBase), pDepth: Math.max(1, pBase), actBits, outDepth: last.N, steps: design.xnor.thresholds,
  };
}

function checkFits(where: string, what: string, bits: number, bytes: number, field: string): void {
  const need = Math.ceil(bits / 8);
  if (need > bytes) throw new InputError(`${where}: the ${what} memory needs ${need} bytes; the Design's ${field} is ${bytes} (raise it to at least ${need})`);
}

interface EngineChoice {
  engine: Engine;
  shift: number;
  xFormat: IntFormat;
  wFormat: IntFormat;
  x: { lo: number; hi: number };
}

/** mac when x and w' fit the array's operand formats; else xnor for ±1 x ±1; else bit-serial. */
function chooseEngine(l: DenseLayer, d: Design, first: boolean, where: string): EngineChoice {
  const xr = formatRange(l.input.format);
  const wr = weightRange(l);
  const xBin = l.input.format.type === 'binary';
  const wBin = l.weight.format.type === 'binary';
  if (xBin && wBin) {
    return { engine: 'xnor', shift: 0, xFormat: { bits: 1, signed: true }, wFormat: { bits: 1, signed: true }, x: { lo: -1, hi: 1 } };
  }
  const a = operandRange(d.activation);
  let shift = 0;
  if (first && !xBin && (xr.min < a.lo || xr.max > a.hi) && xr.max - xr.min <= a.hi - a.lo) shift = xr.min - a.lo;
  const w = operandRange(d.weight);
  // ±1 values fit any format holding -1 and +1 (bipolar or signed >= 2 bits); integers need a non-bipolar range
  const fitsX = xBin ? a.lo <= -1 && a.hi >= 1 : !isBipolar(d.activation) && xr.min - shift >= a.lo && xr.max - shift <= a.hi;
  const fitsW = wBin ? w.lo <= -1 && w.hi >= 1 : !isBipolar(d.weight) && wr.lo >= w.lo && wr.hi <= w.hi;
  if (fitsX && fitsW) {
    return { engine: 'mac', shift, xFormat: { bits: d.activation.bits, signed: d.activation.signed }, wFormat: { bits: d.weight.bits, signed: d.weight.signed }, x: { lo: xr.min - shift, hi: xr.max - shift } };
  }
  if (!xBin && l.input.format.type === 'int' && l.input.format.bits <= 16) {
    const wFormat: IntFormat = wBin ? { bits: 2, signed: true } : { bits: bitsFor(wr.lo, wr.hi), signed: wr.lo < 0 };
    return { engine: 'serial', shift: 0, xFormat: { bits: l.input.format.bits, signed: l.input.format.signed }, wFormat, x: { lo: xr.min, hi: xr.max } };
  }
  throw new InputError(`${where}: layer ${l.name} (${formatName(l.weight.format)} weights x ${formatName(l.input.format)} inputs) fits neither the ${fmt(d.weight)} x ${fmt(d.activation)} MAC array nor the XNOR unit; use a Design whose operand formats hold it`);
}

function isBipolar(f: OperandFormat): boolean {
  return f.bits === 1 && f.signed;
}

function fmt(f: OperandFormat): string {
  return isBipolar(f) ? 'bipolar' : `${f.signed ? 'int' : 'uint'}${f.bits}`;
}

/** Range of w' = w - wZp over the layer's actual weights. */
function weightRange(l: DenseLayer): { lo: number; hi: number } {
  if (l.weight.format.type === 'binary') return { lo: -1, hi: 1 };
  let lo = 0;
  let hi = 0;
  const K = l.inFeatures;
  for (let n = 0; n < l.outFeatures; n++) {
    const zp = l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0] : l.weight.zeroPoint[n];
    for (let k = 0; k < K; k++) {
      const v = l.weight.data[n * K + k] - zp;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return { lo, hi };
}

function operandRange(f: OperandFormat): { lo: number; hi: number } {
  const [lo, hi] = operandFormatRange(f);
  return { lo, hi };
}

/** Smallest two's complement (or unsigned when lo >= 0) width holding [lo, hi]. */
function bitsFor(lo: number, hi: number): number {
  for (let b = 1; b <= 31; b++) {
    if (lo >= 0 ? hi <= 2 ** b - 1 : lo >= -(2 ** (b - 1)) && hi <= 2 ** (b - 1) - 1) return b;
  }
  return 32;
}

function layoutFor(engine: Engine, xFormat: IntFormat, K: number, d: Design): Layout {
  const g = geometry(d);
  if (engine === 'mac') return { kind: 'slots', slotBits: g.hBits };
  const stride = Math.ceil(K / g.L) * g.L;
  return engine === 'xnor' ? { kind: 'planes', planes: 1, stride, bipolar: true } : { kind: 'planes', planes: xFormat.bits, stride, bipolar: false };
}

/** The layer's output stage, per output channel, with following clamp layers fused in. */
function outputStage(l: DenseLayer, d: Design, clamps: { min: number; max: number }[], where: string): AccelStage {
  const N = l.outFeatures;
  const o: OutputStage = l.output;
  const perChannel = (a: number[], name: string): Int32Array => {
    if (a.length !== 1 && a.length !== N) throw new InputError(`${where}: layer ${l.name} ${name} has ${a.length} entries; expected 1 or ${N}`);
    return Int32Array.from({ length: N }, (_, n) => (a.length === 1 ? a[0] : a[n]));
  };
  if (o.kind === 'accumulator') {
    if (clamps.length > 0) throw new InputError(`${where}: clamp after the raw accumulator of ${l.name} is not supported`);
    return { kind: 'raw' };
  }
  if (o.kind === 'threshold') {
    if (clamps.length > 0) throw new InputError(`${where}: clamp after the thresholds of ${l.name} is not supported`);
    const t = new Int32Array(N * o.steps);
    for (let n = 0; n < N; n++) for (let s = 0; s < o.steps; s++) t[n * o.steps + s] = o.thresholds[(o.channels === 1 ? 0 : n) * o.steps + s];
    return { kind: 'threshold', thresholds: t, steps: o.steps, offset: o.offset, bipolar: o.bipolar };
  }
  const s = o.scaling;
  if (s.kind === 'onnx') throw new InputError(`${where}: layer ${l.name} uses ONNX float rescaling; the accelerator needs integer multipliers (re-quantize, or import with fixed-point requantization)`);
  if (s.kind === 'multiplier' && s.variant !== d.requant.mode) throw new InputError(`${where}: layer ${l.name} uses ${s.variant}-rounding multipliers; the Design's requantizer is ${d.requant.mode} (set requant.mode to ${s.variant})`);
  if (s.kind === 'shift' && (d.requant.mode !== 'shift' || d.requant.rounding !== s.rounding)) throw new InputError(`${where}: layer ${l.name} uses shift-only scaling with ${s.rounding}; the Design's requantizer is ${d.requant.mode}/${d.requant.rounding} (set requant.mode to shift, requant.rounding to ${s.rounding})`);
  let { min, max } = o.clamp;
  for (const c of clamps) {
    if (Math.max(min, c.min) > Math.min(max, c.max)) throw new InputError(`${where}: clamp [${c.min}, ${c.max}] after ${l.name} leaves no value of [${min}, ${max}]`);
    min = Math.max(min, c.min);
    max = Math.min(max, c.max);
  }
  return {
    kind: 'requant',
    multiplier: s.kind === 'multiplier' ? perChannel(s.multiplier, 'multiplier') : new Int32Array(N),
    shift: perChannel(s.shift, 'shift'),
    zeroPoint: o.output.zeroPoint,
    min,
    max,
  };
}
