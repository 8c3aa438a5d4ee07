/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna) seeded through splitmix32.
 * Deterministic across machines and Node versions (pure 32-bit integer maths), fast, no allocation per
 * number. Every random test, stochastic rounding and training run in lowbit draws from this.
 */
import { badValue } from './errors.js';

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The generator's 128-bit state, as four uint32 (saved with a training run to resume it bit-identically). */
  state(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Continues from a state returned by `state()`; xoshiro's all-zero state is invalid. */
  setState(s: readonly number[]): void {
    if (s.length !== 4 || s.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff) || s.every((w) => w === 0)) {
      throw badValue('Rng state', JSON.stringify(s), 'four uint32 words, not all zero');
    }
    [this.s0, this.s1, this.s2, this.s3] = s.map((w) => w | 0) as [number, number, number, number];
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] (inclusive), for spans up to 2^53. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Uniform BigInt of `bits` random bits (0 <= v < 2^bits). */
  bigBits(bits: number): bigint {
    let v = 0n;
    let left = bits;
    while (left > 0) {
      const take = Math.min(32, left);
      v = (v << BigInt(take)) | BigInt(this.u32() >>> (32 - take));
      left -= take;
    }
    return v;
  }

  /** Standard normal sample (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The seed for random tests: `LOWBIT_SEED` if set (to reproduce a failure), else `fallback`. */
export function testSeed(fallback: number): number {
  const env = process.env.LOWBIT_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : fallback;
}
