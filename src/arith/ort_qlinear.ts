/**
 * ONNX Runtime's com.microsoft QLinearAdd and QLinearGlobalAveragePool as its x86-64 CPU kernels compute them
 * (MLAS, the kernels selected on a CPU with AVX2 + FMA3), bit for bit. Tested against onnxruntime-node
 * (test/unit/ort_qlinear.test.ts) and against ORT's outputs of quantize_static residual / GAP CNNs.
 *
 * QLinearAdd (MLAS qladd_avx2.cpp, MlasQLinearAddKernelAvx2Helper), all float32:
 *   rA = sA / sC,  rB = sB / sC,  fixed = float(zC) - fma(zA, rA, rB * zB)
 *   y  = sat(rint(fma(a, rA, fma(b, rB, fixed))))
 * where `fma` rounds once (FMA3 vfmadd; the compiler contracts the source's `rA * zA + rB * zB` into one, which
 * onnxruntime-node confirms), rint is round half to even (cvtps2dq) and sat clamps to the 8-bit
 * range (packs to int16, then packus / packs to uint8 / int8). CPUs without AVX2 (MLAS's SSE2 kernel: a
 * multiply and an add, each rounded) and ARM (NEON fixed point) can differ by one near ties.
 *
 * QLinearGlobalAveragePool (MLAS qlgavgpool.cpp, NCHW), per channel over the N = H*W values:
 *   acc = wrap32(sum x - zIn * N),  s = sIn / (sOut * float(N))   (float32)
 *   y   = rint(clamp(float32(acc) * s, qmin - zOut, qmax - zOut)) + zOut   (MlasRequantizeOutput)
 * ORT refuses N >= 2^24 and s outside [2^-32, 256).
 */
import { badValue } from '../util/errors.js';
import { roundHalfEven } from './requant.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to float32 `r` towards +inf (dir 1) or -inf (dir -1); r finite and nonzero-safe. */
function nextFloat32(r: number, dir: 1 | -1): number {
  if (r === 0) return dir * 2 ** -149;
  f32[0] = r;
  u32[0] += (r > 0) === (dir > 0) ? 1 : -1;
  return f32[0]!;
}

/**
 * float32 fused multiply-add: the float32 nearest (ties to even) to the exact a * b + c, for float32 a, b, c
 * with |a * b| < 2^100. a * b is exact in float64 when the significands fit 53 bits together (true here: a is
 * an 8-bit integer); the float64 sum is corrected with its TwoSum error where it lies on a float32 midpoint.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bv = s - p;
  const err = p - (s - bv) + (c - bv); // exact: p + c = s + err
  const r = Math.fround(s);
  if (err === 0 || r === s) return r;
  // s is not a float32; float64 rounding can only mislead at a float32 midpoint
  const other = nextFloat32(r, s > r ? 1 : -1);
  if (s !== (r + other) / 2) return r;
  return (err > 0) === (other > r) ? other : r;
}

/** The float32 constants of one QLinearAdd: y = rint(fma(a, rA, fma(b, rB, fixed))). */
export interface QLinearAddParams {
  rA: number;
  rB: number;
  fixed: number;
}

/** QLinearAdd constants from the operands' and output's float32 scales and integer zero points. */
export function qlinearAddParams(sA: number, zA: number, sB: number, zB: number, sC: number, zC: number): QLinearAddParams {
  for (const [n, s] of [['sA', sA], ['sB', sB], ['sC', sC]] as const) {
    if (!(s > 0) || !Number.isFinite(s)) throw badValue(n, s, 'a finite float32 > 0');
  }
  const rA = Math.fround(Math.fround(sA) / Math.fround(sC));
  const rB = Math.fround(Math.fround(sB) / Math.fround(sC));
  const fixed = Math.fround(zC - fmaF32(zA, rA, Math.fround(rB * zB)));
  return { rA, rB, fixed };
}

/** One QLinearAdd element: integers a, b in their formats, result clamped to [qmin, qmax]. */
export function qlinearAdd(a: number, b: number, p: QLinearAddParams, qmin: number, qmax: number): number {
  const y = roundHalfEven(fmaF32(a, p.rA, fmaF32(b, p.rB, p.fixed)));
  return y < qmin ? qmin : y > qmax ? qmax : y;
}

/** The float32 rescale of QLinearGlobalAveragePool over n values per channel; throws where ORT refuses. */
export function qlinearGlobalAvgPoolScale(sIn: number, sOut: number, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n >= 2 ** 24) throw badValue('image size', n, 'an integer 1..2^24-1 (ONNX Runtime refuses larger)');
  const s = Math.fround(Math.fround(sIn) / Math.fround(Math.fround(sOut) * n));
  if (!(s >= 2 ** -32 && s < 256)) throw badValue('input scale / (output scale * image size)', s, 'in [2^-32, 256) (ONNX Runtime refuses others)');
  return s;
}
