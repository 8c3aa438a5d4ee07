import { describe, it, expect } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { train } from '../../src/train/trainer.js';
import { buildNetwork } from '../../src/train/arch.js';
import { MIXED_ROUNDING_WORDS, MixedPrecision, mixedPrecisionHooks, mixedRoundingWord } from '../../src/train/mixed.js';
import { roundToMinifloatArray } from '../../src/arith/minifloat.js';
import { testSeed } from '../../src/util/rng.js';

const seed = testSeed(9);
const spec = { arch: 'tfc' as const, hidden: [16], weights: { method: 'none' as const, bits: 32 }, act: { method: 'relu' as const, bits: 32 } };

describe('simulated low-precision training', () => {
  it('forward uses rounded weights, the optimizer updates FP32 masters', () => {
    const net = buildNetwork(spec, seed);
    const mp = new MixedPrecision({ format: 'fp8e4m3fn', rounding: 'RND_CONV' }, net, seed);
    const w = net.params()[0]!;
    const master = w.value.slice();
    mp.beforeForward();
    const rounded = roundToMinifloatArray(master, 'fp8e4m3fn', { saturate: false, rounding: 'RND_CONV' }, new Float32Array(master.length));
    expect(Array.from(w.value)).toEqual(Array.from(rounded));
    expect(Array.from(w.value)).not.toEqual(Array.from(master));
    w.grad.fill(0.5);
    expect(mp.afterBackward()).toBe(true);
    expect(Array.from(w.value)).toEqual(Array.from(master));
  });

  it('dynamic loss scaling halves the scale and skips the step on overflow, grows after clean steps', () => {
    const net = buildNetwork(spec, seed);
    const mp = new MixedPrecision({ format: 'fp16', rounding: 'RND_CONV', growthInterval: 2 }, net, seed);
    expect(mp.lossScale).toBe(32768);
    mp.beforeForward();
    net.params()[0]!.grad[0] = 70000; // above fp16 max 65504 -> inf
    expect(mp.afterBackward()).toBe(false);
    mp.afterStep();
    expect(mp.lossScale).toBe(16384);
    for (let i = 0; i < 2; i++) {
      mp.beforeForward();
      for (const p of net.params()) p.grad.fill(0);
      expect(mp.afterBackward()).toBe(true);
      mp.afterStep();
    }
    expect(mp.lossScale).toBe(32768);
  });

  it('FP16 and BF16 training converge like FP32 on a tiny run; stochastic rounding is seeded', () => {
    const data = loadMnist('train');
    const base = { net: spec, epochs: 1, batchSize: 50, optimizer: { name: 'adam' as const, lr: 0.003 }, schedule: { name: 'constant' as const, epochs: 1 }, seed, valCount: 300, maxTrain: 1500 };
    const fp32 = train(base, data).log[0]!;
    const fp16 = train({ ...base, mixed: mixedPrecisionHooks({ format: 'fp16', rounding: 'RND_CONV' }) }, data).log[0]!;
    const bf16a = train({ ...base, mixed: mixedPrecisionHooks({ format: 'bf16', rounding: 'STOCHASTIC' }) }, data);
    const bf16b = train({ ...base, maxSteps: 3, mixed: mixedPrecisionHooks({ format: 'bf16', rounding: 'STOCHASTIC' }) }, data);
    const bf16c = train({ ...base, maxSteps: 3, mixed: mixedPrecisionHooks({ format: 'bf16', rounding: 'STOCHASTIC' }) }, data);
    expect(fp16.valAcc!).toBeGreaterThan(fp32.valAcc! - 0.04);
    expect(bf16a.log[0]!.valAcc!).toBeGreaterThan(fp32.valAcc! - 0.04);
    expect(Array.from(bf16b.net.params()[0]!.value)).toEqual(Array.from(bf16c.net.params()[0]!.value));
  });

  it('the CLI words nearest/stochastic name RND_CONV/STOCHASTIC, and back (a saved run command keeps its words)', () => {
    expect(MIXED_ROUNDING_WORDS).toEqual({ nearest: 'RND_CONV', stochastic: 'STOCHASTIC' });
    for (const [w, r] of Object.entries(MIXED_ROUNDING_WORDS)) expect(mixedRoundingWord(r)).toBe(w);
  });
});
