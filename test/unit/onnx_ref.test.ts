/**
 * ONNX Runtime (onnxruntime-node, CPU) as an independent reference: tiny ONNX models built in the test,
 * run on seeded random inputs, compared bit for bit with lowbit's ONNX-mode arithmetic.
 */
import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  fakeQuantReciprocal, matMulInteger, onnxRescale, onnxReferenceRescale, multiplyByQuantizedMultiplier, qlinearMatMul, quantizeLinear,
  quantizeMultiplier, dequantizeLinear, QUANT_RANGES, type QuantType,
} from '../../src/arith/index.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { buildModel, type ElemType, type ModelSpec } from './helpers/onnx_builder.js';

const SEED = testSeed(0x0cc5);
console.log(`onnx_ref.test.ts seed=${SEED} (reproduce: LOWBIT_SEED=${SEED} npx vitest run test/unit/onnx_ref.test.ts)`);

const ORT_TYPE: Record<string, ort.Tensor.Type> = { float: 'float32', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16', int32: 'int32' };

async function run(spec: ModelSpec, feeds: Record<string, { type: ElemType; data: ArrayLike<number>; dims: number[] }>): Promise<number[]> {
  const session = await ort.InferenceSession.create(buildModel(spec), { graphOptimizationLevel: 'disabled' });
  const f: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const type = ORT_TYPE[t.type];
    const data =
      type === 'float32' ? Float32Array.from(t.data)
      : type === 'int8' ? Int8Array.from(t.data)
      : type === 'uint8' ? Uint8Array.from(t.data)
      : type === 'int16' ? Int16Array.from(t.data)
      : type === 'uint16' ? Uint16Array.from(t.data)
      : Int32Array.from(t.data);
    f[name] = new ort.Tensor(type, data, t.dims);
  }
  const r = await session.run(f);
  const out = Array.from(r[spec.outputs[0].name].data as ArrayLike<number>);
  await session.release();
  return out;
}

/** Random float32 inputs: a mix of uniform values, values far out of range and near-ties x = (k + 1/2) s. */
function inputs(rng: Rng, n: number, scales: ArrayLike<number>, idx: (i: number) => number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = scales[idx(i)];
    const r = rng.int(0, 9);
    if (r < 5) x[i] = (rng.float() * 2 - 1) * 160 * s;
    else if (r < 6) x[i] = (rng.float() * 2 - 1) * 1e4 * s;
    else x[i] = (rng.int(-140, 140) + 0.5) * s * (1 + (rng.int(-2, 2) * 2 ** -23));
  }
  return x;
}

function randomScales(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.fround(2 ** rng.int(-8, 2) * (0.5 + rng.float())));
}

