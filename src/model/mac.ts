import { packBits, packedWords, xnorDotAt } from '../arith/index.js';
import { gemmInt } from '../kernels/gemm.js';
import { accOutBits, type AccSpec } from '../kernels/gemm_ref.js';
import { InputError } from '../util/errors.js';
import { gemmXnor } from '../kernels/xnor.js';
import type { Conv2dLayer, DenseLayer, TensorFormat } from './types.js';
import { effectiveWeights, groupDescription } from './group.js';
import { windowOutput } from './shapes.js';

/**
 * Accumulators of dense and conv2d layers — part of the integer reference inference (infer.ts).
 *
 *   acc = wrap32( sum (w - wZp) * (x - xZp) + bias )
 *
 * The sum is taken modulo 2^32 (`Math.imul` products, `| 0` sums): the result equals the exact sum wrapped
 * to int32, which is what a 32-bit two's complement accumulator holds — and equals the exact sum whenever
 * that fits int32. Zero points are subtracted once per tensor (weights: once per layer, cached).
 * When both weights and inputs are binary the sum is `xnorDot` over packed bits (docs/arithmetic.md section 5).
 * A layer with per-group scales accumulates its effective weights `(w - wZp) * m[o][g]` (group.ts), the same
 * ring sum as `sum_g m_g acc_g`.
 *
 * With an accumulator `spec` (`integerInference(.., {accumulator})`) the sum is instead what a PE with that
 * register computes (kernels/gemm_ref.ts: `bits` wide, WRAP or SAT after every add, optionally chunked),
 * k in the weight row's order (dense: input index; conv: (c, i, j) of OIHW), the bias first (chunked:
 * in the wide register); padding terms are 0 in their place. The result must fit int32 (at most 32 bits).
 */

interface Prepared {
  /** w - wZp, row-major [rows][rowLength] */
  w: Int32Array;
  /** packed ±1 rows (binary weights without groups), each `packedWords(rowLength)` words */
  bits: Uint32Array | null;
  /** every |w'| <= 32767 (the WebAssembly GEMM's int16 operands) */
  wFitsI16: boolean;
}
const cache = new WeakMap<Int32Array, Prepared>();

function prepared(layer: DenseLayer | Conv2dLayer, rows: number): Prepared {
  const data = layer.weight.data;
  let p = cache.get(data);
  if (p) return p;
  const rowLength = data.length / rows;
  const w = effectiveWeights(layer);
  let bits: Uint32Array | null = null;
  if (layer.weight.format.type === 'binary' && layer.weight.group === undefined) {
    const wpr = packedWords(rowLength);
    bits = new Uint32Array(rows * wpr);
    for (let o = 0; o < rows; o++) packBits(data.subarray(o * rowLength, (o + 1) * rowLength), bits.subarray(o * wpr, (o + 1) * wpr));
  }
  let maxAbs = 0;
  for (let i = 0; i < w.length; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]!));
  p = { w, bits, wFitsI16: maxAbs <= 32767 };
  cache.set(data, p);
  return p;
}

/**
 * Dense accumulators: x is [batch][in] integers, acc gets [batch][out] int32.
 * `u8s8Saturation`: emulate ONNX Runtime's x86 AVX2 u8 x s8 GEMM kernel (MLAS, CPUs without VNNI), whose
 * `vpmaddubsw` adds the products of consecutive input pairs (k = 2j, 2j + 1) of the RAW uint8 activations
 * and int8 weights with int16 saturation before widening:
 *   acc = sum_j sat16(x[2j] w[2j] + x[2j+1] w[2j+1]) - xZp sum w - wZp sum x + K xZp wZp + bias.
 * Applies only when the input is unsigned and the weights signed, both at most 8 bits; otherwise exact.
 */
