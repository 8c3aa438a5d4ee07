/**
 * Activation calibration: choose the clip value c of a tensor from its values over a calibration set.
 *
 * Statistics are a histogram of |x| (2048 bins over [0, max|x|], TensorRT's choice) plus min and max.
 * For an unsigned tensor (ReLU outputs, x >= 0) |x| = x; a signed tensor is quantized symmetrically, so
 * only |x| matters. The methods:
 * - `minmax`: c = max|x|.
 * - `percentile:P`: c = the upper edge of the bin where the cumulative count reaches P% (NVIDIA
 *   pytorch-quantization's `_compute_amax_percentile`).
 * - `mse`: c minimising the expected squared quantization error `sum_j n_j (x_j - Q_c(x_j))^2` over bin
 *   centres x_j, candidates c = i * width for i = 1..2048 (the MSE-optimal clipping analysed by ACIQ,
 *   Banner et al. 2019), with the real quantizer Q_c of the target format.
 * - `kl`: TensorRT entropy calibration (Migacz, "8-bit inference with TensorRT", GTC 2017): for each
 *   candidate i of L..2048 bins (L = number of quantization levels on one side: 2^(b-1) signed, 2^b
 *   unsigned), P = the first i bins with the outlier count added to bin i-1; Q = those i bins merged into L
 *   groups of equal width, each group's count spread evenly over its non-empty bins (empty bins stay 0);
 *   both normalized and smoothed (MXNet's `_smooth_distribution`, eps = 1e-4: zeros get eps, the mass
 *   taken from the non-zero bins), divergence = sum P log(P/Q); c = i * width for the smallest divergence
 *   (the last such i on ties, as pytorch-quantization). As pytorch-quantization, the histogram's bin 0
 *   first takes bin 1's count, so the spike of exact zeros after a ReLU does not dominate.
 */
import { formatRange, roundHalfEven } from '../arith/index.js';
import { badValue, checkFiniteArray, didYouMean } from '../util/errors.js';
import { qRange, quantizeValue, type UniformSpec } from './uniform.js';

export const HIST_BINS = 2048;

export type CalibMethod = { kind: 'minmax' } | { kind: 'percentile'; p: number } | { kind: 'mse' } | { kind: 'kl' };

/** Parses `minmax`, `percentile:99.99`, `mse`, `kl`. */
export function parseCalib(s: string, name = '--calib'): CalibMethod {
  if (s === 'minmax' || s === 'mse' || s === 'kl') return { kind: s };
  const m = /^percentile:([0-9.]+)$/.exec(s);
  if (m) {
    const p = Number(m[1]);
    if (p > 0 && p <= 100) return { kind: 'percentile', p };
  }
  // a misspelt method keeps its parameter in the suggestion (`percentil:99` -> `percentile:99`)
  const [method, ...param] = s.split(':');
  const near = didYouMean(method, ['minmax', 'percentile', 'mse', 'kl'], (n) => (n === 'percentile' ? `percentile:${param.join(':') || '99.9'}` : n));
  throw badValue(name, s, `minmax, percentile:P (0 < P <= 100), mse or kl${method === 'percentile' ? '' : near}`);
}

export function calibName(c: CalibMethod): string {
  return c.kind === 'percentile' ? `percentile:${c.p}` : c.kind;
}

/** Running statistics of one tensor: min, max and (after `setRange`) a histogram of |x|. */
export class ActStats {
  min = Infinity;
  max = -Infinity;
  count = 0;
  hist: Float64Array | null = null;
  width = 0;

  /** First pass: range. */
  observeRange(x: ArrayLike<number>): void {
    checkFiniteArray('calibration values', x);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
    this.count += x.length;
  }

  get absMax(): number {
    return Math.max(Math.abs(this.min), Math.abs(this.max), 0);
  }

  /** Second pass: histogram of |x| over [0, absMax] in HIST_BINS bins. */
  observeHist(x: ArrayLike<number>): void {
    if (this.hist === null) {
      this.hist = new Float64Array(HIST_BINS);
      this.width = this.absMax > 0 ? this.absMax / HIST_BINS : 1;
    }
    const h = this.hist;
    const inv = 1 / this.width;
    for (let i = 0; i < x.length; i++) {
      let b = Math.floor(Math.abs(x[i]) * inv);
      if (b >= HIST_BINS) b = HIST_BINS - 1;
      h[b]++;
    }
  }
}

/** Builds the statistics of a plain array in both passes (for tests and weights). */
export function statsOf(x: ArrayLike<number>): ActStats {
  const s = new ActStats();
  s.observeRange(x);
  s.observeHist(x);
  return s;
}

/**
 * The clip value c (> 0) for `stats` under `method`, for a tensor quantized with `spec`
 * (signed symmetric, or unsigned with zero point 0).
 */
