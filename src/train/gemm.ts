/**
 * Float32 GEMM kernels for training (row-major, no allocation). Three shapes cover dense layers and
 * im2col convolutions:
 *
 *   gemmNT:  y[b][o]  = sum_i x[b][i]  * w[o][i]            (forward,       x: n x k,  w: m x k, y: n x m)
 *   gemmNN:  dx[b][i] = sum_o dy[b][o] * w[o][i]            (input grad,    dy: n x m, w: m x k, dx: n x k)
 *   gemmTN:  dw[o][i] += sum_b dy[b][o] * x[b][i]           (weight grad,   accumulates into dw)
 *
 * The inner loops run over contiguous rows (dot products and axpys), blocked four rows at a time so each
 * loaded weight is used four times. Products are summed in float64 (JS numbers) and rounded to float32 once
 * on store, in a fixed order, so results are deterministic on a given machine.
 */

/** y[b*m + o] = sum_i x[b*k + i] * w[o*k + i] (+ bias[o] when given). */
export function gemmNT(x: Float32Array, w: Float32Array, n: number, k: number, m: number, y: Float32Array, bias?: Float32Array | null): void {
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

/** dx[b*k + i] = sum_o dy[b*m + o] * w[o*k + i]. */
export function gemmNN(dy: Float32Array, w: Float32Array, n: number, m: number, k: number, dx: Float32Array): void {
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

/** dw[o*k + i] += sum_b dy[b*m + o] * x[b*k + i]. */
export function gemmTN(dy: Float32Array, x: Float32Array, n: number, m: number, k: number, dw: Float32Array): void {
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
