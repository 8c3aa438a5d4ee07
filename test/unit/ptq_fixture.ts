/**
 * Test fixture for the PTQ tests: a small MNIST MLP fitted in closed form (no training loop), so the
 * tests are fast and deterministic. A random-feature network (an "extreme learning machine"):
 *   dense 784 -> H (seeded Gaussian weights) -> batchnorm (feature statistics, seeded gamma with some
 *   negative, beta) -> relu -> dense H -> 10 fitted by ridge regression on one-hot targets.
 */
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { fp32Inference } from '../../src/model/fp32_infer.js';
import { loadMnist } from '../../src/data/mnist.js';
import { Rng } from '../../src/util/rng.js';

export function mnistFloat(split: 'train' | 'test', start: number, count: number): { x: Float32Array; labels: Uint8Array } {
  const d = loadMnist(split);
  const px = d.rows * d.cols;
  const x = new Float32Array(count * px);
  for (let i = 0; i < x.length; i++) x[i] = d.images[start * px + i] / 255;
  return { x, labels: d.labels.slice(start, start + count) };
}

/** Solves (A + lambda I) X = B for symmetric positive definite A (n x n), B (n x m), by Cholesky. */
function ridgeSolve(A: Float64Array, B: Float64Array, n: number, m: number, lambda: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j] + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j];
    }
  }
  const X = new Float64Array(n * m);
  for (let c = 0; c < m; c++) {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = B[i * m + c];
      for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
      y[i] = s / L[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n; k++) s -= L[k * n + i] * X[k * m + c];
      X[i * m + c] = s / L[i * n + i];
    }
  }
  return X;
}

export function fitElm(seed: number, hidden: number, trainCount: number): Checkpoint {
  const rng = new Rng(seed);
  const { x, labels } = mnistFloat('train', 0, trainCount);
  const w1 = new Float32Array(hidden * 784);
  for (let i = 0; i < w1.length; i++) w1[i] = rng.normal() * 0.08;
  const b1 = new Float32Array(hidden);
  for (let i = 0; i < hidden; i++) b1[i] = rng.normal() * 0.1;
  const pre = fp32Inference({ format: 'lowbit-fp32', version: 1, arch: 'x', inputShape: [784], layers: [{ kind: 'dense', in: 784, out: hidden, weight: w1, bias: b1 }] }, x, trainCount);
  const mean = new Float32Array(hidden);
  const vari = new Float32Array(hidden);
  for (let j = 0; j < hidden; j++) {
    let s = 0;
    let s2 = 0;
    for (let b = 0; b < trainCount; b++) { const v = pre[b * hidden + j]; s += v; s2 += v * v; }
    mean[j] = s / trainCount;
    vari[j] = Math.max(s2 / trainCount - mean[j] * mean[j], 1e-6);
  }
  const gamma = new Float32Array(hidden);
  const beta = new Float32Array(hidden);
  for (let j = 0; j < hidden; j++) {
    gamma[j] = (0.5 + rng.float()) * (j % 7 === 3 ? -1 : 1);
    beta[j] = rng.normal() * 0.3;
  }
  const head: Checkpoint = {
    format: 'lowbit-fp32', version: 1, arch: 'elm', inputShape: [784],
    layers: [
      { kind: 'dense', in: 784, out: hidden, weight: w1, bias: b1 },
      { kind: 'batchnorm', channels: hidden, eps: 1e-5, gamma, beta, mean, var: vari },
      { kind: 'relu' },
    ],
  };
  // H = relu(bn(pre)), computed from the first layer's output already at hand
  const H = new Float32Array(pre.length);
  for (let b = 0; b < trainCount; b++) {
    for (let j = 0; j < hidden; j++) {
      const v = (gamma[j] * (pre[b * hidden + j] - mean[j])) / Math.sqrt(vari[j] + 1e-5) + beta[j];
      H[b * hidden + j] = v > 0 ? v : 0;
    }
  }
  const n = hidden + 1;
  const A = new Float64Array(n * n);
  const B = new Float64Array(n * 10);
  const row = new Float64Array(n);
  for (let b = 0; b < trainCount; b++) {
    for (let j = 0; j < hidden; j++) row[j] = H[b * hidden + j];
    row[hidden] = 1;
    for (let i = 0; i < n; i++) {
      const ri = row[i];
      if (ri === 0) continue;
      for (let j = 0; j <= i; j++) A[i * n + j] += ri * row[j];
      B[i * 10 + labels[b]] += ri;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[j * n + i] = A[i * n + j];
  const X = ridgeSolve(A, B, n, 10, trainCount * 1e-3);
  const w2 = new Float32Array(10 * hidden);
  const b2 = new Float32Array(10);
  for (let c = 0; c < 10; c++) {
    for (let j = 0; j < hidden; j++) w2[c * hidden + j] = X[j * 10 + c];
    b2[c] = X[hidden * 10 + c];
  }
  head.layers.push({ kind: 'dense', in: hidden, out: 10, weight: w2, bias: b2 });
  return head;
}