export function chooseClip(stats: ActStats, method: CalibMethod, spec: UniformSpec): number {
  const amax = stats.absMax;
  if (amax === 0) return 1;
  if (method.kind === 'minmax') return amax;
  if (stats.hist === null) throw badValue('stats.hist', null, 'a histogram (run the second calibration pass)');
  const h = stats.hist;
  const w = stats.width;
  if (method.kind === 'percentile') {
    let total = 0;
    for (let i = 0; i < h.length; i++) total += h[i];
    const want = (method.p / 100) * total;
    let cum = 0;
    for (let i = 0; i < h.length; i++) {
      cum += h[i];
      if (cum >= want) return (i + 1) * w;
    }
    return amax;
  }
  if (method.kind === 'mse') {
    const { qmax } = qRange(spec); // |x| takes the levels 0..qmax
    // quantizeValue(x, s, 0, 0, qmax) for x >= 0, inlined for the 2048 x 2048 search
    return mseClipHistogram(h, w, (x, c) => {
      const s = c / qmax;
      const v = Math.fround(x / s);
      return s * (v >= qmax ? qmax : roundHalfEven(v));
    });
  }
  // as NVIDIA pytorch-quantization: bin 0 takes bin 1's count, so the spike of exact zeros (ReLU) does not dominate
  const hk = h.slice();
  if (hk.length > 1) hk[0] = hk[1];
  return klClipBins(hk, levelsOneSide(spec)) * w;
}

function levelsOneSide(spec: UniformSpec): number {
  return formatRange(spec.format).max + 1; // 2^(b-1) signed, 2^b unsigned
}

/**
 * The clip c = (i+1) * width (i = 0..bins-1) minimising `sum_j h[j] * (x_j - quantize(x_j, c))^2` over
 * bin centres `x_j = (j + 0.5) * width`; `quantize(x, c)` is the quantizer model (x >= 0).
 */
export function mseClipHistogram(h: Float64Array, width: number, quantize: (x: number, c: number) => number): number {
  let best = h.length - 1;
  let bestErr = Infinity;
  for (let i = 0; i < h.length; i++) {
    const c = (i + 1) * width;
    let err = 0;
    for (let j = 0; j < h.length; j++) {
      if (h[j] === 0) continue;
      const x = (j + 0.5) * width;
      const d = x - quantize(x, c);
      err += h[j] * d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      best = i;
    }
  }
  return (best + 1) * width;
}

/** TensorRT's entropy calibration over histogram `h` with `levels` quantization bins; returns bin count i. */
export function klClipBins(h: Float64Array, levels: number): number {
  const n = h.length;
  const start = Math.min(levels, n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  let outliers = 0;
  for (let i = start; i < n; i++) outliers += h[i];
  let bestI = n;
  let bestD = Infinity;
  for (let i = start; i <= n; i++) {
    // P: first i bins, outliers folded into the last one
    for (let j = 0; j < i; j++) p[j] = h[j];
    p[i - 1] += outliers;
    // Q: merge into `levels` groups over [0, i), spread evenly over non-empty bins
    for (let g = 0; g < levels; g++) {
      const lo = Math.floor((g * i) / levels);
      const hi = g === levels - 1 ? i : Math.floor(((g + 1) * i) / levels);
      let sum = 0;
      let nonzero = 0;
      for (let j = lo; j < hi; j++) {
        sum += h[j];
        if (h[j] !== 0) nonzero++;
      }
      for (let j = lo; j < hi; j++) q[j] = h[j] !== 0 ? sum / nonzero : 0;
    }
    const d = klDivergence(p, q, i);
    if (d <= bestD) {
      bestD = d;
      bestI = i;
    }
    if (i < n) outliers -= h[i];
  }
  return bestI;
}

/** KL(P || Q) over the first n entries after normalizing and smoothing both (eps = 1e-4). */
function klDivergence(p: Float64Array, q: Float64Array, n: number): number {
  smooth(p, n);
  smooth(q, n);
  let d = 0;
  for (let j = 0; j < n; j++) if (p[j] > 0) d += p[j] * Math.log(p[j] / q[j]);
  return d;
}

function smooth(a: Float64Array, n: number, eps = 1e-4): void {
  let sum = 0;
  let zeros = 0;
  for (let j = 0; j < n; j++) {
    sum += a[j];
    if (a[j] === 0) zeros++;
  }
  const nonzeros = n - zeros;
  if (sum === 0 || nonzeros === 0) {
    for (let j = 0; j < n; j++) a[j] = 1 / n;
    return;
  }
  const eps1 = (eps * zeros) / nonzeros;
  for (let j = 0; j < n; j++) a[j] = a[j] === 0 ? eps : a[j] / sum - eps1;
}

/**
 * MSE-optimal clip of an array of values (weights) for a symmetric quantizer: searches c = max|v| * k / steps,
 * k = 1..steps, on the values themselves (exact, no histogram).
 */
export function mseClipValues(v: ArrayLike<number>, spec: UniformSpec, steps = 100): number {
  let amax = 0;
  for (let i = 0; i < v.length; i++) amax = Math.max(amax, Math.abs(v[i]));
  if (amax === 0) return 1;
  const { qmin, qmax } = qRange(spec);
  let best = amax;
  let bestErr = Infinity;
  for (let k = steps; k >= 1; k--) {
    const c = (amax * k) / steps;
    const s = c / qmax;
    let err = 0;
    for (let i = 0; i < v.length; i++) {
      const d = v[i] - s * quantizeValue(v[i], s, 0, qmin, qmax);
      err += d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      best = c;
    }
  }
  return best;
}
