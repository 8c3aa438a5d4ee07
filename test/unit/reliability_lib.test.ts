import { describe, expect, it } from 'vitest';
import { chooseQParams, quantizeValue, dequantizeArray, quantizeWeightMatrix } from '../../src/quant/uniform.js';
import { binarizeWeights, ternarizeWeights } from '../../src/quant/binarize.js';
import { pow2Weights } from '../../src/arith/pow2.js';
import { intFormat } from '../../src/arith/index.js';
import { kmeans1d } from '../../src/kernels/kmeans.js';
import { statsOf } from '../../src/quant/calibration.js';
import { simulateGemm } from '../../src/hw/gemm_schedule.js';
import { loadDesign } from '../../src/hw/design.js';
import { parseSpace, applyPoint, pointAt } from '../../src/explore/space.js';
import { InputError } from '../../src/util/errors.js';

const spec = { format: intFormat(8, true), symmetric: true, narrow: false };
const bad = [NaN, Infinity, -Infinity];

describe('library input checks (issue 17 item 5)', () => {
  it('every quantizer and calibration refuses non-finite inputs with an InputError naming the index', () => {
    expect(() => chooseQParams(-Infinity, Infinity, spec)).toThrow(InputError);
    expect(() => chooseQParams(NaN, 1, spec)).toThrow(/both finite/);
    for (const v of bad) {
      const w = Float32Array.of(0.5, -0.25, v, 1);
      expect(() => binarizeWeights(w, 2, true)).toThrow(/w\[2\]: got .*allowed: a finite number/);
      expect(() => ternarizeWeights(w, 2, false)).toThrow(/w\[2\]/);
      expect(() => pow2Weights(w, 2, 4, true)).toThrow(/w\[2\]/);
      expect(() => kmeans1d(w, 2, 1)).toThrow(/values\[2\]/);
      expect(() => statsOf(w)).toThrow(/calibration values\[2\]/);
      expect(() => quantizeWeightMatrix(w, 2, spec, 'channel')).toThrow(/w\[2\]/);
      expect(() => quantizeValue(v, 0.1, 0, -128, 127)).toThrow(InputError);
    }
  });

  it('non-positive and non-finite scales are refused', () => {
    for (const s of [0, -1, NaN, Infinity]) {
      expect(() => quantizeValue(1, s, 0, -128, 127)).toThrow(/scale: got .*allowed: a finite scale > 0/);
      expect(() => dequantizeArray([1], { scale: s, zeroPoint: 0 }, new Float32Array(1))).toThrow(/scale/);
    }
  });

  it("simulateGemm's fast and cycle-accurate paths validate operands identically", () => {
    const d = loadDesign('int8', { array: '4x4' });
    const W = Int32Array.from({ length: 4 }, () => 1);
    for (const A of [[1, 2, 300, 4], [1, NaN, 3, 4], [1, 1.5, 3, 4], [1, 2, 3]]) {
      const errs = [false, true].map((cycleAccurate) => {
        try {
          simulateGemm(d, A, W, 1, 4, 1, { cycleAccurate });
          return 'no error';
        } catch (e) {
          return e instanceof InputError ? e.message : `not an InputError: ${String(e)}`;
        }
      });
      expect(errs[0]).not.toBe('no error');
      expect(errs[0]).toBe(errs[1]);
    }
    const bin = loadDesign('binary');
    expect(() => simulateGemm(bin, [1, 0], [1, 1], 1, 2, 1, { cycleAccurate: false })).toThrow(/-1 or \+1/);
  });

  it('keys from data never reach __proto__, constructor or prototype', () => {
    for (const axis of ['__proto__.toString', 'constructor', 'array.__proto__', 'requant.prototype.x']) {
      expect(() => parseSpace({ base: 'int8', axes: { [axis]: [1, 2] } })).toThrow(/allowed: a name that is not __proto__, constructor, prototype/);
    }
    expect(() => parseSpace(JSON.parse('{"base":"int8","axes":{"__proto__":[1]}}'))).toThrow(/__proto__/);
    expect(() => parseSpace({ base: 'int8', schemes: { constructor: { model: 'm' } }, axes: { clockMHz: [1] } })).toThrow(/constructor/);
    const s = parseSpace({ base: 'int8', axes: { 'array.toString': [1] } });
    expect(() => applyPoint({ array: { rows: 1 } }, s, pointAt(s, 0))).toThrow(/dotted path into the Design/);
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
  });

  it('a sweep space too large for the memory budget is refused before it is enumerated', () => {
    const axes = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`clockMHz${i}`, Array.from({ length: 10 }, (_, j) => j + 1)]));
    expect(() => parseSpace({ base: 'int8', axes })).toThrow(/a space of 10000000000 points needs .*--max-memory/);
  });
});

describe('sizes from files are checked before allocating', () => {
  it('an ONNX initializer with dims [1e12] is refused naming the tensor and --max-memory', async () => {
    const { decodeModel, encodeModel } = await import('../../src/model/onnx/proto.js');
    const { importOnnx } = await import('../../src/model/onnx/import.js');
    const { qdqMlp, toQdq } = await import('./fixtures/model/qdq.js');
    const { Rng } = await import('../../src/util/rng.js');
    const m = decodeModel(toQdq(qdqMlp(new Rng(1), [4, 3], { type: 'int', bits: 8, signed: true }, false), { gemm: true }), 'x.onnx');
    const t = m.graph!.initializer![0]!;
    t.dims = [1e12];
    expect(() => importOnnx(encodeModel(m), { name: 'big' })).toThrow(new RegExp(`tensor ${t.name} of dims \\[1000000000000\\].*needs 7\\.28 TiB.*--max-memory`));
  });
});
