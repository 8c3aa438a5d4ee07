import { ROUNDINGS } from '../arith/modes.js';
import { badValue, checkEnum, checkInt, InputError } from '../util/errors.js';
import { checkWeightGroups } from './group.js';
import { modelShapes } from './shapes.js';
import {
  formatName,
  formatRange,
  LAYER_KINDS,
  SCHEMA_VERSION,
  type ActQuant,
  type Conv2dLayer,
  type DenseLayer,
  type QuantizedModel,
  type TensorFormat,
} from './types.js';

/**
 * Checks every field of an in-memory QuantizedModel: shapes chain, formats, every weight inside its bits,
 * zero points inside their format, scales finite and positive, multipliers/shifts in the ranges TFLite
 * accepts, thresholds sorted, clamps inside the output format, and each layer's input quantization equal
 * to the previous layer's output. Throws an InputError naming `source`, the field path and the bad value.
 */
export function validateModel(model: QuantizedModel, source = 'model'): void {
  const at = (path: string) => `${source}: ${path}`;
  if (model.schemaVersion !== SCHEMA_VERSION) throw badValue(at('schemaVersion'), model.schemaVersion, `${SCHEMA_VERSION}`);
  if (typeof model.name !== 'string' || model.name === '') throw badValue(at('name'), model.name, 'a non-empty string');
  if (!Array.isArray(model.inputShape) || model.inputShape.length < 1 || model.inputShape.length > 3) {
    throw badValue(at('inputShape'), model.inputShape, '[features] or [C, H, W]');
  }
  model.inputShape.forEach((d, i) => checkInt(at(`inputShape[${i}]`), d, 1, 1 << 24));
  if (!Array.isArray(model.layers) || model.layers.length === 0) throw badValue(at('layers'), model.layers, 'a non-empty list');
  const names = new Set<string>();
  // the quantization of the tensor flowing between layers; 'float' before a quantize layer, 'int32' after raw logits
  let current: ActQuant | 'float' | 'int32' | undefined = model.layers[0]!.kind === 'quantize' ? 'float' : undefined;
  /** outQuant[i]: the quantization of layers[i]'s output (an add's skip operand must match it) */
  const outQuant: (ActQuant | 'float' | 'int32' | undefined)[] = [];
  model.layers.forEach((l, i) => {
    const p = `layers[${i}]`;
    checkEnum(at(`${p}.kind`), l.kind, LAYER_KINDS);
    if (typeof l.name !== 'string' || l.name === '' || names.has(l.name)) {
      throw badValue(at(`${p}.name`), l.name, 'a non-empty name unique within the model');
    }
    names.add(l.name);
    if (current === 'int32' && (l.kind === 'dense' || l.kind === 'conv2d' || l.kind === 'quantize')) {
      throw new InputError(at(`${p}: a ${l.kind} layer cannot follow an 'accumulator' (raw int32) output stage`));
    }
    switch (l.kind) {
      case 'quantize':
        if (i !== 0) throw new InputError(at(`${p}: a quantize layer may only be the first layer`));
        checkActQuant(at(`${p}.output`), l.output);
        current = l.output;
        break;
      case 'clamp': {
        const range = current && current !== 'float' && current !== 'int32' ? formatRange(current.format) : { min: -(2 ** 31), max: 2 ** 31 - 1 };
        checkInt(at(`${p}.min`), l.min, range.min, range.max);
        checkInt(at(`${p}.max`), l.max, l.min, range.max);
        break;
      }
      case 'flatten':
        break;
      case 'maxpool2d':
        checkTuples(at(p), l);
        l.kernel.forEach((k, j) => checkInt(at(`${p}.kernel[${j}]`), k, 1, 1 << 16));
        l.stride.forEach((k, j) => checkInt(at(`${p}.stride[${j}]`), k, 1, 1 << 16));
        l.padding.forEach((k, j) => checkInt(at(`${p}.padding[${j}]`), k, 0, l.kernel[j % 2]! - 1));
        break;
      case 'dense':
      case 'conv2d':
        if (current === 'float') throw new InputError(at(`${p}: float input; the model must quantize it first`));
        if (current !== undefined) checkSameQuant(at(`${p}.input`), l.input, current as ActQuant);
        checkMac(at, p, l);
        current = l.output.kind === 'accumulator' ? 'int32' : l.output.output;
        break;
      case 'globalavgpool':
        if (current === 'float' || current === 'int32') throw new InputError(at(`${p}: a globalavgpool layer needs quantized integers in`));
        if (current !== undefined) checkSameQuant(at(`${p}.input`), l.input, current);
        else checkActQuant(at(`${p}.input`), l.input);
        checkActQuant(at(`${p}.output`), l.output);
        checkByteFormat(at(`${p}.output`), l.output);
        current = l.output;
        break;
      case 'add':
        for (const k of ['a', 'b'] as const) {
          const op = l[k];
          if (op === null || typeof op !== 'object') throw badValue(at(`${p}.${k}`), op, '{from, quant}');
          checkInt(at(`${p}.${k}.from`), op.from, 0, i - 1);
          const q = outQuant[op.from];
          if (q === 'float' || q === 'int32') throw new InputError(at(`${p}.${k}: layer ${op.from} outputs ${q === 'float' ? 'floats' : 'raw int32'}; an add needs quantized integers`));
          if (q !== undefined) checkSameQuant(at(`${p}.${k}.quant`), op.quant, q);
          else checkActQuant(at(`${p}.${k}.quant`), op.quant);
          checkByteFormat(at(`${p}.${k}.quant`), op.quant);
        }
        checkActQuant(at(`${p}.output`), l.output);
        checkByteFormat(at(`${p}.output`), l.output);
        current = l.output;
        break;
    }
    outQuant.push(current);
  });
  modelShapes(model, source);
}

