import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bipolarQuant, multiThreshold, quant, trunc, truncV1, type QonnxRounding } from '../../src/model/onnx/qonnx_ops.js';

/** qonnx's own reference functions (fixtures/qonnx/ops_vectors.py) against lowbit's, float32 bit for bit. */
const V = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'qonnx', 'ops_vectors.json'), 'utf8')) as {
  x: number[];
  quant: { bits: number; signed: number; narrow: number; mode: QonnxRounding; scale: number; zp: number; y: number[] }[];
  bipolar: { scale: number; y: number[] }[];
  trunc: { scale: number; zp: number; outScale: number; outBits: number; signed: number; narrow: number; mode: QonnxRounding; y: number[] }[];
  trunc_v1: { scale: number; zp: number; inBits: number; outBits: number; mode: QonnxRounding; y: number[] }[];
  multithreshold: { thresholds: number[][]; outScale: number; outBias: number; v: number[][]; y: number[][] }[];
};
const f32 = (a: number[]) => Array.from(Float32Array.from(a));

describe('QONNX ops = the qonnx reference definitions (float32, every value)', () => {
  it(`Quant: ${V.quant.length} cases (bit widths 1/2/4, signed, narrow, 8 rounding modes, zero points 0 and 1) x ${V.x.length} inputs`, () => {
    for (const c of V.quant) {
      const p = { scale: c.scale, zeroPoint: c.zp, bits: c.bits, signed: c.signed === 1, narrow: c.narrow === 1, rounding: c.mode };
      expect(f32(V.x.map((x) => quant(x, p))), JSON.stringify({ ...c, y: undefined })).toEqual(f32(c.y));
    }
  });
  it('BipolarQuant', () => {
    for (const c of V.bipolar) expect(f32(V.x.map((x) => bipolarQuant(x, c.scale)))).toEqual(f32(c.y));
  });
  it(`Trunc (v2: output scale, clamp, rounding modes): ${V.trunc.length} cases`, () => {
    for (const c of V.trunc) {
      const p = { scale: c.scale, zeroPoint: c.zp, outScale: c.outScale, outBits: c.outBits, signed: c.signed === 1, narrow: c.narrow === 1, rounding: c.mode };
      expect(f32(V.x.map((x) => trunc(x, p))), JSON.stringify({ ...c, y: undefined })).toEqual(f32(c.y));
    }
  });
  it(`Trunc (v1: 5 inputs, no clamp, the input scale out): ${V.trunc_v1.length} cases`, () => {
    for (const c of V.trunc_v1) {
      const p = { scale: c.scale, zeroPoint: c.zp, inBits: c.inBits, outBits: c.outBits, rounding: c.mode };
      expect(f32(V.x.map((x) => truncV1(x, p))), JSON.stringify({ ...c, y: undefined })).toEqual(f32(c.y));
    }
  });
  it('MultiThreshold (per-channel thresholds, out_scale / out_bias)', () => {
    for (const c of V.multithreshold) {
      const got = c.v.map((row) => row.map((x, ch) => multiThreshold(x, c.thresholds[ch]!, c.outScale, c.outBias)));
      expect(got.map(f32)).toEqual(c.y.map(f32));
    }
  });
});
