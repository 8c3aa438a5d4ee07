/**
 * ONNX quantization operators as ONNX Runtime (CPU) computes them (docs/arithmetic.md section 3), bit for bit
 * (tested against onnxruntime-node in test/unit/onnx_ref.test.ts).
 *
 * - QuantizeLinear: `y = clamp(rint(x / scale) + zp, qmin, qmax)`; the division is float32 (the scale's
 *   type), `rint` rounds half to even. Granularity: per tensor (one scale), per axis (`scale.length ==
 *   shape[axis]`) or blocked (`blockSize > 0`: scale index along `axis` is `i // blockSize`).
 * - DequantizeLinear: `y = float32(q - zp) * scale` (float32 multiply).
 * - MatMulInteger: int32 `(A - aZp) @ (B - bZp)` (int32 accumulation wraps; bZp scalar or per column).
 * - QLinearMatMul (ORT CPU, quantize_linear_matmul.cc): the output scale per column is computed in float32
 *   as `(aScale * bScale[j]) / yScale`, the int32 accumulator is requantized by `onnxRescale`
 *   (MlasRequantizeOutput: float(acc) * scale, clamp to [qmin - zp, qmax - zp], half to even, + zp).
 * - The ONNX reference implementation (onnx/reference/ops/op_qlinear_matmul.py) rescales in float64
 *   instead: `clip(rint(acc * float32scale + zp))` with numpy's int32 x float32 -> float64 promotion;
 *   `qlinearMatMul(..., 'onnx-reference')` selects it. The two differ where the float32 product rounds
 *   onto or off a tie (e.g. acc 25, scale float32(0.1): ORT 2, reference 3).
 * - PyTorch fake quant multiplies by the float32 reciprocal instead: `nearbyint(x * (1 / scale)) + zp`,
 *   which differs from the division near ties (kept as its own named function).
 */
import { badValue } from '../util/errors.js';
import { onnxRescaleUnchecked, roundHalfEven } from './requant.js';

/** Integer element types of ONNX quantized tensors. */
export type QuantType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int4' | 'uint4' | 'int2' | 'uint2';

/** Value range of each quantized type. */
export const QUANT_RANGES: Readonly<Record<QuantType, readonly [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int4: [-8, 7], uint4: [0, 15], int2: [-2, 1], uint2: [0, 3],
};

function range(type: QuantType): readonly [number, number] {
  const r = QUANT_RANGES[type];
  if (r === undefined || !Object.hasOwn(QUANT_RANGES, type)) {
    throw badValue('type', type, `one of ${Object.keys(QUANT_RANGES).join(', ')}`);
  }
  return r;
}

/** Granularity of quantization parameters. `axis` may be negative (counts from the end). */
export interface QuantAxisOptions {
  axis?: number;
  blockSize?: number;
}

/**
 * For each element of a tensor of `shape`, the index of its scale / zero point. Returns a function of
 * the flat index, after checking that `nParams` fits the granularity.
 */
function paramIndexer(shape: readonly number[], nParams: number, opts: QuantAxisOptions): (i: number) => number {
  const size = shape.reduce((a, b) => a * b, 1);
  if (nParams === 1) return () => 0;
  const rank = shape.length;
  const ax = opts.axis ?? 1;
  if (!Number.isInteger(ax) || ax < -rank || ax >= rank) throw badValue('axis', ax, `an integer ${-rank}..${rank - 1}`);
  const a = ax < 0 ? ax + rank : ax;
  const inner = shape.slice(a + 1).reduce((x, y) => x * y, 1);
  const dim = shape[a];
  const bs = opts.blockSize ?? 0;
  if (!Number.isInteger(bs) || bs < 0) throw badValue('blockSize', bs, 'an integer >= 0 (0 = per axis)');
  if (bs === 0) {
    if (nParams !== dim) throw badValue('scale.length', nParams, `1 or shape[${a}] = ${dim}`);
    return (i) => Math.floor(i / inner) % dim;
  }
  const nb = Math.ceil(dim / bs);
  if (nParams * dim !== size * nb) {
    throw badValue('scale.length', nParams, `${(size / dim) * nb} (shape with dim ${a} = ceil(${dim} / ${bs}))`);
  }
  // scale shape = shape with dim a replaced by nb; row-major index of the element's block
  return (i) => {
    const outer = Math.floor(i / (inner * dim));
    const j = Math.floor(i / inner) % dim;
    const k = i % inner;
    return (outer * nb + Math.floor(j / bs)) * inner + k;
  };
}