export function denseAcc(
  layer: DenseLayer, x: Int32Array, batch: number, acc: Int32Array, u8s8Saturation = false, kernel: 'auto' | 'js' = 'auto', spec?: AccSpec,
): Int32Array {
  const K = layer.inFeatures;
  const N = layer.outFeatures;
  const p = prepared(layer, N);
  const bias = layer.bias;
  const inF = layer.input.format;
  const wF = layer.weight.format;
  if (spec !== undefined) {
    checkSpec(layer, spec);
    gemmInt(subtractZp(x, layer.input.zeroPoint), p.w, batch, K, N, spec, acc, { bias: bias ?? undefined, wTransposed: true });
    return acc;
  }
  if (u8s8Saturation && layer.weight.group === undefined && inF.type === 'int' && !inF.signed && inF.bits <= 8 && wF.type === 'int' && wF.signed && wF.bits <= 8) {
    return denseAccU8S8Sat(layer, x, batch, acc);
  }
  if (p.bits && layer.input.format.type === 'binary') {
    const wpr = packedWords(K);
    const xb = new Uint32Array(batch * wpr);
    for (let b = 0; b < batch; b++) packBits(x.subarray(b * K, (b + 1) * K), xb.subarray(b * wpr, (b + 1) * wpr));
    if (kernel === 'auto') {
      // WebAssembly XNOR-popcount GEMM (same xnorDot per output), then the bias with a 32-bit wrap
      gemmXnor(xb, p.bits, batch, N, K, acc);
      if (bias) for (let b = 0; b < batch; b++) for (let o = 0; o < N; o++) acc[b * N + o] = (acc[b * N + o]! + bias[o]!) | 0;
      return acc;
    }
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < N; o++) {
        acc[b * N + o] = (xnorDotAt(xb, b * wpr, p.bits, o * wpr, K) + (bias ? bias[o]! : 0)) | 0;
      }
    }
    return acc;
  }
  if (kernel === 'auto' && fitsI16(layer.input.format) && p.wFitsI16) {
    // (x - xZp) and (w - wZp) lie in [-32767, 32767]: the WebAssembly GEMM, wrapping at 32 bits with the
    // bias as the initial value, is the same ring sum
    gemmInt(subtractZp(x, layer.input.zeroPoint), p.w, batch, K, N, ACC32, acc, { bias: bias ?? undefined, wTransposed: true });
    return acc;
  }
  return denseAccJs(layer, x, batch, acc);
}

const ACC32 = { bits: 32, overflow: 'WRAP' } as const;

/** An accumulator spec the reference can run: result of at most 32 bits, operands of at most 15 bits. */
function checkSpec(layer: DenseLayer | Conv2dLayer, spec: AccSpec): void {
  if (layer.weight.group !== undefined) throw new InputError(`layer ${layer.name}: an accumulator spec models one PE register; this layer has ${groupDescription(layer)} (a widened accumulator): run it without the spec`);
  if (accOutBits(spec) > 32) throw new InputError(`accumulator: ${accOutBits(spec)} bits; the integer reference's output stages take int32 accumulators (at most 32 bits)`);
  if (!fitsI16(layer.input.format) || !fitsI16(layer.weight.format)) {
    throw new InputError(`layer ${layer.name}: an accumulator spec needs operands of at most 15 bits (got ${layer.input.format.type === 'int' ? layer.input.format.bits : 1} x ${layer.weight.format.type === 'int' ? layer.weight.format.bits : 1})`);
  }
}

/** Formats whose values minus a zero point of the same format stay within [-32767, 32767]. */
function fitsI16(f: TensorFormat): boolean {
  return f.type === 'binary' || f.bits <= 15;
}

