/**
 * Float32 GEMM kernels for training (row-major, no allocation). Three shapes cover dense layers and
 * im2col convolutions:
 *
 *   gemmNT:  y[b][o]  = sum_i x[b][i]  * w[o][i]            (forward,       x: n x k,  w: m x k, y: n x m)
 *   gemmNN:  dx[b][i] = sum_o dy[b][o] * w[o][i]            (input grad,    dy: n x m, w: m x k, dx: n x k)
 *   gemmTN:  dw[o][i] += sum_b dy[b][o] * x[b][i]           (weight grad,   accumulates into dw)
 *
 * Two implementations: the `*Js` kernels (contiguous dot products and axpys blocked four rows at a time,
 * summed in float64) and, by default, the WebAssembly SIMD kernel (src/kernels/gemm_f32_wat.ts, f32x4 partial sums), reached
 * through transposes (`gemmNN` = NT against w^T, `gemmTN` = NT of dy^T and x^T, both O(size) copies beside
 * the O(n m k) product). Either way the summation order is fixed, so results are deterministic on a machine.
 * `setGemmBackend('js')` selects the JS kernels (the benchmark compares the two).
 */
import { wasmGemmNT } from './gemm_wasm.js';

export type GemmBackend = 'wasm' | 'js';
let backend: GemmBackend = 'wasm';
export function setGemmBackend(b: GemmBackend): void {
  backend = b;
}
export function gemmBackend(): GemmBackend {
  return backend;
}

let tA = new Float32Array(0);
let tB = new Float32Array(0);
let tC = new Float32Array(0);
/** out (cols x rows) = transpose of src (rows x cols). */
function transpose(src: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
}

/** y[b*m + o] = sum_i x[b*k + i] * w[o*k + i] (+ bias[o] when given). */
export function gemmNT(x: Float32Array, w: Float32Array, n: number, k: number, m: number, y: Float32Array, bias?: Float32Array | null): void {
  if (backend === 'js') return gemmNTJs(x, w, n, k, m, y, bias);
  wasmGemmNT(x, w, n, m, k, y);
  if (bias) for (let b = 0; b < n; b++) for (let o = 0; o < m; o++) y[b * m + o] += bias[o]!;
}

/** dx[b*k + i] = sum_o dy[b*m + o] * w[o*k + i]. */
export function gemmNN(dy: Float32Array, w: Float32Array, n: number, m: number, k: number, dx: Float32Array): void {
  if (backend === 'js') return gemmNNJs(dy, w, n, m, k, dx);
  if (tA.length < m * k) tA = new Float32Array(m * k);
  transpose(w, m, k, tA);
  wasmGemmNT(dy, tA, n, k, m, dx);
}

/** dw[o*k + i] += sum_b dy[b*m + o] * x[b*k + i]. */
export function gemmTN(dy: Float32Array, x: Float32Array, n: number, m: number, k: number, dw: Float32Array): void {
  if (backend === 'js') return gemmTNJs(dy, x, n, m, k, dw);
  if (tA.length < m * n) tA = new Float32Array(m * n);
  if (tB.length < k * n) tB = new Float32Array(k * n);
  if (tC.length < m * k) tC = new Float32Array(m * k);
  transpose(dy, n, m, tA);
  transpose(x, n, k, tB);
  wasmGemmNT(tA, tB, m, k, n, tC);
  for (let i = 0; i < m * k; i++) dw[i] += tC[i]!;
}

/** JS kernel of gemmNT. */
export function gemmNTJs(x: Float32Array, w: Float32Array, n: number, k: number, m: number, y: Float32Array, bias?: Float32Array | null): void {
  let b = 0;
  for (; b + 4 <= n; b += 4) {
    const x0 = b * k;
    const x1 = x0 + k;
    const x2 = x1 + k;
    const x3 = x2 + k;
    for (let o = 0; o < m; o++) {
      const wo = o * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < k; i++) {
        const wv = w[wo + i]!;
        s0 += x[x0 + i]! * wv;
        s1 += x[x1 + i]! * wv;
        s2 += x[x2 + i]! * wv;
        s3 += x[x3 + i]! * wv;
      }
      const bo = bias ? bias[o]! : 0;
      y[b * m + o] = s0 + bo;
      y[(b + 1) * m + o] = s1 + bo;
      y[(b + 2) * m + o] = s2 + bo;
      y[(b + 3) * m + o] = s3 + bo;
    }
  }
  for (; b < n; b++) {
    const x0 = b * k;
    for (let o = 0; o < m; o++) {
      const wo = o * k;
      let s0 = 0;
      for (let i = 0; i < k; i++) s0 += x[x0 + i]! * w[wo + i]!;
      y[b * m + o] = s0 + (bias ? bias[o]! : 0);
    }
  }
}