function checkShape(shape: readonly number[], n: number): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw badValue('shape', shape, 'non-negative integer dimensions');
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== n) throw badValue('shape', `[${shape.join(', ')}]`, `a shape with ${n} elements (the data length)`);
}

/** ONNX QuantizeLinear as ONNX Runtime computes it (float32 division, half to even, + zp, clamp). */
export function quantizeLinear<T extends Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array>(
  x: ArrayLike<number>, shape: readonly number[], scale: ArrayLike<number>, zeroPoint: ArrayLike<number>,
  type: QuantType, opts: QuantAxisOptions, out: T,
): T {
  const [lo, hi] = range(type);
  checkShape(shape, x.length);
  if (zeroPoint.length !== scale.length) throw badValue('zeroPoint.length', zeroPoint.length, `equal to scale.length (${scale.length})`);
  if (out.length < x.length) throw badValue('out.length', out.length, `at least x.length (${x.length})`);
  const s32 = Float32Array.from(scale);
  for (let c = 0; c < s32.length; c++) {
    if (!(s32[c] > 0) || !Number.isFinite(s32[c])) throw badValue(`scale[${c}]`, scale[c], 'a positive finite float32');
    if (!Number.isInteger(zeroPoint[c]) || zeroPoint[c] < lo || zeroPoint[c] > hi) throw badValue(`zeroPoint[${c}]`, zeroPoint[c], `an integer ${lo}..${hi}`);
  }
  const idx = paramIndexer(shape, s32.length, opts);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi !== xi) throw badValue(`x[${i}]`, xi, 'a number (not NaN)');
    const c = idx(i);
    const q = Math.fround(Math.fround(xi) / s32[c]); // float32 division (double then round: exact)
    const v = (Number.isFinite(q) ? roundHalfEven(q) : q) + zeroPoint[c];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** ONNX DequantizeLinear: `float32(q - zp) * scale` in float32. */
export function dequantizeLinear(
  q: ArrayLike<number>, shape: readonly number[], scale: ArrayLike<number>, zeroPoint: ArrayLike<number>,
  opts: QuantAxisOptions, out: Float32Array,
): Float32Array {
  checkShape(shape, q.length);
  if (zeroPoint.length !== scale.length) throw badValue('zeroPoint.length', zeroPoint.length, `equal to scale.length (${scale.length})`);
  if (out.length < q.length) throw badValue('out.length', out.length, `at least q.length (${q.length})`);
  const s32 = Float32Array.from(scale);
  const idx = paramIndexer(shape, s32.length, opts);
  for (let i = 0; i < q.length; i++) {
    const c = idx(i);
    out[i] = Math.fround(q[i] - zeroPoint[c]) * s32[c];
  }
  return out;
}

/** PyTorch fake quantization: `clamp(nearbyint(x * float32(1 / scale)) + zp, qmin, qmax)`. */
export function fakeQuantReciprocal(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  if (!(scale > 0) || !Number.isFinite(scale)) throw badValue('scale', scale, 'a positive finite float32');
  const inv = Math.fround(1 / Math.fround(scale));
  const v = roundHalfEven(Math.fround(Math.fround(x) * inv)) + zeroPoint;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

function checkMat(name: string, a: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) throw badValue(`${name} shape`, `${rows}x${cols}`, 'non-negative integer dimensions');
  if (a.length !== rows * cols) throw badValue(`${name}.length`, a.length, `${rows} x ${cols} = ${rows * cols}`);
}