function checkFormat(name: string, f: TensorFormat): void {
  if (f === null || typeof f !== 'object') throw badValue(name, f, "{type: 'int', bits, signed} or {type: 'binary'}");
  checkEnum(`${name}.type`, f.type, ['int', 'binary']);
  if (f.type === 'int') {
    checkInt(`${name}.bits`, f.bits, 1, 32);
    if (typeof f.signed !== 'boolean') throw badValue(`${name}.signed`, f.signed, 'true or false');
  }
}

function checkScale(name: string, s: number): void {
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) throw badValue(name, s, 'a finite number > 0');
}

function checkActQuant(name: string, q: ActQuant): void {
  if (q === null || typeof q !== 'object') throw badValue(name, q, '{format, scale, zeroPoint}');
  checkFormat(`${name}.format`, q.format);
  checkScale(`${name}.scale`, q.scale);
  const r = formatRange(q.format);
  if (q.format.type === 'binary') checkInt(`${name}.zeroPoint`, q.zeroPoint, 0, 0);
  else checkInt(`${name}.zeroPoint`, q.zeroPoint, r.min, r.max);
}

/** ONNX Runtime's QLinearAdd / QLinearGlobalAveragePool work on 8-bit tensors (int8 or uint8). */
function checkByteFormat(name: string, q: ActQuant): void {
  if (q.format.type !== 'int' || q.format.bits !== 8) throw badValue(`${name}.format`, formatName(q.format), 'int8 or uint8 (the 8-bit tensors of ONNX Runtime QLinearAdd / QLinearGlobalAveragePool)');
}

function checkSameQuant(name: string, q: ActQuant, prev: ActQuant): void {
  checkActQuant(name, q);
  if (formatName(q.format) !== formatName(prev.format) || q.zeroPoint !== prev.zeroPoint || q.scale !== prev.scale) {
    throw new InputError(
      `${name}: got ${formatName(q.format)} zeroPoint ${q.zeroPoint} scale ${q.scale}; the previous layer outputs ` +
        `${formatName(prev.format)} zeroPoint ${prev.zeroPoint} scale ${prev.scale} (they must be equal)`,
    );
  }
}

