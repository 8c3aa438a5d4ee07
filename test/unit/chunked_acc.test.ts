/**
 * Chunked accumulation (Design `accumulator.chunk`) and the narrowest safe accumulator: the GEMM
 * definition against hand-computed values, the fast GEMM and the array's functional model against the
 * definition, the integer reference against an independent loop, the proof rule of hw/acc_bounds.ts
 * shown tight (the reported width never overflows on the worst input; one bit fewer does), the
 * accelerator's compile check and the energy model's chunk adds.
 */
import { describe, expect, it } from 'vitest';
import { allocGemmOut, gemmInt, gemmIntRef, type AccSpec } from '../../src/kernels/index.js';
import { loadDesign, parseDesign } from '../../src/hw/design.js';
import { simulateGemm } from '../../src/hw/gemm_schedule.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator } from '../../src/hw/accel_top.js';
import { integerInference } from '../../src/model/infer.js';
import { loadModel } from '../../src/model/locate.js';
import { formatRange, SCHEMA_VERSION, type Conv2dLayer, type DenseLayer, type QuantizedModel } from '../../src/model/types.js';
import { modelAccWidths } from '../../src/estimate/accumulators.js';
import { estimateNetwork } from '../../src/estimate/network.js';
import { addEnergy, HOROWITZ_45NM } from '../../src/estimate/energy.js';
import { Rng } from '../../src/util/rng.js';
import { int, randomConv, randomDense, randomInts, randomMlp, randomQuant } from './fixtures/model/random_models.js';

/** Independent cast of an integer to a signed `bits`-wide register (plain Number arithmetic, |v| < 2^53). */
function cast(v: number, bits: number, sat: boolean): number {
  const h = 2 ** (bits - 1);
  if (sat) return Math.min(h - 1, Math.max(-h, v));
  const m = 2 * h;
  const r = ((v % m) + m) % m;
  return r >= h ? r - m : r;
}

/** One output of a PE with `spec` over the terms (products) in order, bias first: the rule written out. */
function pe(terms: number[], bias: number, spec: AccSpec): number {
  const sat = spec.overflow === 'SAT';
  if (!spec.chunk) return terms.reduce((a, t) => cast(a + t, spec.bits, sat), cast(bias, spec.bits, sat));
  let wide = cast(bias, spec.chunk.wideBits, sat);
  for (let k0 = 0; k0 < terms.length; k0 += spec.chunk.length) {
    const part = terms.slice(k0, k0 + spec.chunk.length).reduce((a, t) => cast(a + t, spec.bits, sat), 0);
    wide = cast(wide + part, spec.chunk.wideBits, sat);
  }
  return wide;
}

function singleLayerModel(l: DenseLayer | Conv2dLayer, inputShape: number[]): QuantizedModel {
  return {
    schemaVersion: SCHEMA_VERSION, name: 'one-layer', inputShape, layers: [{ kind: 'quantize', name: 'in', output: l.input }, l],
    provenance: { tool: 'test', date: '2026-01-01T00:00:00Z', source: 'chunked_acc.test.ts', accuracy: [] },
  };
}