/** The plain JS accumulation loop (any width; four outputs at a time). */
export function denseAccJs(layer: DenseLayer, x: Int32Array, batch: number, acc: Int32Array): Int32Array {
  const K = layer.inFeatures;
  const N = layer.outFeatures;
  const bias = layer.bias;
  const xs = subtractZp(x, layer.input.zeroPoint);
  const w = prepared(layer, N).w;
  for (let b = 0; b < batch; b++) {
    const xo = b * K;
    let o = 0;
    // four rows at a time: each x element is loaded once per four outputs
    for (; o + 4 <= N; o += 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      const r0 = o * K, r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
      for (let k = 0; k < K; k++) {
        const v = xs[xo + k]!;
        a0 = (a0 + Math.imul(w[r0 + k]!, v)) | 0;
        a1 = (a1 + Math.imul(w[r1 + k]!, v)) | 0;
        a2 = (a2 + Math.imul(w[r2 + k]!, v)) | 0;
        a3 = (a3 + Math.imul(w[r3 + k]!, v)) | 0;
      }
      const ao = b * N + o;
      acc[ao] = (a0 + (bias ? bias[o]! : 0)) | 0;
      acc[ao + 1] = (a1 + (bias ? bias[o + 1]! : 0)) | 0;
      acc[ao + 2] = (a2 + (bias ? bias[o + 2]! : 0)) | 0;
      acc[ao + 3] = (a3 + (bias ? bias[o + 3]! : 0)) | 0;
    }
    for (; o < N; o++) {
      let a = 0;
      const r = o * K;
      for (let k = 0; k < K; k++) a = (a + Math.imul(w[r + k]!, xs[xo + k]!)) | 0;
      acc[b * N + o] = (a + (bias ? bias[o]! : 0)) | 0;
    }
  }
  return acc;
}

/** x - zp into a new array (one allocation per tensor). */
function subtractZp(x: Int32Array, zp: number): Int32Array {
  if (zp === 0) return x;
  const r = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) r[i] = x[i]! - zp;
  return r;
}

/**
 * Conv2d accumulators over CHW: x is [batch][C][H][W], acc gets [batch][O][H'][W'] int32.
 * Positions in the padding hold the input zero point, i.e. contribute 0 after the subtraction.
 */
export function conv2dAcc(
  layer: Conv2dLayer, x: Int32Array, batch: number, inShape: readonly number[], acc: Int32Array, kernel: 'auto' | 'js' = 'auto', spec?: AccSpec,
): Int32Array {
  if (spec !== undefined) {
    checkSpec(layer, spec);
    return conv2dAccGemm(layer, x, batch, inShape, acc, spec);
  }
  if (kernel === 'auto' && fitsI16(layer.input.format) && prepared(layer, layer.outChannels).wFitsI16) return conv2dAccGemm(layer, x, batch, inShape, acc, ACC32);
  return conv2dAccJs(layer, x, batch, inShape, acc);
}

/**
 * Conv2d as im2col + the WebAssembly GEMM: for a chunk of samples, rows (b, y, x) of the column matrix hold
 * the window (c, i, j) of x - xZp (0 in the padding), times w'^T, giving [b][y][x][o]; transposed into
 * [b][o][y][x]. Same ring sum as `conv2dAccJs` (wrap at 32 bits, bias as the initial value).
 */
function conv2dAccGemm(layer: Conv2dLayer, x: Int32Array, batch: number, inShape: readonly number[], acc: Int32Array, spec: AccSpec): Int32Array {
  const [C, H, W] = inShape as [number, number, number];
  const O = layer.outChannels;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [pt, pl, pb, pr] = layer.padding;
  const Ho = windowOutput(H, pt, pb, kh, sh);
  const Wo = windowOutput(W, pl, pr, kw, sw);
  const K = C * kh * kw;
  const P = Ho * Wo;
  const w = prepared(layer, O).w;
  const zp = layer.input.zeroPoint;
  const chunk = Math.max(1, Math.min(batch, Math.floor((16 << 20) / (P * K * 2 + 1))));
  const col = new Int16Array(chunk * P * K);
  const out = new Int32Array(chunk * P * O);
  const bias = layer.bias ?? undefined;
  for (let b0 = 0; b0 < batch; b0 += chunk) {
    const nb = Math.min(chunk, batch - b0);
    col.fill(0);
    for (let b = 0; b < nb; b++) {
      const xb = (b0 + b) * C * H * W;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const row = ((b * Ho + oy) * Wo + ox) * K;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kh; i++) {
              const iy = oy * sh - pt + i;
              if (iy < 0 || iy >= H) continue;
              const src = xb + (c * H + iy) * W;
              const dst = row + (c * kh + i) * kw;
              for (let j = 0; j < kw; j++) {
                const ix = ox * sw - pl + j;
                if (ix >= 0 && ix < W) col[dst + j] = x[src + ix]! - zp;
              }
            }
          }
        }
      }
    }
    const res = gemmInt(nb === chunk ? col : col.subarray(0, nb * P * K), w, nb * P, K, O, spec, nb === chunk ? out : out.subarray(0, nb * P * O), { bias, wTransposed: true });
    for (let b = 0; b < nb; b++) {
      for (let p = 0; p < P; p++) {
        const s = (b * P + p) * O;
        const d = (b0 + b) * O * P + p;
        for (let o = 0; o < O; o++) acc[d + o * P] = res[s + o] as number;
      }
    }
  }
  return acc;
}

