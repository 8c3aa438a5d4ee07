/**
 * Softmax cross-entropy, averaged over the batch:
 *   p = softmax(z) (max-subtracted), L = -(1/n) sum_b log p[b][y_b], dL/dz = (p - onehot(y)) / n.
 * `scale` multiplies the gradient (dynamic loss scaling in mixed-precision training).
 */
export function softmaxCrossEntropy(
  z: Float32Array, labels: Uint8Array, n: number, classes: number, dz: Float32Array, scale = 1,
): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < n; b++) {
    const base = b * classes;
    let mx = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      const v = z[base + c]!;
      if (v > mx) {
        mx = v;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[base + c]! - mx);
    const y = labels[b]!;
    loss += Math.log(sum) - (z[base + y]! - mx);
    if (arg === y) correct++;
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(z[base + c]! - mx) / sum;
      dz[base + c] = ((p - (c === y ? 1 : 0)) / n) * scale;
    }
  }
  return { loss: loss / n, correct };
}

/** Index of the largest value of each row (first one on ties), into `out`. */
export function argmaxRows(z: Float32Array, n: number, classes: number, out: Uint8Array | Int32Array): void {
  for (let b = 0; b < n; b++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (z[b * classes + c]! > z[b * classes + best]!) best = c;
    out[b] = best;
  }
}