describe('chunked accumulation: the GEMM definition', () => {
  it('hand-computed: a 4-bit register, chunks of 2, into an 8-bit one', () => {
    const A = [7, 7, 7, -7];
    const W = [1, 1, 1, 1];
    const run = (acc: AccSpec, bias?: number[]): number => gemmIntRef(A, W, 1, 4, 1, acc, allocGemmOut(1, 1, acc), { bias })[0] as number;
    // one SAT register: 7, 14 -> 7, 14 -> 7, 0
    expect(run({ bits: 4, overflow: 'SAT' })).toBe(0);
    // chunks (7 + 7 -> 7) and (7 - 7 = 0) into the wide register: 7
    expect(run({ bits: 4, overflow: 'SAT', chunk: { length: 2, wideBits: 8 } })).toBe(7);
    // WRAP: 7 + 7 = 14 wraps to -2 in 4 bits, then + 0
    expect(run({ bits: 4, overflow: 'WRAP', chunk: { length: 2, wideBits: 8 } })).toBe(-2);
    // the bias starts the wide register: 125 + 7 = 132 saturates to 127; WRAP 125 - 2 = 123
    expect(run({ bits: 4, overflow: 'SAT', chunk: { length: 2, wideBits: 8 } }, [125])).toBe(127);
    expect(run({ bits: 4, overflow: 'WRAP', chunk: { length: 2, wideBits: 8 } }, [125])).toBe(123);
    // a last chunk shorter than the length: chunks (7, 7, 7) -> 7 and (-7)
    expect(run({ bits: 4, overflow: 'SAT', chunk: { length: 3, wideBits: 8 } })).toBe(0);
  });

  it('gemmInt equals gemmIntRef and the written-out rule on random chunked GEMMs (WRAP, SAT, wide above 32)', () => {
    const rng = new Rng(2001);
    for (let t = 0; t < 300; t++) {
      const M = rng.int(1, 4);
      const K = rng.int(0, 40);
      const N = rng.int(1, 4);
      const bits = rng.int(3, 14);
      const wide = rng.u32() % 4 === 0 ? rng.int(33, 48) : rng.int(bits, 32);
      const acc: AccSpec = { bits, overflow: rng.u32() & 1 ? 'SAT' : 'WRAP', chunk: { length: rng.int(1, K + 3), wideBits: wide } };
      const A = randomInts(rng, M * K, int(rng.int(2, 9), rng.u32() % 3 !== 0));
      const W = randomInts(rng, K * N, int(rng.int(2, 8), true));
      const bias = Array.from({ length: N }, () => rng.int(-3000, 3000));
      const wT = (rng.u32() & 1) === 1;
      const opts = { bias, wTransposed: wT };
      const ref = gemmIntRef(A, W, M, K, N, acc, allocGemmOut(M, N, acc), opts);
      const fast = gemmInt(A, W, M, K, N, acc, allocGemmOut(M, N, acc), opts);
      expect(Array.from(fast, Number)).toEqual(Array.from(ref, Number));
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          const terms = Array.from({ length: K }, (_, k) => A[m * K + k]! * W[wT ? n * K + k : k * N + n]!);
          expect(Number(ref[m * N + n])).toBe(pe(terms, bias[n]!, acc));
        }
      }
    }
  });

  it('the array model runs a chunked Design functionally; its cycle-accurate path and the PE RTL refuse it', () => {
    const d = parseDesign({ base: 'int8', array: { rows: 4, cols: 4 }, accumulator: { bits: 10, overflow: 'SAT', chunk: { length: 8, wideBits: 20 } } });
    const rng = new Rng(2002);
    const [M, K, N] = [5, 37, 6];
    const A = randomInts(rng, M * K, int(8, true));
    const W = randomInts(rng, K * N, int(8, true));
    const { Y } = simulateGemm(d, A, W, M, K, N, { cycleAccurate: false });
    expect(Array.from(Y as Int32Array)).toEqual(Array.from(gemmIntRef(A, W, M, K, N, d.accumulator, allocGemmOut(M, N, d.accumulator)) as Int32Array));
    expect(() => simulateGemm(d, A, W, M, K, N, { cycleAccurate: true })).toThrow(/accumulator\.chunk.*drop --cycle-accurate/);
  });

  it('the Design validates accumulator.chunk', () => {
    const bad = (chunk: unknown): unknown => () => parseDesign({ base: 'int8', accumulator: { bits: 16, overflow: 'WRAP', chunk } });
    expect(bad({ length: 0, wideBits: 32 })).toThrow(/accumulator\.chunk\.length/);
    expect(bad({ length: 8, wideBits: 12 })).toThrow(/accumulator\.chunk\.wideBits.*12/);
    expect(bad({ length: 8, wideBits: 65 })).toThrow(/accumulator\.chunk\.wideBits/);
    expect(bad({ length: 8, wide: 32 })).toThrow(/accumulator\.chunk\.wide: unknown field/);
    expect(parseDesign({ base: 'int8', accumulator: { bits: 16, overflow: 'WRAP', chunk: { length: 8, wideBits: 32 } } }).accumulator.chunk).toEqual({ length: 8, wideBits: 32 });
    expect(loadDesign('int8').accumulator.chunk).toBeUndefined();
  });
});

