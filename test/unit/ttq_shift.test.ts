/**
 * TTQ on the multiplier-free shift PE. TTQ with `--ttq-scale-bits B` exports codes {-c_n, 0, c_p} (c in
 * 1..2^B - 1) on one power-of-two scale: the compiler puts a layer on the shift PE only when c_p and c_n happen
 * to be powers of two. `--ttq-shift` rounds each learned scale to a power of two (INQ's nearest-level rule), so
 * the levels {-W_n, 0, +W_p}, W_p != W_n, are signed powers of two times one scale: shift codes. Checked:
 * the grid by hand, the codes of the transform, and on a trained model with asymmetric scales in every layer
 * that `--pe auto` picks the shift PE, the TS accelerator equals the integer reference, and estimate charges
 * less MAC energy and weight memory than on the multiplier PE at the same cycles. (RTL == TS model:
 * test/rtl/ttq_shift.rtl.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intFormat } from '../../src/arith/format.js';
import { choosePe, compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator } from '../../src/hw/accel_top.js';
import { estimateNetwork } from '../../src/estimate/network.js';
import { integerInference } from '../../src/model/infer.js';
import type { DenseLayer } from '../../src/model/types.js';
import { Dense } from '../../src/train/dense.js';
import { TtqTransform, ttqScaleGrid } from '../../src/train/ttq.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { ttqShiftModel, ttqTinyDesign } from './fixtures/ttq_models.js';
import { runCli } from './helpers/cli.js';

const seed = testSeed(2020);
console.log(`ttq_shift.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

const tiny = ttqTinyDesign;
const isPow2Code = (v: number): boolean => v === 0 || 2 ** Math.round(Math.log2(Math.abs(v))) === Math.abs(v);

describe('TTQ with power-of-two scales (--ttq-shift)', () => {
  it('the grid by hand: nearest powers of two (ties 1.5 2^k up), top = the larger scale, at least 2^e', () => {
    // max 0.3: top = floor(log2(0.4)) = -2, B = 3: e = -4; 0.3 -> 0.25 = 4 * 2^-4; 0.1 -> 0.125 (0.1 < 0.1875) = 2
    expect(ttqScaleGrid(0.3, 0.1, 3, true)).toEqual({ cp: 4, cn: 2, e: -4 });
    // 0.01 is below 2^-4 / 2: clamped to the smallest level, c = 1
    expect(ttqScaleGrid(0.3, 0.01, 3, true)).toEqual({ cp: 4, cn: 1, e: -4 });
    // max 0.4: top = floor(log2(0.533)) = -1, B = 2: e = -2; 0.4 -> 0.5 = 2 * 2^-2; 0.05 < 0.125 -> c = 1
    expect(ttqScaleGrid(0.05, 0.4, 2, true)).toEqual({ cp: 1, cn: 2, e: -2 });
    // a tie at the top: 0.75 = 1.5 * 2^-1 rounds up to 1 (top 0); B = 4: e = -3, c = 8
    expect(ttqScaleGrid(0.75, 0.75, 4, true)).toEqual({ cp: 8, cn: 8, e: -3 });
    // the B-bit grid without --ttq-shift keeps c = 5, 3 (not shift codes)
    expect(ttqScaleGrid(0.3, 0.2, 3)).toEqual({ cp: 5, cn: 3, e: -4 });
  });

  it('the transform: codes {-c_n, 0, c_p} that are powers of two, w_hat = q 2^e, (B + 1)-bit codes', () => {
    const l = new Dense(50, 4, { method: 'none', bits: 32 }, false, new Rng(seed));
    const t = new TtqTransform(0.05, l.weight.value, 3, true);
    l.transform = t;
    t.wp.value[0] = 0.061;
    t.wn.value[0] = 0.0149;
    const { cp, cn, e } = ttqScaleGrid(0.061, 0.0149, 3, true);
    expect([cp, cn]).toEqual([4, 1]);
    const w = l.effectiveWeights();
    expect(l.codeFormat).toEqual(intFormat(4, true));
    const d = t.delta(l.weight.value);
    for (let i = 0; i < w.length; i++) {
      const v = l.weight.value[i]!;
      expect(l.q[i]).toBe(v > d ? cp : v < -d ? -cn : 0);
      expect(w[i]).toBe(l.q[i]! * 2 ** e);
    }
  });

  it('a trained TTQ model with W_p != W_n in every layer: --pe auto picks the shift PE; TS accelerator == integer reference; cheaper than the multiplier PE', () => {
    const { model, pixels } = ttqShiftModel(seed);
    const layers = model.layers.filter((l): l is DenseLayer => l.kind === 'dense');
    for (const l of layers) {
      const levels = [...new Set(l.weight.data)].sort((a, b) => a - b);
      expect(levels.every(isPow2Code)).toBe(true);
      const [lo, hi] = [levels[0]!, levels.at(-1)!];
      expect(levels).toEqual([lo, 0, hi]); // {-c_n, 0, c_p}
      expect(lo < 0 && hi > 0 && -lo !== hi).toBe(true); // asymmetric: c_n != c_p
    }
    expect(choosePe(model, tiny('multiplier'))).toBe('shift');
    const p = compileModel(model, tiny('shift'));
    expect(p.layers.map((l) => l.engine)).toEqual(['mac', 'mac', 'mac']);
    const n = 40;
    const x = Int32Array.from(pixels.subarray(0, n * 784));
    const ref = integerInference(model, x).output;
    expect(Array.from(runAccelerator(p, x, n).outputs)).toEqual(Array.from(ref));
    expect(Array.from(runAccelerator(compileModel(model, tiny('multiplier')), x, n).outputs)).toEqual(Array.from(ref));
    const mul = estimateNetwork(model, tiny('multiplier'));
    const sh = estimateNetwork(model, tiny('shift'));
    expect(sh.cycles).toBe(mul.cycles);
    expect(sh.energy.computePJ).toBeLessThan(mul.energy.computePJ);
    // one c moved off the powers of two (the B-bit grid's 3): the multiplier PE again
    const odd = structuredClone(model);
    const l0 = odd.layers.find((l): l is DenseLayer => l.kind === 'dense')!;
    const i = l0.weight.data.findIndex((v) => v !== 0);
    l0.weight.data[i] = Math.sign(l0.weight.data[i]!) * 3;
    expect(choosePe(odd, tiny('multiplier'))).toBe('multiplier');
  });

  it('lowbit train --ttq-shift: exported codes the shift PE takes; estimate --pe auto says so; bad options in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-ttq-shift-'));
    const out = join(dir, 'm');
    const r = await runCli(['train', '--arch', 'tfc', '--hidden', '16,8', '--wbits', '32', '--abits', '2', '--ttq', '0.05', '--ttq-scale-bits', '3', '--ttq-shift', '--epochs', '1', '--train-images', '500', '--val-images', '0', '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).command).toContain('--ttq 0.05 --ttq-scale-bits 3 --ttq-shift');
    const dj = join(dir, 'tiny3.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(dj, JSON.stringify({ ...tiny(undefined), name: 'tiny3' }));
    const e = await runCli(['estimate', '--model', out, '--design', dj, '--pe', 'auto', '--no-area', '--json']);
    expect(e.code, e.err).toBe(0);
    const j = JSON.parse(e.out);
    expect(j.pe.kind).toBe('shift');
    expect(j.pe.macComputePJ.shift).toBeLessThan(j.pe.macComputePJ.multiplier);
    for (const [args, re] of [
      [['--ttq', '0.05', '--ttq-shift'], /--ttq-shift: it rounds the TTQ scales to powers of two on their grid; give --ttq T --ttq-scale-bits B too/],
      [['--ttq-shift', '--ttq-scale-bits', '3'], /--ttq-scale-bits: it sets the grid of the TTQ scales; give --ttq T too/],
    ] as [string[], RegExp][]) {
      const b = await runCli(['train', '--arch', 'tfc', '--wbits', '32', '--abits', '32', '--epochs', '1', '--train-images', '100', '--val-images', '0', ...args]);
      expect(b.code, args.join(' ')).toBe(2);
      expect(b.err.trim().split('\n')).toHaveLength(1);
      expect(b.err).toMatch(re);
    }
  });
});