/** JS kernel of gemmNN. */
export function gemmNNJs(dy: Float32Array, w: Float32Array, n: number, m: number, k: number, dx: Float32Array): void {
  const acc = scratch(k * 4);
  let b = 0;
  for (; b + 4 <= n; b += 4) {
    acc.fill(0, 0, 4 * k);
    const d0 = b * m;
    for (let o = 0; o < m; o++) {
      const a0 = dy[d0 + o]!;
      const a1 = dy[d0 + m + o]!;
      const a2 = dy[d0 + 2 * m + o]!;
      const a3 = dy[d0 + 3 * m + o]!;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const wo = o * k;
      for (let i = 0; i < k; i++) {
        const wv = w[wo + i]!;
        acc[i] += a0 * wv;
        acc[k + i] += a1 * wv;
        acc[2 * k + i] += a2 * wv;
        acc[3 * k + i] += a3 * wv;
      }
    }
    const base = b * k;
    for (let i = 0; i < 4 * k; i++) dx[base + i] = acc[i]!;
  }
  for (; b < n; b++) {
    acc.fill(0, 0, k);
    for (let o = 0; o < m; o++) {
      const a = dy[b * m + o]!;
      if (a === 0) continue;
      const wo = o * k;
      for (let i = 0; i < k; i++) acc[i] += a * w[wo + i]!;
    }
    for (let i = 0; i < k; i++) dx[b * k + i] = acc[i]!;
  }
}

/** JS kernel of gemmTN. */
export function gemmTNJs(dy: Float32Array, x: Float32Array, n: number, m: number, k: number, dw: Float32Array): void {
  const acc = scratch(k);
  for (let o = 0; o < m; o++) {
    const wo = o * k;
    for (let i = 0; i < k; i++) acc[i] = dw[wo + i]!;
    let b = 0;
    for (; b + 4 <= n; b += 4) {
      const a0 = dy[b * m + o]!;
      const a1 = dy[(b + 1) * m + o]!;
      const a2 = dy[(b + 2) * m + o]!;
      const a3 = dy[(b + 3) * m + o]!;
      const x0 = b * k;
      const x1 = x0 + k;
      const x2 = x1 + k;
      const x3 = x2 + k;
      for (let i = 0; i < k; i++) acc[i] += a0 * x[x0 + i]! + a1 * x[x1 + i]! + a2 * x[x2 + i]! + a3 * x[x3 + i]!;
    }
    for (; b < n; b++) {
      const a = dy[b * m + o]!;
      const x0 = b * k;
      for (let i = 0; i < k; i++) acc[i] += a * x[x0 + i]!;
    }
    for (let i = 0; i < k; i++) dw[wo + i] = acc[i]!;
  }
}

/** The naive definition of all three (tests compare the fast kernels with it). */
export function gemmRef(
  a: ArrayLike<number>, aT: boolean, bm: ArrayLike<number>, bT: boolean, n: number, k: number, m: number, out: Float64Array,
): void {
  // out[r][c] = sum_j A[r][j] * B[j][c], A: n x k (stored k x n when aT), B: k x m (stored m x k when bT)
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += (aT ? a[j * n + r]! : a[r * k + j]!) * (bT ? bm[c * k + j]! : bm[j * m + c]!);
      out[r * m + c] = s;
    }
  }
}

let scratchBuf = new Float64Array(0);
function scratch(len: number): Float64Array {
  if (scratchBuf.length < len) scratchBuf = new Float64Array(len);
  return scratchBuf;
}