describe('chunked accumulation: the integer reference', () => {
  it('dense and conv accumulators equal the written-out rule, padding terms in their place', () => {
    const rng = new Rng(2003);
    for (let t = 0; t < 24; t++) {
      const aFmt = int(rng.int(2, 8), (rng.u32() & 1) === 1);
      const q = randomQuant(rng, aFmt);
      const conv = t % 2 === 1;
      const [C, H, W] = [2, 5, 4];
      const l = conv
        ? randomConv(rng, 'c', q, C, 3, 3, 1, 1, int(4, true), 'accumulator', aFmt)
        : randomDense(rng, 'd', q, rng.int(1, 30), rng.int(1, 5), int(rng.int(2, 6), true), 'accumulator', aFmt);
      const shape = conv ? [C, H, W] : [(l as DenseLayer).inFeatures];
      const size = shape.reduce((a, b) => a * b, 1);
      const batch = 2;
      const x = randomInts(rng, batch * size, aFmt);
      const spec: AccSpec = { bits: rng.int(4, 12), overflow: rng.u32() & 1 ? 'SAT' : 'WRAP', chunk: rng.u32() % 3 === 0 ? undefined : { length: rng.int(1, 12), wideBits: rng.int(20, 32) } };
      if (spec.chunk && spec.chunk.wideBits < spec.bits) spec.chunk.wideBits = spec.bits;
      const got = integerInference(singleLayerModel(l, shape), x, { accumulator: spec }).output;
      const want: number[] = [];
      const zp = l.input.zeroPoint;
      const O = conv ? 3 : (l as DenseLayer).outFeatures;
      const K = l.weight.data.length / O;
      const w = (o: number, k: number): number => l.weight.data[o * K + k]! - (l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0]! : l.weight.zeroPoint[o]!);
      for (let b = 0; b < batch; b++) {
        for (let o = 0; o < O; o++) {
          const bias = l.bias ? l.bias[o]! : 0;
          if (!conv) {
            want.push(pe(Array.from({ length: K }, (_, k) => w(o, k) * (x[b * size + k]! - zp)), bias, spec));
            continue;
          }
          for (let oy = 0; oy < H; oy++) {
            for (let ox = 0; ox < W; ox++) {
              const terms: number[] = [];
              for (let c = 0; c < C; c++) {
                for (let i = 0; i < 3; i++) {
                  for (let j = 0; j < 3; j++) {
                    const [iy, ix] = [oy + i - 1, ox + j - 1];
                    const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
                    terms.push(inside ? w(o, (c * 3 + i) * 3 + j) * (x[b * size + (c * H + iy) * W + ix]! - zp) : 0);
                  }
                }
              }
              want.push(pe(terms, bias, spec));
            }
          }
        }
      }
      expect(Array.from(got)).toEqual(want);
    }
  });

  it('refuses a result wider than the int32 output stages take', () => {
    const m = randomMlp(new Rng(2004), [6, 3], int(4, true), int(8, false), 'multiplier-double');
    expect(() => integerInference(m, new Int32Array(6), { accumulator: { bits: 16, overflow: 'WRAP', chunk: { length: 4, wideBits: 40 } } })).toThrow(/at most 32 bits/);
  });
});

describe('the narrowest safe accumulator (estimate/accumulators.ts, the rule of hw/acc_bounds.ts)', () => {
  /** The input that drives (output o, terms in [k0, k1)) to its lowest or highest sum; other inputs at the zero point. */
  function extremeInput(l: DenseLayer, o: number, k0: number, k1: number, high: boolean): Int32Array {
    const r = formatRange(l.input.format);
    const zp = l.input.zeroPoint;
    const x = new Int32Array(l.inFeatures).fill(zp);
    const wz = l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0]! : l.weight.zeroPoint[o]!;
    for (let k = k0; k < k1; k++) {
      const w = l.weight.data[o * l.inFeatures + k]! - wz;
      x[k] = (w > 0) === high ? r.max : r.min;
    }
    return x;
  }

  it('is tight: the reported width never overflows on the extreme input, one bit fewer does (SAT and WRAP, plain and chunked)', () => {
    const rng = new Rng(2005);
    for (let t = 0; t < 16; t++) {
      const aFmt = int(rng.int(2, 8), (rng.u32() & 1) === 1);
      const l = randomDense(rng, 'd', randomQuant(rng, aFmt), rng.int(4, 40), rng.int(1, 6), int(rng.int(2, 6), true), 'accumulator', aFmt);
      const model = singleLayerModel(l, [l.inFeatures]);
      const L = rng.int(1, 8);
      const a = modelAccWidths(model, L);
      const lw = a.layers[0]!;
      expect(a.bits).toBe(lw.bits);
      const K = l.inFeatures;
      const exact = (x: Int32Array): number[] => Array.from(integerInference(model, x).output);
      const withSpec = (x: Int32Array, spec: AccSpec): number[] => Array.from(integerInference(model, x, { accumulator: spec }).output);
      const wz = (o: number): number => (l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0]! : l.weight.zeroPoint[o]!);
      // one register: the output and end reaching the bound
      const fitsBelow = (v: number, bits: number): boolean => v >= -(2 ** (bits - 1)) && v <= 2 ** (bits - 1) - 1;
      const high = !fitsBelow(lw.total.hi, lw.bits - 1);
      let best = -1;
      for (let o = 0; o < l.outFeatures; o++) {
        const y = exact(extremeInput(l, o, 0, K, high))[o]!;
        if (y === (high ? lw.total.hi : lw.total.lo)) best = o;
      }
      expect(best).toBeGreaterThanOrEqual(0); // the bound is attained
      const xe = extremeInput(l, best, 0, K, high);
      for (const overflow of ['SAT', 'WRAP'] as const) {
        expect(withSpec(xe, { bits: lw.bits, overflow })).toEqual(exact(xe));
        if (lw.bits > 2) expect(withSpec(xe, { bits: lw.bits - 1, overflow })[best]).not.toBe(exact(xe)[best]);
      }
      // chunked: the chunk reaching the narrow bound, wide register at the one-register width
      const cb = lw.chunk!;
      const chigh = !fitsBelow(cb.range.hi, cb.bits - 1);
      let hit: [number, number] | null = null;
      for (let o = 0; o < l.outFeatures && !hit; o++) {
        for (let k0 = 0; k0 < K && !hit; k0 += L) {
          let s = 0;
          const x = extremeInput(l, o, k0, Math.min(K, k0 + L), chigh);
          for (let k = k0; k < Math.min(K, k0 + L); k++) s += (l.weight.data[o * K + k]! - wz(o)) * (x[k]! - l.input.zeroPoint);
          if (s === (chigh ? cb.range.hi : cb.range.lo)) hit = [o, k0];
        }
      }
      expect(hit).not.toBeNull();
      const [o, k0] = hit!;
      const xc = extremeInput(l, o, k0, Math.min(K, k0 + L), chigh);
      for (const overflow of ['SAT', 'WRAP'] as const) {
        expect(withSpec(xc, { bits: cb.bits, overflow, chunk: { length: L, wideBits: lw.bits } })).toEqual(exact(xc));
        expect(withSpec(xe, { bits: cb.bits, overflow, chunk: { length: L, wideBits: lw.bits } })).toEqual(exact(xe));
        if (cb.bits > 2) {
          expect(withSpec(xc, { bits: cb.bits - 1, overflow, chunk: { length: L, wideBits: 32 } })[o]).not.toBe(exact(xc)[o]);
        }
      }
      // the trade-off: longer chunks never need fewer bits, and a chunk of K is one register without the bias
      for (let i = 1; i < a.tradeoff.length; i++) expect(a.tradeoff[i]!.bits).toBeGreaterThanOrEqual(a.tradeoff[i - 1]!.bits);
      expect(a.tradeoff[a.tradeoff.length - 1]!.length).toBe(K);
    }
  });

  it('narrows a layer input by the clamp of the stage before it', () => {
    const m = randomMlp(new Rng(2006), [10, 6, 4], int(3, true), int(4, false), 'multiplier-double');
    const l1 = m.layers[1] as DenseLayer;
    if (l1.output.kind !== 'requantize') throw new Error('fixture');
    const zp = (m.layers[2] as DenseLayer).input.zeroPoint;
    const a = modelAccWidths(m);
    expect(a.layers[1]!.input).toEqual({ lo: Math.min(0, l1.output.clamp.min - zp), hi: Math.max(0, l1.output.clamp.max - zp) });
    expect(a.bits).toBe(Math.max(a.layers[0]!.bits, a.layers[1]!.bits));
  });
});