/** The plain JS conv loop (any width). */
export function conv2dAccJs(layer: Conv2dLayer, x: Int32Array, batch: number, inShape: readonly number[], acc: Int32Array): Int32Array {
  const [C, H, W] = inShape as [number, number, number];
  const O = layer.outChannels;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [pt, pl, pb, pr] = layer.padding;
  const Ho = windowOutput(H, pt, pb, kh, sh);
  const Wo = windowOutput(W, pl, pr, kw, sw);
  const w = prepared(layer, O).w;
  const xs = subtractZp(x, layer.input.zeroPoint);
  const bias = layer.bias;
  const rowLength = C * kh * kw;
  for (let b = 0; b < batch; b++) {
    const xb = b * C * H * W;
    for (let o = 0; o < O; o++) {
      const wr = o * rowLength;
      const ab = ((b * O + o) * Ho) * Wo;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let a = 0;
          const iy0 = oy * sh - pt;
          const ix0 = ox * sw - pl;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kh; i++) {
              const iy = iy0 + i;
              if (iy < 0 || iy >= H) continue;
              const xrow = xb + (c * H + iy) * W;
              const wrow = wr + (c * kh + i) * kw;
              for (let j = 0; j < kw; j++) {
                const ix = ix0 + j;
                if (ix < 0 || ix >= W) continue;
                a = (a + Math.imul(w[wrow + j]!, xs[xrow + ix]!)) | 0;
              }
            }
          }
          acc[ab + oy * Wo + ox] = (a + (bias ? bias[o]! : 0)) | 0;
        }
      }
    }
  }
  return acc;
}

/** The saturating u8 x s8 pair-sum accumulation described at `denseAcc`. */
function denseAccU8S8Sat(layer: DenseLayer, x: Int32Array, batch: number, acc: Int32Array): Int32Array {
  const K = layer.inFeatures;
  const N = layer.outFeatures;
  const w = layer.weight.data;
  const zA = layer.input.zeroPoint;
  const bias = layer.bias;
  for (let b = 0; b < batch; b++) {
    const xo = b * K;
    let sumA = 0;
    for (let k = 0; k < K; k++) sumA += x[xo + k]!;
    for (let o = 0; o < N; o++) {
      const r = o * K;
      const zB = layer.weight.zeroPoint.length === 1 ? layer.weight.zeroPoint[0]! : layer.weight.zeroPoint[o]!;
      let s = 0;
      let sumW = 0;
      for (let k = 0; k < K; k += 2) {
        let pr = x[xo + k]! * w[r + k]!;
        sumW += w[r + k]!;
        if (k + 1 < K) {
          pr += x[xo + k + 1]! * w[r + k + 1]!;
          sumW += w[r + k + 1]!;
        }
        s += pr > 32767 ? 32767 : pr < -32768 ? -32768 : pr;
      }
      acc[b * N + o] = (s - zA * sumW - zB * sumA + K * zA * zB + (bias ? bias[o]! : 0)) | 0;
    }
  }
  return acc;
}
