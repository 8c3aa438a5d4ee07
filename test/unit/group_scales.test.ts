/**
 * Per-group weight scales with integer activations (src/model/group.ts, src/quant/group.ts):
 * - the integer reference equals an independent BigInt evaluation of the rule
 *   acc = wrap32(bias + sum_g m_g * sum_{k in g} (w - wZp)(x - xZp)), dense and conv, both kernels;
 * - PTQ's multipliers keep the float64 recomputation with the float group scales within the stated bound
 *   s_x u / 2 (sum_g |acc_g| + 1), each group's |s - m u| <= u / 2 (a floor-rounding mutant breaks it);
 * - save/load round trip; old models load unchanged; bad fields refused naming the field;
 * - the accumulator bound of `modelAccWidths` is the widened accumulator's.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intFormat } from '../../src/arith/format.js';
import { modelAccWidths } from '../../src/estimate/accumulators.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { loadDesign } from '../../src/hw/design.js';
import { loadQuantizedModel, saveQuantizedModel } from '../../src/model/format.js';
import { groupCount } from '../../src/model/weight_only.js';
import { integerInference } from '../../src/model/infer.js';
import type { ActQuant, Conv2dLayer, DenseLayer, QuantizedModel, WeightGroups } from '../../src/model/types.js';
import { validateModel } from '../../src/model/validate.js';
import { groupAccBound } from '../../src/quant/group.js';
import { groupScaling } from '../../src/model/group.js';
import { quantizeWeightMatrix } from '../../src/quant/uniform.js';
import { Rng } from '../../src/util/rng.js';


const rng = new Rng(2026);
const int = (lo: number, hi: number): number => lo + Math.floor(rng.float() * (hi - lo + 1));
const ints = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => int(lo, hi));

function model(layer: DenseLayer | Conv2dLayer, inputShape: number[]): QuantizedModel {
  return { schemaVersion: 1, name: 'g', inputShape, layers: [layer], provenance: { tool: 't', date: '2026-12-02', source: 't', accuracy: [] } };
}

function denseLayer(K: number, N: number, wBits: number, size: number, mMax: number, input: ActQuant, wZp = 0): DenseLayer {
  const r = 2 ** (wBits - 1);
  return {
    kind: 'dense', name: 'd', inFeatures: K, outFeatures: N, input,
    weight: {
      format: intFormat(wBits, true), data: ints(K * N, -r, r - 1), zeroPoint: [wZp], scale: [0.01],
      group: { size, multiplier: ints(N * groupCount(K, size), 0, mMax) },
    },
    bias: ints(N, -5000, 5000), output: { kind: 'accumulator' },
  };
}

/** The rule written out per group in BigInt, wrapped to int32 once at the end. */
function ruleDense(l: DenseLayer, x: Int32Array, b: number, o: number): number {
  const K = l.inFeatures;
  const g = l.weight.group!;
  const G = groupCount(K, g.size);
  let acc = BigInt(l.bias ? l.bias[o]! : 0);
  for (let j = 0; j < G; j++) {
    let accG = 0n;
    for (let k = j * g.size; k < Math.min(K, (j + 1) * g.size); k++) {
      accG += BigInt(l.weight.data[o * K + k]! - l.weight.zeroPoint[0]!) * BigInt(x[b * K + k]! - l.input.zeroPoint);
    }
    acc += BigInt(g.multiplier[o * G + j]!) * accG;
  }
  return Number(BigInt.asIntN(32, acc));
}

