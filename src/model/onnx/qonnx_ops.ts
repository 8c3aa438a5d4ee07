import { roundHalfEven } from '../../arith/index.js';
import { formatRange, intFormat } from '../../arith/format.js';
import { InputError } from '../../util/errors.js';

/**
 * The QONNX custom ops (domain `qonnx.custom_op.general`, also `finn.custom_op.general`) as their reference
 * definitions compute them (qonnx `custom_op/general/{quant,bipolar_quant,trunc,multithreshold}.py`; written
 * out in docs/qonnx.md). Elementwise on one value; float32 arithmetic as numpy does on float32 tensors.
 * The importer (qonnx_import.ts) folds them into integer weights and threshold stages; these functions are
 * the definitions it is tested against, and what it uses to fold constants.
 */

/**
 * Rounding modes of Quant / Trunc (qonnx resolve_rounding_mode): ROUND = HALF_EVEN (np.round), CEIL, FLOOR,
 * UP (away from zero), DOWN (np.fix, toward zero), HALF_UP / HALF_DOWN (ties away from / toward zero);
 * ROUND_TO_ZERO is Brevitas's name for DOWN.
 */
export type QonnxRounding = 'ROUND' | 'HALF_EVEN' | 'CEIL' | 'FLOOR' | 'UP' | 'DOWN' | 'ROUND_TO_ZERO' | 'HALF_UP' | 'HALF_DOWN';
export const QONNX_ROUNDINGS: readonly QonnxRounding[] = ['ROUND', 'HALF_EVEN', 'CEIL', 'FLOOR', 'UP', 'DOWN', 'ROUND_TO_ZERO', 'HALF_UP', 'HALF_DOWN'];

export function qonnxRound(v: number, mode: QonnxRounding): number {
  switch (mode) {
    case 'ROUND':
    case 'HALF_EVEN': {
      const r = roundHalfEven(v);
      return r === 0 && (v < 0 || Object.is(v, -0)) ? -0 : r; // np.round keeps the sign of zero
    }
    case 'CEIL': return Math.ceil(v);
    case 'FLOOR': return Math.floor(v);
    case 'UP': return Math.sign(v) * Math.ceil(Math.abs(v));
    case 'DOWN':
    case 'ROUND_TO_ZERO': return Math.trunc(v);
    case 'HALF_UP': return Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
    case 'HALF_DOWN': return Math.sign(v) * Math.ceil(Math.abs(v) - 0.5);
  }
}

/** The rounding mode attribute (case-insensitive, as qonnx's resolve_rounding_mode). */
export function parseRounding(s: string, where: string): QonnxRounding {
  const m = s.toUpperCase() as QonnxRounding;
  if (!QONNX_ROUNDINGS.includes(m)) throw new InputError(`${where}: rounding_mode ${s}; allowed: ${QONNX_ROUNDINGS.join(', ')}`);
  return m;
}

/** Integer range of Quant: signed [-2^(b-1) (+1 if narrow), 2^(b-1) - 1], unsigned [0, 2^b - 1 (-1 if narrow)]. */
export function quantIntRange(bits: number, signed: boolean, narrow: boolean): { min: number; max: number } {
  const r = formatRange(intFormat(bits, signed), narrow && signed);
  return signed || !narrow ? r : { min: r.min, max: r.max - 1 }; // QONNX's unsigned narrow drops the top code
}

export interface QuantParams {
  scale: number;
  zeroPoint: number;
  bits: number;
  signed: boolean;
  narrow: boolean;
  rounding: QonnxRounding;
}

/**
 * Quant's integer: y = x / scale + zeroPoint (float32); bits 1 and signed: y >= 0 ? 1 : -1; otherwise clamp to
 * the integer range, then round by the rounding mode. The output of the op is `(q - zeroPoint) * scale`.
 */
export function quantInt(x: number, p: QuantParams): number {
  const f = Math.fround;
  const y = f(f(f(x) / f(p.scale)) + f(p.zeroPoint));
  if (p.bits === 1 && p.signed) return y >= 0 ? 1 : -1;
  const { min, max } = quantIntRange(p.bits, p.signed, p.narrow);
  return qonnxRound(y > max ? max : y < min ? min : y, p.rounding);
}

/** Quant's float output: (quantInt(x) - zeroPoint) * scale in float32. */
export function quant(x: number, p: QuantParams): number {
  const f = Math.fround;
  return f(f(quantInt(x, p) - f(p.zeroPoint)) * f(p.scale));
}

/** BipolarQuant: (x >= 0 ? 1 : -1) * scale. */
export function bipolarQuant(x: number, scale: number): number {
  return Math.fround((Math.fround(x) >= 0 ? 1 : -1) * Math.fround(scale));
}

export interface TruncParams {
  scale: number;
  zeroPoint: number;
  outScale: number;
  outBits: number;
  signed: boolean;
  narrow: boolean;
  rounding: QonnxRounding;
}

/** Trunc's power-of-two step: 2^round(log2(outScale / scale)). */
export function truncStep(p: Pick<TruncParams, 'scale' | 'outScale'>): number {
  return 2 ** roundHalfEven(Math.log2(Math.fround(Math.fround(p.outScale) / Math.fround(p.scale))));
}

/**
 * Trunc's integer: y = round(x / scale + zeroPoint) (half to even), y / step, clamp to the output range,
 * then the rounding mode; the output of the op is `(q - zeroPoint / step) * outScale`.
 */
export function truncInt(x: number, p: TruncParams): number {
  const f = Math.fround;
  const y = roundHalfEven(f(f(f(x) / f(p.scale)) + f(p.zeroPoint)));
  const t = f(y / truncStep(p));
  const { min, max } = quantIntRange(p.outBits, p.signed, p.narrow);
  return qonnxRound(t > max ? max : t < min ? min : t, p.rounding);
}

/** Trunc's float output. */
export function trunc(x: number, p: TruncParams): number {
  const f = Math.fround;
  return f(f(truncInt(x, p) - f(f(p.zeroPoint) / truncStep(p))) * f(p.outScale));
}

/** Trunc opset 1 (5 inputs): no clamp, no output scale. */
export interface TruncV1Params {
  scale: number;
  zeroPoint: number;
  inBits: number;
  outBits: number;
  rounding: QonnxRounding;
}

/** Trunc v1's integer: rounding(round(x / scale + zeroPoint) / 2^(inBits - outBits)); the op outputs (q - zeroPoint) * scale. */
export function truncV1Int(x: number, p: TruncV1Params): number {
  const f = Math.fround;
  const y = roundHalfEven(f(f(f(x) / f(p.scale)) + f(p.zeroPoint)));
  return qonnxRound(f(y / 2 ** (p.inBits - p.outBits)), p.rounding);
}

/** Trunc v1's float output. */
export function truncV1(x: number, p: TruncV1Params): number {
  const f = Math.fround;
  return f(f(truncV1Int(x, p) - f(p.zeroPoint)) * f(p.scale));
}

/** MultiThreshold of one value against its channel's thresholds: outScale * #{t : x >= t} + outBias. */
export function multiThreshold(x: number, thresholds: ArrayLike<number>, outScale = 1, outBias = 0): number {
  let n = 0;
  for (let i = 0; i < thresholds.length; i++) if (Math.fround(x) >= Math.fround(thresholds[i]!)) n++;
  return Math.fround(Math.fround(Math.fround(outScale) * n) + Math.fround(outBias));
}