describe('chunked accumulation on the accelerator and in the energy model', () => {
  const model = loadModel('sfc-w4a4');
  const chunked = (bits: number, length: number): ReturnType<typeof parseDesign> =>
    parseDesign({ base: 'int8-mnist', accumulator: { bits, overflow: 'WRAP', chunk: { length, wideBits: 24 } } });

  it('the compiler refuses a narrow register a chunk can overflow and runs a safe one equal to the reference', () => {
    const need = modelAccWidths(model, 32);
    expect(need.chunk!.bits).toBe(16);
    // the accelerator's first layer reads uint8 pixels minus its input shift 128 (accel_compile.ts), so its
    // chunks need one bit less than the model's own terms (x - 0 in [0, 255]) do
    expect(() => compileModel(model, chunked(14, 32))).toThrow(/layer dense0: a chunk of 32 products may reach \[-12928, 12928\], beyond the 14-bit narrow accumulator; use a Design with accumulator.bits >= 15/);
    const p = compileModel(model, chunked(16, 32));
    const rng = new Rng(2007);
    const x = randomInts(rng, 3 * 784, int(8, false));
    expect(Array.from(runAccelerator(p, x, 3).outputs)).toEqual(Array.from(integerInference(model, x).output));
    // the reference with the Design's register gives the same logits: no chunk overflows
    expect(Array.from(integerInference(model, x, { accumulator: chunked(16, 32).accumulator }).output)).toEqual(Array.from(integerInference(model, x).output));
  });

  it('charges one wide add per chunk and output, and narrow adds per MAC', () => {
    const plain = estimateNetwork(model, loadDesign('int8-mnist'));
    const d = chunked(16, 32);
    const e = estimateNetwork(model, d);
    const adds = e.layers.reduce((s, l) => s + (l.engine === 'mac' ? l.M * l.N * Math.ceil(l.K / 32) : 0), 0);
    expect(e.energy.accumulatePJ - plain.energy.accumulatePJ).toBeCloseTo(adds * addEnergy(HOROWITZ_45NM, 24), 6);
    expect(e.energy.computePJ).toBeLessThan(plain.energy.computePJ); // 16-bit instead of 32-bit MAC adds
  });
});
