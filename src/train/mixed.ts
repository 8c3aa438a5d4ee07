/**
 * Simulated low-precision training (Micikevicius et al., "Mixed Precision Training", ICLR 2018; FP8 as in
 * Micikevicius et al. 2022): FP32 master weights; each step the forward and backward passes use the
 * weights, activations and activation gradients rounded to a minifloat format by arith's
 * `roundToMinifloatArray` (RND_CONV: nearest-even, or STOCHASTIC; non-saturating: overflow gives inf/NaN, as the
 * hardware would); weight gradients are rounded too, then unscaled and applied to the FP32 masters.
 *
 * Formats: fp16 and bf16 use the format everywhere; fp8e4m3fn uses E4M3 for weights and activations and
 * E5M2 (wider range) for gradients, the usual FP8 recipe; fp8e5m2 uses E5M2 everywhere.
 * Dynamic loss scaling: the loss (hence every gradient) is multiplied by S (initially 2^15 for fp16/fp8,
 * 1 for bf16, whose range is float32's); a step whose gradients hold inf/NaN is skipped and S halves;
 * after `growthInterval` clean steps S doubles.
 */
import { roundToMinifloatArray, type MinifloatFormat, type MinifloatRounding, MINIFLOAT_FORMATS as ARITH_FORMATS } from '../arith/minifloat.js';
import { Rng } from '../util/rng.js';
import type { Network } from './network.js';
import type { Param } from './layer.js';
import type { PrecisionHooks, PrecisionState } from './trainer.js';

export type MixedFormat = MinifloatFormat;
export const MINIFLOAT_FORMATS: readonly MixedFormat[] = ARITH_FORMATS;

/**
 * The train CLI's `--rounding` words (also in a run's saved command line) for the minifloat roundings;
 * the code names them RND_CONV / STOCHASTIC (arith/modes.ts).
 */
export const MIXED_ROUNDING_WORDS = { nearest: 'RND_CONV', stochastic: 'STOCHASTIC' } as const satisfies Record<string, MinifloatRounding>;
export type MixedRoundingWord = keyof typeof MIXED_ROUNDING_WORDS;

/** The CLI word of a minifloat rounding (the inverse of MIXED_ROUNDING_WORDS). */
export function mixedRoundingWord(r: MinifloatRounding): MixedRoundingWord {
  return r === 'STOCHASTIC' ? 'stochastic' : 'nearest';
}

export interface MixedPrecisionConfig {
  format: MixedFormat;
  rounding: MinifloatRounding;
  /** initial loss scale (default 2^15; 1 for bf16) */
  initScale?: number;
  /** clean steps before the scale doubles (default 500) */
  growthInterval?: number;
  /** false: a fixed loss scale (to show where a format diverges without it) */
  dynamic?: boolean;
}

export class MixedPrecision implements PrecisionHooks {
  lossScale: number;
  private good = 0;
  private readonly masters: Float32Array[];
  private readonly params: Param[];
  private readonly rng: Rng;
  private readonly fwdFmt: MinifloatFormat;
  private readonly gradFmt: MinifloatFormat;
  /** steps skipped because of overflow, in total */
  skippedSteps = 0;

  constructor(readonly cfg: MixedPrecisionConfig, net: Network, seed: number) {
    this.fwdFmt = cfg.format;
    this.gradFmt = cfg.format === 'fp8e4m3fn' ? 'fp8e5m2' : cfg.format;
    this.lossScale = cfg.initScale ?? (cfg.format === 'bf16' ? 1 : 2 ** 15);
    this.params = net.params();
    this.masters = this.params.map((p) => new Float32Array(p.value.length));
    this.rng = new Rng(seed);
    const opts = (): { saturate: false; rounding: MinifloatRounding; rng: Rng } => ({ saturate: false, rounding: cfg.rounding, rng: this.rng });
    net.actHook = (h, len) => {
      const v = h.subarray(0, len);
      roundToMinifloatArray(v, this.fwdFmt, opts(), v);
    };
    net.gradHook = (g, len) => {
      const v = g.subarray(0, len);
      roundToMinifloatArray(v, this.gradFmt, opts(), v);
    };
  }

  beforeForward(): void {
    const o = { saturate: false, rounding: this.cfg.rounding, rng: this.rng } as const;
    this.params.forEach((p, k) => {
      this.masters[k]!.set(p.value);
      roundToMinifloatArray(p.value, this.fwdFmt, o, p.value);
    });
  }

  /** Restores the FP32 masters, rounds the (scaled) gradients; false when they overflowed. */
  afterBackward(): boolean {
    const o = { saturate: false, rounding: this.cfg.rounding, rng: this.rng } as const;
    let finite = true;
    this.params.forEach((p, k) => {
      p.value.set(this.masters[k]!);
      roundToMinifloatArray(p.grad, this.gradFmt, o, p.grad);
      for (let i = 0; i < p.grad.length; i++) {
        if (!Number.isFinite(p.grad[i]!)) {
          finite = false;
          break;
        }
      }
    });
    if (!finite) this.skippedSteps++;
    this.lastOk = finite;
    return finite;
  }

  private lastOk = true;

  state(): PrecisionState {
    return { lossScale: this.lossScale, good: this.good, skipped: this.skippedSteps, rng: this.rng.state() };
  }

  setState(s: PrecisionState): void {
    this.lossScale = s.lossScale;
    this.good = s.good;
    this.skippedSteps = s.skipped;
    this.rng.setState(s.rng);
  }

  afterStep(): void {
    if (this.cfg.dynamic === false) return;
    if (!this.lastOk) {
      this.lossScale = Math.max(1, this.lossScale / 2);
      this.good = 0;
    } else if (++this.good >= (this.cfg.growthInterval ?? 500)) {
      this.lossScale = Math.min(2 ** 24, this.lossScale * 2);
      this.good = 0;
    }
  }
}

/** The `TrainConfig.mixed` factory for a configuration. */
export function mixedPrecisionHooks(cfg: MixedPrecisionConfig): (net: Network, seed: number) => PrecisionHooks {
  return (net, seed) => new MixedPrecision(cfg, net, seed);
}
