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
import { badValue } from '../util/errors.js';
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
      this.params.forEach((p, k) => {
        const m = this.m[k]!;
        const l = lr * (p.lrScale ?? 1);
        const d = p.decay ? wd : 0;
        for (let i = 0; i < p.value.length; i++) {
          const g = p.grad[i]! * inv + d * p.value[i]!;
          m[i] = mu * m[i]! + g;
          p.value[i] -= l * m[i]!;
        }
        clip(p);
      });
      this.roundWeights();
      return;
    }
    const b1 = this.cfg.beta1 ?? 0.9;
    const b2 = this.cfg.beta2 ?? 0.999;
    const eps = this.cfg.eps ?? 1e-8;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    this.params.forEach((p, k) => {
      const m = this.m[k]!;
      const v = this.v[k]!;
      const l = lr * (p.lrScale ?? 1);
      const d = p.decay ? wd : 0;
      for (let i = 0; i < p.value.length; i++) {
        const g = p.grad[i]! * inv;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        p.value[i] -= l * ((m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps) + d * p.value[i]!);
      }
      clip(p);
    });
    this.roundWeights();
  }
}

function clip(p: Param): void {
  if (!p.clip) return;
  const [lo, hi] = p.clip;
  const v = p.value;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! < lo ? lo : v[i]! > hi ? hi : v[i]!;
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
