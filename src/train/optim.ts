/**
 * Optimizers and learning-rate schedules.
 *   SGD with momentum mu and L2 weight decay wd:  v = mu v + (g + wd w);  w -= lr v
 *   Adam (Kingma & Ba), decoupled weight decay optional (AdamW: w -= lr wd w):
 *     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * After the update a parameter with `clip` is clamped (BinaryNet latent weights). Gradients are zeroed
 * by `zeroGrad`. `Param.lrScale` multiplies the rate (LSQ step sizes).
 * Optional low-precision weight storage (Gupta et al. 2015): after each update the weights (params with
 * `decay`) are rounded to the fixed-point format `weightFormat` with arith's seeded stochastic rounding
 * (`fixedFromFloatStochastic`, saturating), so small updates survive in expectation.
 * Schedules give lr(epoch fraction t in [0, epochs)): constant, step (x gamma every `every` epochs),
 * cosine (to 0), and exponential decay per epoch; an optional linear warm-up.
 */
import type { Param } from './layer.js';
import { badValue, InputError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { fixedFromFloatStochastic, fixedToFloat, type FixedFormat } from '../arith/fixed.js';

export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerConfig {
  name: OptimizerName;
  lr: number;
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** store weights in this fixed-point format, stochastically rounded after each update */
  weightFormat?: FixedFormat;
  /** seed of the stochastic rounding */
  seed?: number;
}

/** An optimizer's state between steps (live arrays: copy or write them out before the next step). */
export interface OptimizerState {
  /** steps taken (Adam's bias-correction exponent t) */
  t: number;
  /** per parameter: SGD velocity or Adam first moment m */
  m: Float32Array[];
  /** per parameter: Adam second moment v (empty for SGD) */
  v: Float32Array[];
  /** generator of the stochastic weight rounding */
  rng: number[];
}

export class Optimizer {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;
  private readonly rng: Rng;

  constructor(readonly params: Param[], readonly cfg: OptimizerConfig) {
    if (!(cfg.lr > 0)) throw badValue('lr', cfg.lr, 'a positive number');
    this.m = params.map((p) => new Float32Array(p.value.length));
    this.v = params.map((p) => new Float32Array(cfg.name === 'adam' ? p.value.length : 0));
    this.rng = new Rng(cfg.seed ?? 0x5eed);
  }

  /** Gupta et al.: weights rounded stochastically onto the fixed-point grid after the update. */
  private roundWeights(): void {
    const f = this.cfg.weightFormat;
    if (!f) return;
    for (const p of this.params) {
      if (!p.decay) continue;
      const v = p.value;
      for (let i = 0; i < v.length; i++) v[i] = fixedToFloat(fixedFromFloatStochastic(v[i]!, f, 'SAT', this.rng), f);
    }
  }

  state(): OptimizerState {
    return { t: this.t, m: this.m, v: this.v, rng: this.rng.state() };
  }

  /** Continues from a saved state of an optimizer of the same kind over the same parameters. */
  setState(s: OptimizerState): void {
    const fits = (a: Float32Array[], b: Float32Array[]): boolean => a.length === b.length && a.every((x, k) => x.length === b[k]!.length);
    if (!Number.isInteger(s.t) || s.t < 0 || !fits(s.m, this.m) || !fits(s.v, this.v)) {
      throw new InputError(`optimizer state (t ${s.t}, ${s.m.length} + ${s.v.length} moment tensors) does not fit this ${this.cfg.name} optimizer`);
    }
    this.t = s.t;
    s.m.forEach((x, k) => this.m[k]!.set(x));
    s.v.forEach((x, k) => this.v[k]!.set(x));
    this.rng.setState(s.rng);
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad.fill(0);
  }

  /** One update with learning rate `lr`; `gradScale` divides the gradients first (loss scaling). */
  step(lr: number, gradScale = 1): void {
    this.t++;
    const wd = this.cfg.weightDecay ?? 0;
    const inv = 1 / gradScale;
    if (this.cfg.name === 'sgd') {
      const mu = this.cfg.momentum ?? 0.9;
      for (let k = 0; k < this.params.length; k++) {
        const p = this.params[k]!;
        sgdUpdate(p.value, p.grad, this.m[k]!, lr * (p.lrScale ?? 1), p.decay ? wd : 0, mu, inv);
        clip(p);
      }
      this.roundWeights();
      return;
    }
    const b1 = this.cfg.beta1 ?? 0.9;
    const b2 = this.cfg.beta2 ?? 0.999;
    const eps = this.cfg.eps ?? 1e-8;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!;
      adamUpdate(p.value, p.grad, this.m[k]!, this.v[k]!, lr * (p.lrScale ?? 1), p.decay ? wd : 0, b1, b2, c1, c2, eps, inv);
      clip(p);
    }
    this.roundWeights();
  }
}

/*
 * The update kernels take the arrays as arguments (not through the Param objects, whose shapes differ),
 * so each loop is monomorphic over typed arrays; the arithmetic and its order are those in the header.
 */

/** SGD: v = mu v + (g inv + d w); w -= l v. */
function sgdUpdate(w: Float32Array, grad: Float32Array, m: Float32Array, l: number, d: number, mu: number, inv: number): void {
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const g = grad[i]! * inv + d * w[i]!;
    m[i] = mu * m[i]! + g;
    w[i] = w[i]! - l * m[i]!;
  }
}

/** Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= l ((m / c1) / (sqrt(v / c2) + eps) + d w). */
function adamUpdate(
  w: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
  l: number, d: number, b1: number, b2: number, c1: number, c2: number, eps: number, inv: number,
): void {
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const g = grad[i]! * inv;
    m[i] = b1 * m[i]! + a1 * g;
    v[i] = b2 * v[i]! + a2 * g * g;
    const wi = w[i]!;
    w[i] = wi - l * ((m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps) + d * wi);
  }
}

function clip(p: Param): void {
  if (p.clip) clamp(p.value, p.clip[0], p.clip[1]);
}

function clamp(v: Float32Array, lo: number, hi: number): void {
  const n = v.length;
  // min/max instead of comparisons and branches: the same value for every input, NaN included
  for (let i = 0; i < n; i++) v[i] = Math.min(Math.max(v[i]!, lo), hi);
}

export type ScheduleName = 'constant' | 'step' | 'cosine' | 'exp';

export interface ScheduleConfig {
  name: ScheduleName;
  epochs: number;
  /** step: multiply by gamma every `every` epochs; exp: multiply by gamma per epoch */
  gamma?: number;
  every?: number;
  warmupEpochs?: number;
  /** floor of the rate as a fraction of the base (cosine) */
  minFraction?: number;
}

/** The learning rate at epoch position t (fractional, 0 <= t < epochs). */
export function scheduledLr(base: number, s: ScheduleConfig, t: number): number {
  const warm = s.warmupEpochs ?? 0;
  const w = warm > 0 && t < warm ? (t + 1e-3) / warm : 1;
  switch (s.name) {
    case 'constant':
      return base * w;
    case 'step':
      return base * w * (s.gamma ?? 0.1) ** Math.floor(t / (s.every ?? 10));
    case 'exp':
      return base * w * (s.gamma ?? 0.9) ** t;
    case 'cosine': {
      const f = s.minFraction ?? 0;
      return base * w * (f + (1 - f) * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, s.epochs)) / s.epochs)));
    }
  }
}