describe('per-group scales: the integer reference', () => {
  const u8: ActQuant = { format: intFormat(8, false), scale: 1 / 255, zeroPoint: 7 };
  for (const [K, N, wBits, size, mMax, wZp] of [
    [100, 6, 4, 32, 4096, 0], // effective weights fit int16: WebAssembly GEMM; partial last group (4)
    [70, 5, 8, 16, 65536, 3], // |w'| up to 2^23: JS loop; sums wrap modulo 2^32
    [9, 3, 2, 1, 3, -1],
  ] as const) {
    it(`dense K=${K} N=${N} int${wBits} group ${size}: == BigInt rule per group (auto and js kernels)`, () => {
      const l = denseLayer(K, N, wBits, size, mMax, u8, wZp);
      const m = model(l, [K]);
      validateModel(m);
      const B = 5;
      const x = ints(B * K, 0, 255);
      const want = Int32Array.from({ length: B * N }, (_, i) => ruleDense(l, x, Math.floor(i / N), i % N));
      expect(Array.from(integerInference(m, x).output)).toEqual(Array.from(want));
      expect(Array.from(integerInference(m, x, { kernel: 'js' }).output)).toEqual(Array.from(want));
    });
  }

  it('conv2d with padding and stride: == BigInt rule per group over (c, i, j)', () => {
    const C = 3, H = 6, W = 5, O = 4, kh = 3, kw = 3, size = 4;
    const K = C * kh * kw;
    const l: Conv2dLayer = {
      kind: 'conv2d', name: 'c', inChannels: C, outChannels: O, kernel: [kh, kw], stride: [2, 1], padding: [1, 1, 1, 0],
      input: { format: intFormat(4, true), scale: 0.1, zeroPoint: -2 },
      weight: { format: intFormat(4, true), data: ints(O * K, -8, 7), zeroPoint: [0], scale: [0.5], group: { size, multiplier: ints(O * groupCount(K, size), 0, 300) } },
      bias: ints(O, -100, 100), output: { kind: 'accumulator' },
    };
    const m = model(l, [C, H, W]);
    const x = ints(2 * C * H * W, -8, 7);
    const Ho = Math.floor((H + 2 - kh) / 2) + 1;
    const Wo = Math.floor((W + 1 - kw) / 1) + 1;
    const G = groupCount(K, size);
    const want: number[] = [];
    for (let b = 0; b < 2; b++) for (let o = 0; o < O; o++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
      let acc = BigInt(l.bias![o]!);
      for (let g = 0; g < G; g++) {
        let accG = 0n;
        for (let k = g * size; k < Math.min(K, (g + 1) * size); k++) {
          const c = Math.floor(k / (kh * kw)), i = Math.floor((k % (kh * kw)) / kw), j = k % kw;
          const iy = oy * 2 - 1 + i, ix = ox - 1 + j;
          const xv = iy < 0 || iy >= H || ix < 0 || ix >= W ? l.input.zeroPoint : x[((b * C + c) * H + iy) * W + ix]!;
          accG += BigInt(l.weight.data[o * K + k]!) * BigInt(xv - l.input.zeroPoint);
        }
        acc += BigInt(l.weight.group!.multiplier[o * G + g]!) * accG;
      }
      want.push(Number(BigInt.asIntN(32, acc)));
    }
    expect(Array.from(integerInference(m, x).output)).toEqual(want);
    expect(Array.from(integerInference(m, x, { kernel: 'js' }).output)).toEqual(want);
  });

  it('an accumulator spec (one PE register) is refused on a grouped layer', () => {
    const m = model(denseLayer(40, 2, 4, 8, 16, u8), [40]);
    expect(() => integerInference(m, ints(40, 0, 255), { accumulator: { bits: 32, overflow: 'WRAP' } })).toThrow(/layer d: an accumulator spec .* per-group weight scales \(group 8, 5 groups per row\)/);
  });
});

describe('per-group scales: PTQ multipliers against float64 group scales', () => {
  /** float weights with group magnitudes spread over 1..30x, quantized per group (int4 narrow). */
  function grouped(rows: number, K: number, size: number): { w: Float32Array; q: Int32Array; s: Float64Array } {
    const w = new Float32Array(rows * K);
    for (let o = 0; o < rows; o++) {
      for (let g = 0; g * size < K; g++) {
        const mag = 0.01 * (1 + 29 * rng.float());
        for (let k = g * size; k < Math.min(K, (g + 1) * size); k++) w[o * K + k] = (rng.float() * 2 - 1) * mag;
      }
    }
    const r = quantizeWeightMatrix(w, rows, { format: intFormat(4, true), symmetric: true, narrow: true }, { groupSize: size });
    return { w, q: r.q, s: r.scale };
  }

  for (const F of [4, 8, 12]) {
    for (const shared of [false, true]) {
      it(`F=${F}${shared ? ', shared unit' : ''}: |float64 - s_x u acc| <= s_x u / 2 (sum_g |acc_g| + 1); per group |s - m u| <= u / 2, floor caught`, () => {
        const rows = 8, K = 200, size = 32, B = 20;
        const { q, s } = grouped(rows, K, size);
        const sc = groupScaling(s, rows, size, F, shared);
        const G = groupCount(K, size);
        for (const m of sc.group.multiplier) expect(m >= 0 && m <= 2 ** F).toBe(true);
        const sx = 1 / 255;
        const input: ActQuant = { format: intFormat(8, false), scale: sx, zeroPoint: 0 };
        const bF = Float64Array.from({ length: rows }, () => (rng.float() * 2 - 1) * 0.5);
        const u = (o: number): number => sc.unit[shared ? 0 : o]!;
        const bias = Int32Array.from({ length: rows }, (_, o) => Math.round(bF[o]! / (sx * u(o))));
        const mk = (g: WeightGroups): QuantizedModel => model({
          kind: 'dense', name: 'd', inFeatures: K, outFeatures: rows, input,
          weight: { format: intFormat(4, true), data: q, zeroPoint: [0], scale: sc.unit, group: g }, bias, output: { kind: 'accumulator' },
        }, [K]);
        expect(groupAccBound(q, rows, sc.group, input, bias)).toBeLessThan(2 ** 31);
        const x = ints(B * K, 0, 255);
        // per group |s - m u| <= u / 2 (rint); the floor mutant of the rule breaks it
        const perGroup = (mult: Int32Array): number => Math.max(...Array.from(mult, (m, i) => Math.abs(s[i]! - m * u(Math.floor(i / G))) / (u(Math.floor(i / G)) / 2)));
        const floorM = Int32Array.from(s, (v, i) => Math.floor(v / u(Math.floor(i / G))));
        expect(perGroup(sc.group.multiplier)).toBeLessThanOrEqual(1);
        expect(perGroup(floorM)).toBeGreaterThan(1);
        const worst = (mult: Int32Array): number => {
          const acc = integerInference(mk({ size, multiplier: mult }), x).output;
          let r = 0;
          for (let b = 0; b < B; b++) {
            for (let o = 0; o < rows; o++) {
              let real = bF[o]!;
              let absG = 0;
              for (let g = 0; g < G; g++) {
                let accG = 0;
                for (let k = g * size; k < Math.min(K, (g + 1) * size); k++) accG += q[o * K + k]! * x[b * K + k]!;
                real += sx * s[o * G + g]! * accG;
                absG += Math.abs(accG);
              }
              r = Math.max(r, Math.abs(real - sx * u(o) * acc[b * rows + o]!) / (sx * u(o) / 2 * (absG + 1)));
            }
          }
          return r;
        };
        expect(worst(sc.group.multiplier)).toBeLessThanOrEqual(1);
      });
    }
  }
});