/**
 * ONNX MatMulInteger: `out[m*N + n] = sum_k (A[m,k] - aZp) * (B[k,n] - bZp[n])`, int32 (wrapping).
 * `bZp` is one value (per tensor) or N values (per column). Row-major A [M,K], B [K,N].
 */
export function matMulInteger(
  A: ArrayLike<number>, aZp: number, B: ArrayLike<number>, bZp: ArrayLike<number>,
  M: number, K: number, N: number, out: Int32Array,
): Int32Array {
  checkMat('A', A, M, K);
  checkMat('B', B, K, N);
  if (!Number.isInteger(aZp)) throw badValue('aZp', aZp, 'an integer');
  if (bZp.length !== 1 && bZp.length !== N) throw badValue('bZp.length', bZp.length, `1 or N (${N})`);
  if (out.length < M * N) throw badValue('out.length', out.length, `at least M x N = ${M * N}`);
  const perCol = bZp.length !== 1;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const bz = perCol ? bZp[n] : bZp[0];
      let acc = 0;
      for (let k = 0; k < K; k++) acc = (acc + (A[m * K + k] - aZp) * (B[k * N + n] - bz)) | 0;
      out[m * N + n] = acc;
    }
  }
  return out;
}

/** Which rescale QLinearMatMul uses: ONNX Runtime's float32 path or the ONNX reference's float64 one. */
export type QLinearRescale = 'ort' | 'onnx-reference';

/**
 * The ONNX reference rescale: `clamp(rint(acc * scale32 + zp), qmin, qmax)` in float64 (half to even),
 * `scale32` the float32 output scale. `scale32`, `zp`, bounds as in `onnxRescale`.
 */
export function onnxReferenceRescale(acc: number, scale32: number, zeroPoint: number, qmin: number, qmax: number): number {
  const v = roundHalfEven(acc * scale32 + zeroPoint);
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

/**
 * ONNX QLinearMatMul: MatMulInteger, then per column j the float32 scale `(aScale * bScale[j]) / yScale`
 * and the rescale named by `rescale` — `'ort'` (default: ONNX Runtime's CPU kernel, `onnxRescale`) or
 * `'onnx-reference'` (float64, `onnxReferenceRescale`).
 */
export function qlinearMatMul<T extends Int8Array | Uint8Array | Int32Array>(
  A: ArrayLike<number>, aScale: number, aZp: number,
  B: ArrayLike<number>, bScale: ArrayLike<number>, bZp: ArrayLike<number>,
  yScale: number, yZp: number, yType: 'int8' | 'uint8',
  M: number, K: number, N: number, out: T, rescale: QLinearRescale = 'ort',
): T {
  const [lo, hi] = range(yType);
  if (rescale !== 'ort' && rescale !== 'onnx-reference') throw badValue('rescale', rescale, 'ort or onnx-reference');
  if (bScale.length !== 1 && bScale.length !== N) throw badValue('bScale.length', bScale.length, `1 or N (${N})`);
  if (!Number.isInteger(yZp) || yZp < lo || yZp > hi) throw badValue('yZp', yZp, `an integer ${lo}..${hi}`);
  if (out.length < M * N) throw badValue('out.length', out.length, `at least M x N = ${M * N}`);
  const acc = matMulInteger(A, aZp, B, bZp, M, K, N, new Int32Array(M * N));
  const a32 = Math.fround(aScale);
  const y32 = Math.fround(yScale);
  const scales = new Float32Array(bScale.length);
  for (let j = 0; j < scales.length; j++) scales[j] = Math.fround(Math.fround(a32 * Math.fround(bScale[j])) / y32);
  const lo32 = Math.fround(lo - yZp);
  const hi32 = Math.fround(hi - yZp);
  const perCol = scales.length !== 1;
  const ref = rescale === 'onnx-reference';
  for (let i = 0; i < M * N; i++) {
    const s = perCol ? scales[i % N] : scales[0];
    out[i] = ref ? onnxReferenceRescale(acc[i], s, yZp, lo, hi) : onnxRescaleUnchecked(acc[i], s, yZp, lo32, hi32);
  }
  return out;
}