function checkPerChannel(name: string, a: unknown, channels: number): number[] {
  if (!Array.isArray(a) || (a.length !== 1 && a.length !== channels)) {
    throw badValue(name, a, `a list of 1 (per tensor) or ${channels} (per channel) numbers`);
  }
  return a as number[];
}

function checkMac(at: (p: string) => string, p: string, l: DenseLayer | Conv2dLayer): void {
  const outC = l.kind === 'dense' ? l.outFeatures : l.outChannels;
  let perRow: number;
  if (l.kind === 'dense') {
    checkInt(at(`${p}.inFeatures`), l.inFeatures, 1, 1 << 26);
    checkInt(at(`${p}.outFeatures`), l.outFeatures, 1, 1 << 26);
    perRow = l.inFeatures;
  } else {
    checkTuples(at(p), l);
    checkInt(at(`${p}.inChannels`), l.inChannels, 1, 1 << 20);
    checkInt(at(`${p}.outChannels`), l.outChannels, 1, 1 << 20);
    l.kernel.forEach((k, j) => checkInt(at(`${p}.kernel[${j}]`), k, 1, 1 << 12));
    l.stride.forEach((k, j) => checkInt(at(`${p}.stride[${j}]`), k, 1, 1 << 12));
    l.padding.forEach((k, j) => checkInt(at(`${p}.padding[${j}]`), k, 0, 1 << 12));
    perRow = l.inChannels * l.kernel[0] * l.kernel[1];
  }
  checkActQuant(at(`${p}.input`), l.input);
  const w = l.weight;
  if (w === null || typeof w !== 'object') throw badValue(`${at(p)}.weight`, w, '{format, data, zeroPoint, scale}');
  checkFormat(at(`${p}.weight.format`), w.format);
  if (!(w.data instanceof Int32Array) || w.data.length !== outC * perRow) {
    throw badValue(at(`${p}.weight.data`), w.data?.length, `an Int32Array of ${outC} x ${perRow} = ${outC * perRow} weights`);
  }
  const wr = formatRange(w.format);
  const binary = w.format.type === 'binary';
  for (let k = 0; k < w.data.length; k++) {
    const v = w.data[k]!;
    if (v < wr.min || v > wr.max || (binary && v === 0)) {
      throw badValue(at(`${p}.weight.data[${k}]`), v, binary ? '-1 or +1 (binary)' : `an integer ${wr.min}..${wr.max} (${formatName(w.format)})`);
    }
  }
  checkPerChannel(at(`${p}.weight.zeroPoint`), w.zeroPoint, outC).forEach((z, j) =>
    checkInt(at(`${p}.weight.zeroPoint[${j}]`), z, binary ? 0 : wr.min, binary ? 0 : wr.max),
  );
  checkPerChannel(at(`${p}.weight.scale`), w.scale, outC).forEach((s, j) => checkScale(at(`${p}.weight.scale[${j}]`), s));
  checkWeightGroups(at(`${p}.weight.group`), l);
  if (l.bias !== null) {
    if (!(l.bias instanceof Int32Array) || l.bias.length !== outC) throw badValue(at(`${p}.bias`), l.bias?.length, `null or an Int32Array of ${outC}`);
  }
  const o = l.output;
  if (o === null || typeof o !== 'object') throw badValue(at(`${p}.output`), o, 'an output stage object');
  const op = `${p}.output`;
  checkEnum(at(`${op}.kind`), o.kind, ['requantize', 'threshold', 'accumulator']);
  if (o.kind === 'requantize') {
    const s = o.scaling;
    if (s === null || typeof s !== 'object') throw badValue(at(`${op}.scaling`), s, "{kind: 'multiplier' | 'shift' | 'onnx', ...}");
    checkEnum(at(`${op}.scaling.kind`), s.kind, ['multiplier', 'shift', 'onnx']);
    if (s.kind === 'multiplier') {
      checkEnum(at(`${op}.scaling.variant`), s.variant, ['double', 'single']);
      checkPerChannel(at(`${op}.scaling.multiplier`), s.multiplier, outC).forEach((m, j) =>
        checkInt(at(`${op}.scaling.multiplier[${j}]`), m, 0, 2 ** 31 - 1),
      );
      const sh = checkPerChannel(at(`${op}.scaling.shift`), s.shift, outC);
      if (sh.length !== s.multiplier.length) throw badValue(at(`${op}.scaling.shift`), sh, `${s.multiplier.length} shifts, one per multiplier`);
      sh.forEach((v, j) => checkInt(at(`${op}.scaling.shift[${j}]`), v, -31, 30));
    } else if (s.kind === 'shift') {
      checkEnum(at(`${op}.scaling.rounding`), s.rounding, ROUNDINGS);
      checkPerChannel(at(`${op}.scaling.shift`), s.shift, outC).forEach((v, j) => checkInt(at(`${op}.scaling.shift[${j}]`), v, 0, 62));
    } else {
      checkPerChannel(at(`${op}.scaling.scale`), s.scale, outC).forEach((v, j) => checkScale(at(`${op}.scaling.scale[${j}]`), v));
    }
    checkActQuant(at(`${op}.output`), o.output);
    const r = formatRange(o.output.format);
    checkInt(at(`${op}.clamp.min`), o.clamp?.min, r.min, r.max);
    checkInt(at(`${op}.clamp.max`), o.clamp.max, o.clamp.min, r.max);
  } else if (o.kind === 'threshold') {
    checkInt(at(`${op}.channels`), o.channels, 1, outC);
    if (o.channels !== 1 && o.channels !== outC) throw badValue(at(`${op}.channels`), o.channels, `1 or ${outC}`);
    checkInt(at(`${op}.steps`), o.steps, 1, 65535);
    if (!(o.thresholds instanceof Int32Array) || o.thresholds.length !== o.channels * o.steps) {
      throw badValue(at(`${op}.thresholds`), o.thresholds?.length, `an Int32Array of channels x steps = ${o.channels * o.steps}`);
    }
    for (let c = 0; c < o.channels; c++) {
      for (let t = 1; t < o.steps; t++) {
        const a = o.thresholds[c * o.steps + t - 1]!;
        const b = o.thresholds[c * o.steps + t]!;
        if (b < a) throw badValue(at(`${op}.thresholds[${c}][${t}]`), b, `a value >= thresholds[${c}][${t - 1}] = ${a} (sorted ascending)`);
      }
    }
    checkActQuant(at(`${op}.output`), o.output);
    checkInt(at(`${op}.offset`), o.offset, -(2 ** 31), 2 ** 31 - 1);
    if (o.bipolar) {
      if (o.output.format.type !== 'binary' || o.steps !== 1 || o.offset !== 0) {
        throw new InputError(at(`${op}: bipolar thresholds need output format binary, steps 1 and offset 0`));
      }
    } else {
      const r = formatRange(o.output.format);
      if (o.output.format.type === 'binary' || o.offset < r.min || o.offset + o.steps > r.max) {
        throw new InputError(
          at(`${op}: outputs ${o.offset}..${o.offset + o.steps} do not fit ${formatName(o.output.format)} (${r.min}..${r.max}); use more bits or bipolar`),
        );
      }
    }
  }
}

function checkTuples(name: string, l: { kernel: unknown; stride: unknown; padding: unknown }): void {
  for (const [k, n] of [['kernel', 2], ['stride', 2], ['padding', 4]] as const) {
    const v = l[k];
    if (!Array.isArray(v) || v.length !== n) throw badValue(`${name}.${k}`, v, `a list of ${n} integers`);
  }
}
