import { describe, it, expect } from 'vitest';
import type { Design } from '../../src/hw/design.js';
import { PRESETS } from '../../src/hw/presets.js';
import { choosePe, compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator } from '../../src/hw/accel_top.js';
import { integerInference } from '../../src/model/infer.js';
import { estimateNetwork } from '../../src/estimate/network.js';
import { HOROWITZ_45NM as T, MUX_PER_ADD, macEnergy, peMacEnergy, shiftProductEnergy } from '../../src/estimate/energy.js';
import { accelDesignParameters } from '../../src/rtl/accel_top.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { inputsFor } from './fixtures/accel_models.js';
import { dense, pow2Mlp } from './fixtures/pow2_models.js';
import { intFormat } from '../../src/arith/format.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveQuantizedModel } from '../../src/model/format.js';
import { runCli as run } from './helpers/cli.js';

const seed = testSeed(2045);
console.log(`pe_shift_compile.test seed ${seed} (LOWBIT_SEED=${seed} reproduces)`);

const withPe = (d: Design, pe: Design['array']['pe']): Design => ({ ...structuredClone(d), array: { ...d.array, pe } });

describe('the compiler and the multiplier-free PE', () => {
  it('power-of-two weights: every layer on the shift PE array, outputs == the integer reference, choosePe picks shift', () => {
    const rng = new Rng(seed);
    const m = pow2Mlp(rng);
    const d = withPe(PRESETS.tiny, 'shift');
    const p = compileModel(m, d);
    expect(p.layers.map((l) => l.engine)).toEqual(['mac', 'mac', 'mac']);
    const x = inputsFor(rng, m, 5);
    expect(Array.from(runAccelerator(p, x, 5).outputs)).toEqual(Array.from(integerInference(m, x).output));
    expect(choosePe(m, PRESETS.tiny)).toBe('shift');
  });

  it('a weight without a code moves its layer to the bit-serial engine on a shift array; choosePe keeps the multiplier', () => {
    const rng = new Rng(seed + 1);
    const m = pow2Mlp(rng);
    const l1 = dense(m)[1];
    l1.weight.data[3] = 3;
    const shift = compileModel(m, withPe(PRESETS.tiny, 'shift'));
    expect(shift.layers.map((l) => l.engine)).toEqual(['mac', 'serial', 'mac']);
    expect(compileModel(m, PRESETS.tiny).layers.map((l) => l.engine)).toEqual(['mac', 'mac', 'mac']);
    const x = inputsFor(rng, m, 3);
    expect(Array.from(runAccelerator(shift, x, 3).outputs)).toEqual(Array.from(integerInference(m, x).output));
    expect(choosePe(m, PRESETS.tiny)).toBe('multiplier');
  });

  it('estimate: same cycles, MAC compute charged per PE kind (hand-computed per-op energies)', () => {
    const rng = new Rng(seed + 2);
    const m = pow2Mlp(rng);
    const mul = estimateNetwork(m, PRESETS.tiny);
    const sh = estimateNetwork(m, withPe(PRESETS.tiny, 'shift'));
    expect(sh.cycles).toBe(mul.cycles);
    expect(PRESETS.tiny.weight).toEqual(intFormat(8, true));
    expect(PRESETS.tiny.activation).toEqual(intFormat(8, true));
    const accBits = PRESETS.tiny.accumulator.bits;
    // E_add(n) = 0.03 (n/8)^alpha, alpha = log(0.1/0.03)/log 4; w8: E = 3 exponent bits, P = 8 + 2^3 = 16
    const alpha = Math.log(0.1 / 0.03) / Math.log(4);
    const add = (n: number): number => 0.03 * (n / 8) ** alpha;
    const eShift = add(16) * (1 + 3 / 3) + add(accBits);
    expect(MUX_PER_ADD).toBe(1 / 3);
    expect(shiftProductEnergy(T, 8, 3)).toBeCloseTo(2 * add(16), 12);
    expect(peMacEnergy(T, withPe(PRESETS.tiny, 'shift'))).toBeCloseTo(eShift, 12);
    const eMul = macEnergy(T, 8, 8, accBits);
    expect(peMacEnergy(T, PRESETS.tiny)).toBe(eMul);
    expect(eMul).toBeCloseTo(0.2 + add(accBits), 12);
    const macOps = mul.layers.reduce((a, l) => a + l.ops, 0);
    expect(sh.energy.computePJ).toBeCloseTo(macOps * eShift, 9);
    expect(mul.energy.computePJ).toBeCloseTo(macOps * eMul, 9);
    expect(sh.energy.computePJ).toBeLessThan(mul.energy.computePJ);
    // ternary on w2 (E = 0): the negation alone, P = a + 1
    const tern = withPe(PRESETS.tiny, 'shift');
    tern.weight = intFormat(2, true);
    expect(peMacEnergy(T, tern)).toBeCloseTo(add(9) + add(accBits), 12);
  });

  it('the whole accelerator passes the shift PE to its array: code lanes in the weight words', () => {
    const d = withPe(PRESETS.tiny, 'shift');
    const prm = accelDesignParameters(d, {});
    expect(prm).toMatchObject({ WShift: 1, WExpBits: 3 });
    // C = 4 lanes of 5-bit codes (E = 3) or L = 64 XNOR lanes: max(20, 64) -> 64 bits
    expect(prm.WordBits).toBe(Math.ceil(Math.max(4 * 5, PRESETS.tiny.xnor.bitsPerCycle) / 32) * 32);
    expect(accelDesignParameters(PRESETS.tiny, {})).toMatchObject({ WShift: 0, WExpBits: 0 });
  });

  it('lowbit estimate --pe auto: the shift PE for power-of-two weights, the multiplier otherwise; both energies printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-pe-'));
    const rng = new Rng(seed + 3);
    const m = pow2Mlp(rng);
    saveQuantizedModel(m, join(dir, 'pow2'));
    dense(m)[0].weight.data[0] = 5;
    saveQuantizedModel(m, join(dir, 'mixed'));
    const a = await run(['estimate', '--model', join(dir, 'pow2'), '--design', 'tiny', '--pe', 'auto', '--no-area', '--json']);
    expect(a.code).toBe(0);
    const j = JSON.parse(a.out);
    const e = estimateNetwork(pow2Mlp(new Rng(seed + 3)), withPe(PRESETS.tiny, 'shift'));
    expect(j.pe.kind).toBe('shift');
    expect(j.pe.allowsShift).toBe(true);
    expect(j.energy.computePJ).toBeCloseTo(e.energy.computePJ, 9);
    expect(j.pe.macComputePJ.shift).toBeCloseTo(e.energy.computePJ, 9);
    expect(j.pe.macComputePJ.multiplier).toBeCloseTo(estimateNetwork(pow2Mlp(new Rng(seed + 3)), PRESETS.tiny).energy.computePJ, 9);
    const t = await run(['estimate', '--model', join(dir, 'pow2'), '--design', 'tiny', '--pe', 'auto', '--no-area']);
    expect(t.out).toMatch(/\| fc0 \| mac \(shift PE\) \|/);
    expect(t.out).toMatch(/^PE +shift \(multiplier-free: add\/subtract\/shift; chosen by --pe auto.*MAC compute [\d.]+ nJ on the shift PE vs [\d.]+ nJ on the multiplier PE/m);
    const b = await run(['estimate', '--model', join(dir, 'mixed'), '--design', 'tiny', '--pe', 'auto', '--no-area']);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/^PE +multiplier \(some MAC layer has weights that are not 0 or ±2\^e/m);
    expect(b.out).toMatch(/\| fc0 \| mac \|/);
    const c = await run(['estimate', '--design', 'tiny', '--pe', 'auto', '--gemm', '4,4,4']);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--pe auto chooses the PE from a model's weights; it applies to --model/);
    const g = await run(['estimate', '--design', 'tiny', '--pe', 'shift', '--gemm', '4,4,4']);
    expect(g.code).toBe(0);
    expect(g.out).toContain('shift PE (multiplier-free)');
  });
});