describe('per-group scales: the model format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-group-'));
  const u8: ActQuant = { format: intFormat(8, false), scale: 1 / 255, zeroPoint: 0 };

  it('save -> load round trip keeps the multipliers and the outputs; the manifest names the blob', () => {
    const m = model(denseLayer(100, 6, 4, 32, 4096, u8), [100]);
    saveQuantizedModel(m, join(dir, 'm'));
    const back = loadQuantizedModel(join(dir, 'm'));
    const l = back.layers[0] as DenseLayer;
    expect(l.weight.group!.size).toBe(32);
    expect(Array.from(l.weight.group!.multiplier)).toEqual(Array.from((m.layers[0] as DenseLayer).weight.group!.multiplier));
    const x = ints(3 * 100, 0, 255);
    expect(Array.from(integerInference(back, x).output)).toEqual(Array.from(integerInference(m, x).output));
    const manifest = JSON.parse(readFileSync(join(dir, 'm', 'model.json'), 'utf8'));
    expect(manifest.layers[0].weight.group).toEqual({ size: 32, multiplier: { file: 'blobs/0_d.group.bin', dtype: 'int32', count: 6 * 4 } });
  });

  it('a shipped model without groups loads unchanged and re-saves without a group field', () => {
    const m = loadQuantizedModel(join('models', 'sfc-w4a4'));
    for (const l of m.layers) if (l.kind === 'dense') expect(l.weight.group).toBeUndefined();
    saveQuantizedModel(m, join(dir, 'old'));
    expect(readFileSync(join(dir, 'old', 'model.json'), 'utf8')).not.toMatch(/"group"/);
  });

  it('bad group fields are refused naming the field', () => {
    const bad = (edit: (l: DenseLayer) => void): (() => void) => () => {
      const l = denseLayer(64, 2, 4, 16, 100, u8);
      edit(l);
      validateModel(model(l, [64]), 'm.json');
    };
    expect(bad((l) => { l.weight.group!.size = 64; })).toThrow(/m.json: layers\[0\].weight.group.size: got 64; expected an integer 1..63 \(a group of 64 or more is one scale per row: omit the field\)/);
    expect(bad((l) => { l.weight.group!.size = 0; })).toThrow(/weight.group.size: got 0/);
    expect(bad((l) => { l.weight.group!.multiplier[3] = 65537; })).toThrow(/weight.group.multiplier\[3\]: got 65537; expected an integer 0..65536/);
    expect(bad((l) => { l.weight.group!.multiplier = new Int32Array(7); })).toThrow(/weight.group.multiplier: got 7 values; expected an Int32Array of 2 x 4 = 8/);
    expect(bad((l) => { l.weight.format = intFormat(16, true); })).toThrow(/weights int16; per-group scales take weights of at most 15 bits/);
  });

  it('modelAccWidths bounds the widened accumulator; a Design without group multipliers refuses the layer in one line', () => {
    const l = denseLayer(100, 6, 4, 32, 4096, u8);
    const m = model(l, [100]);
    const w = modelAccWidths(m);
    // independent: the extreme input per row (x = 255 where w' > 0, else 0) gives the largest sum
    let hi = -Infinity;
    const G = groupCount(100, 32);
    for (let o = 0; o < 6; o++) {
      let s = l.bias![o]!;
      for (let k = 0; k < 100; k++) s += Math.max(0, l.weight.data[o * 100 + k]! * l.weight.group!.multiplier[o * G + Math.floor(k / 32)]!) * 255;
      hi = Math.max(hi, s);
    }
    expect(w.layers[0]!.total.hi).toBe(hi);
    expect(() => compileModel(m, loadDesign('int8'))).toThrow(/^model g on design int8: layer d has per-group weight scales \(group 32, 4 groups per row\); the Design has no group multipliers \(add "accumulator": \{"group": \{"multiplierBits": 17\}\}, or quantize without --group\)$/);
  });
});