describe('ONNX-mode arithmetic equals ONNX Runtime bit for bit', () => {
  it('QuantizeLinear / DequantizeLinear per tensor and per axis (int8, uint8, int16, uint16; axis 0 and 1)', async () => {
    const rng = new Rng(SEED);
    const cases: { type: 'int8' | 'uint8' | 'int16' | 'uint16'; shape: number[]; axis: number; nParams: number; opset?: number }[] = [
      { type: 'int8', shape: [64, 48], axis: 1, nParams: 1 },
      { type: 'int16', shape: [40, 30], axis: 1, nParams: 30, opset: 21 },
      { type: 'uint16', shape: [40, 30], axis: 1, nParams: 1, opset: 21 },
      { type: 'uint8', shape: [64, 48], axis: 1, nParams: 1 },
      { type: 'int8', shape: [16, 12, 10], axis: 1, nParams: 12 },
      { type: 'uint8', shape: [20, 30], axis: 0, nParams: 20 },
    ];
    for (const c of cases) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const scale = randomScales(rng, c.nParams);
      const [lo, hi] = QUANT_RANGES[c.type];
      const zp = Array.from({ length: c.nParams }, () => rng.int(lo, hi));
      const inner = c.shape.slice(c.axis + 1).reduce((a, b) => a * b, 1);
      const x = inputs(rng, n, scale, (i) => (c.nParams === 1 ? 0 : Math.floor(i / inner) % c.nParams));
      const pdims = c.nParams === 1 ? [] : [c.nParams];
      const got = await run(
        {
          opset: c.opset ?? 13,
          nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], attrs: { axis: c.axis } }],
          inputs: [{ name: 'x', type: 'float', dims: c.shape }],
          outputs: [{ name: 'y', type: c.type, dims: c.shape }],
          initializers: [{ name: 's', type: 'float', dims: pdims, data: scale }, { name: 'z', type: c.type, dims: pdims, data: zp }],
        },
        { x: { type: 'float', data: x, dims: c.shape } },
      );
      const mine = quantizeLinear(x, c.shape, scale, zp, c.type, { axis: c.axis }, new Int32Array(n));
      expect(Array.from(mine)).toEqual(got);
      // and DequantizeLinear
      const deq = await run(
        {
          opset: c.opset ?? 13,
          nodes: [{ op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'], attrs: { axis: c.axis } }],
          inputs: [{ name: 'q', type: c.type, dims: c.shape }],
          outputs: [{ name: 'y', type: 'float', dims: c.shape }],
          initializers: [{ name: 's', type: 'float', dims: pdims, data: scale }, { name: 'z', type: c.type, dims: pdims, data: zp }],
        },
        { q: { type: c.type, data: mine, dims: c.shape } },
      );
      expect(Array.from(dequantizeLinear(mine, c.shape, scale, zp, { axis: c.axis }, new Float32Array(n)))).toEqual(deq);
    }
  });

  it('QuantizeLinear blocked int4 / uint4 (opset 21, block along axis 1), read back through Cast', async () => {
    const rng = new Rng(SEED + 1);
    for (const type of ['int4', 'uint4'] as const) {
      const shape = [6, 20];
      const bs = 8;
      const nb = Math.ceil(20 / bs);
      const scale = randomScales(rng, 6 * nb);
      const [lo, hi] = QUANT_RANGES[type];
      const zp = Array.from({ length: 6 * nb }, () => rng.int(lo, hi));
      const x = inputs(rng, 120, scale, (i) => Math.floor(i / 20) * nb + Math.floor((i % 20) / bs)).map((v) => v / 16);
      const got = await run(
        {
          opset: 21,
          nodes: [
            { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'], attrs: { axis: 1, block_size: bs } },
            { op: 'Cast', inputs: ['q'], outputs: ['y'], attrs: { to: 3 } },
          ],
          inputs: [{ name: 'x', type: 'float', dims: shape }],
          outputs: [{ name: 'y', type: 'int8', dims: shape }],
          initializers: [{ name: 's', type: 'float', dims: [6, nb], data: scale }, { name: 'z', type: type, dims: [6, nb], data: zp }],
        },
        { x: { type: 'float', data: x, dims: shape } },
      );
      const mine = quantizeLinear(x, shape, scale, zp, type, { axis: 1, blockSize: bs }, new Int32Array(120));
      expect(Array.from(mine)).toEqual(got);
    }
  });

  it('MatMulInteger (u8 x u8, s8 x s8 with per-column zero points, u8 x s8 in 7-bit weights)', async () => {
    const rng = new Rng(SEED + 2);
    const M = 7, K = 33, N = 9;
    const cases: { a: 'uint8' | 'int8'; b: 'uint8' | 'int8'; perCol: boolean; bRange?: [number, number] }[] = [
      { a: 'uint8', b: 'uint8', perCol: false },
      { a: 'int8', b: 'int8', perCol: true },
      // u8 x s8 on AVX2 without VNNI uses vpmaddubsw, which saturates pairs of products at int16;
      // with 7-bit weights (ORT's reduce_range advice) no pair can saturate
      { a: 'uint8', b: 'int8', perCol: false, bRange: [-64, 63] },
    ];
    for (const c of cases) {
      const [alo, ahi] = QUANT_RANGES[c.a];
      const [blo, bhi] = c.bRange ?? QUANT_RANGES[c.b];
      const A = Array.from({ length: M * K }, () => rng.int(alo, ahi));
      const B = Array.from({ length: K * N }, () => rng.int(blo, bhi));
      const aZp = rng.int(alo, ahi);
      const bZp = Array.from({ length: c.perCol ? N : 1 }, () => rng.int(blo, bhi));
      const got = await run(
        {
          opset: 13,
          nodes: [{ op: 'MatMulInteger', inputs: ['A', 'B', 'az', 'bz'], outputs: ['Y'] }],
          inputs: [{ name: 'A', type: c.a, dims: [M, K] }, { name: 'B', type: c.b, dims: [K, N] }],
          outputs: [{ name: 'Y', type: 'int32', dims: [M, N] }],
          initializers: [{ name: 'az', type: c.a, dims: [], data: [aZp] }, { name: 'bz', type: c.b, dims: c.perCol ? [N] : [], data: bZp }],
        },
        { A: { type: c.a, data: A, dims: [M, K] }, B: { type: c.b, data: B, dims: [K, N] } },
      );
      expect(Array.from(matMulInteger(A, aZp, B, bZp, M, K, N, new Int32Array(M * N)))).toEqual(got);
    }
  });

  it('QLinearMatMul (uint8 and int8, per-tensor and per-column weight scales) and the TFLite-path mismatch rate', async () => {
    const rng = new Rng(SEED + 3);
    const M = 12, K = 40, N = 10;
    let compared = 0;
    let differ = 0;
    for (const t of ['uint8', 'int8'] as const) {
      for (const perCol of [false, true]) {
        const [lo, hi] = QUANT_RANGES[t];
        const A = Array.from({ length: M * K }, () => rng.int(lo, hi));
        const B = Array.from({ length: K * N }, () => rng.int(t === 'uint8' ? lo : -64, t === 'uint8' ? hi : 63));
        const aS = Math.fround(0.02 + rng.float() * 0.05);
        const bS = Array.from({ length: perCol ? N : 1 }, () => Math.fround(0.001 + rng.float() * 0.01));
        const yS = Math.fround(0.05 + rng.float() * 0.2);
        const aZp = rng.int(lo, hi) >> 2;
        const bZp = t === 'uint8' ? rng.int(100, 150) : 0;
        const yZp = rng.int(lo, hi) >> 1;
        const bdims = perCol ? [1, N] : [];
        const got = await run(
          {
            opset: 13,
            nodes: [{ op: 'QLinearMatMul', inputs: ['A', 'as', 'az', 'B', 'bs', 'bz', 'ys', 'yz'], outputs: ['Y'] }],
            inputs: [{ name: 'A', type: t, dims: [M, K] }, { name: 'B', type: t, dims: [K, N] }],
            outputs: [{ name: 'Y', type: t, dims: [M, N] }],
            initializers: [
              { name: 'as', type: 'float', dims: [], data: [aS] }, { name: 'az', type: t, dims: [], data: [aZp] },
              { name: 'bs', type: 'float', dims: bdims, data: bS }, { name: 'bz', type: t, dims: bdims, data: Array(bS.length).fill(bZp) },
              { name: 'ys', type: 'float', dims: [], data: [yS] }, { name: 'yz', type: t, dims: [], data: [yZp] },
            ],
          },
          { A: { type: t, data: A, dims: [M, K] }, B: { type: t, data: B, dims: [K, N] } },
        );
        const mine = qlinearMatMul(A, aS, aZp, B, bS, [bZp], yS, yZp, t, M, K, N, new Int32Array(M * N));
        expect(Array.from(mine)).toEqual(got);
        // TFLite integer path on the same accumulators: quantizeMultiplier(aS*bS/yS) + double rounding
        const acc = matMulInteger(A, aZp, B, [bZp], M, K, N, new Int32Array(M * N));
        for (let i = 0; i < M * N; i++) {
          const { multiplier, shift } = quantizeMultiplier((aS * bS[perCol ? i % N : 0]) / yS);
          const v = multiplyByQuantizedMultiplier(acc[i], multiplier, shift, 'double') + yZp;
          const tfl = Math.min(hi, Math.max(lo, v));
          compared++;
          if (tfl !== mine[i]) {
            differ++;
            expect(Math.abs(tfl - mine[i])).toBe(1);
          }
        }
      }
    }
    console.log(`ORT float32 rescale vs TFLite integer rescale: ${differ} of ${compared} outputs differ (each by 1 LSB)`);
  });

  it('ORT float32 rescale vs TFLite integer rescale on 200000 random accumulators: differ by at most 1', () => {
    const rng = new Rng(SEED + 4);
    let differ = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const acc = rng.int(-(2 ** 20), 2 ** 20);
      const scale = Math.fround(2 ** rng.int(-16, -8) * (1 + rng.float()));
      const ort = onnxRescale(acc, scale, 0, -128, 127);
      const { multiplier, shift } = quantizeMultiplier(scale);
      const v = multiplyByQuantizedMultiplier(acc, multiplier, shift, 'double');
      const tfl = Math.min(127, Math.max(-128, v));
      if (tfl !== ort) {
        differ++;
        expect(Math.abs(tfl - ort)).toBe(1);
      }
    }
    console.log(`ORT float32 vs TFLite double-rounding integer rescale: ${differ} of ${n} differ (rate ${(differ / n).toExponential(2)})`);
  });

  it('ONNX reference (float64) rescale vs ORT (float32): the named modes differ where float32 rounds onto a tie', () => {
    const ort25 = qlinearMatMul([25], 0.1, 0, [1], [1], [0], 1, 0, 'int8', 1, 1, 1, new Int32Array(1));
    const ref25 = qlinearMatMul([25], 0.1, 0, [1], [1], [0], 1, 0, 'int8', 1, 1, 1, new Int32Array(1), 'onnx-reference');
    expect([ort25[0], ref25[0]]).toEqual([2, 3]);
    const rng = new Rng(SEED + 5);
    let differ = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const acc = rng.int(-(2 ** 20), 2 ** 20);
      const s = Math.fround(2 ** rng.int(-16, -8) * (1 + rng.float()));
      const a = onnxRescale(acc, s, 3, -128, 127);
      const b = onnxReferenceRescale(acc, s, 3, -128, 127);
      if (a !== b) {
        differ++;
        expect(Math.abs(a - b)).toBe(1);
      }
    }
    console.log(`ORT float32 vs ONNX reference float64 rescale: ${differ} of ${n} differ`);
  });

  it('PyTorch reciprocal fake quant vs ONNX division (docs/arithmetic.md vector)', () => {
    const x = -160.28717041015625;
    const s = 0.6373247504234314;
    expect(quantizeLinear([x], [1], [s], [0], 'int16', {}, new Int32Array(1))[0]).toBe(-252);
    expect(fakeQuantReciprocal(x, s, 0, -32768, 32767)).toBe(-251);
  });

  it('bad input', () => {
    expect(() => quantizeLinear([1, 2], [2], [1, 1, 1], [0, 0, 0], 'int8', { axis: 0 }, new Int8Array(2))).toThrow(/^scale.length: got 3; allowed: 1 or shape\[0\] = 2/);
    expect(() => quantizeLinear([NaN], [1], [1], [0], 'int8', {}, new Int8Array(1))).toThrow(/^x\[0\]: got NaN/);
    expect(() => quantizeLinear([1], [1], [0], [0], 'int8', {}, new Int8Array(1))).toThrow(/^scale\[0\]: got 0; allowed: a positive finite float32/);
    expect(() => quantizeLinear([1], [1], [1], [300], 'uint8', {}, new Uint8Array(1))).toThrow(/^zeroPoint\[0\]: got 300; allowed: an integer 0..255/);
    expect(() => quantizeLinear([1], [1], [1], [0], 'int3' as QuantType, {}, new Int8Array(1))).toThrow(/^type: got "int3"/);
    expect(() => matMulInteger([1, 2], 0, [1, 2], [0], 1, 2, 2, new Int32Array(2))).toThrow(/^B.length: got 2; allowed: 2 x 2 = 4/);
  });
});
