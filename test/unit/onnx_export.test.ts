import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { exportOnnx, importOnnx, integerInference, ortU8S8Saturates, shapeSize, type Conv2dLayer, type QuantizedModel } from '../../src/model/index.js';
import { BINARY, int, randomCnn, randomFloats, randomMlp } from './fixtures/model/random_models.js';
import { runOrt } from './fixtures/model/ort.js';

const seed = testSeed(5404);
/** ORT's u8 x s8 GEMM saturates pair sums at int16 on AVX2 CPUs without VNNI: lowbit emulates it when comparing */
const SAT = ortU8S8Saturates();

async function compare(m: QuantizedModel, rng: Rng, batch: number): Promise<void> {
  const x = randomFloats(rng, batch * shapeSize(m.inputShape), 3);
  const bytes = exportOnnx(m);
  const ortOut = await runOrt(bytes, x, [batch, ...m.inputShape]);
  const ours = integerInference(m, x, { requant: 'onnxruntime', u8s8Saturation: SAT });
  expect(ortOut.dims).toEqual(ours.shape);
  expect(ortOut.data).toEqual(Array.from(ours.output));
  // import(export(m)) computes the same integers in both requant modes' ORT path
  const back = importOnnx(bytes, { name: m.name, scaling: 'onnx' });
  // a clamp layer right after a requantize stage comes back fused into that stage's clamp
  const kinds = (mm: QuantizedModel) => mm.layers.filter((l, i) => !(l.kind === 'clamp' && mm.layers[i - 1]?.kind !== 'flatten')).map((l) => l.kind);
  expect(kinds(back)).toEqual(kinds(m));
  back.layers.forEach((l, i) => {
    const o = m.layers.find((x) => x.name === l.name);
    if ((l.kind === 'dense' || l.kind === 'conv2d') && o && (o.kind === 'dense' || o.kind === 'conv2d')) {
      expect(l.weight.data).toEqual(o.weight.data);
      expect(l.weight.format).toEqual(o.weight.format.type === 'binary' ? int(8, true) : { ...o.weight.format, bits: 8 });
      expect(l.bias).toEqual(o.bias);
      expect(l.input.zeroPoint, `layer ${i}`).toBe(o.input.zeroPoint);
      expect(l.input.format, `layer ${i} (sub-8-bit formats come back through their Clip)`).toEqual(o.input.format);
    }
  });
  expect(Array.from(integerInference(back, x, { requant: 'onnxruntime', u8s8Saturation: SAT }).output)).toEqual(ortOut.data);
  expect(Array.from(integerInference(back, x, { u8s8Saturation: SAT }).output)).toEqual(ortOut.data); // 'onnx' scaling is the ORT rescale itself
}

describe(`ONNX export (QOperator) runs in ONNX Runtime with identical integers (seed ${seed})`, () => {
  it('MLPs: QuantizeLinear, QLinearMatMul (no bias), QGemm (bias), MatMulInteger + Add (int32 logits)', async () => {
    const rng = new Rng(seed);
    for (const [wf, af] of [[int(8, true), int(8, false)], [int(8, true), int(8, true)], [int(4, true), int(4, false)], [int(8, false), int(8, false)]] as const) {
      for (const kind of ['multiplier-double', 'onnx'] as const) {
        const m = randomMlp(rng, [rng.int(2, 40), rng.int(2, 30), rng.int(2, 20), 5], wf, af, kind);
        await compare(m, rng, 16);
      }
    }
  });

  it('CNNs: QLinearConv with padding and stride, MaxPool, Clip, Flatten, MatMulInteger', async () => {
    const rng = new Rng(seed + 1);
    for (const [wf, af] of [[int(8, true), int(8, false)], [int(8, true), int(8, true)]] as const) {
      const m = randomCnn(rng, 2, 9, 10, wf, af, 'multiplier-double');
      for (const l of m.layers) if (l.kind === 'conv2d') l.weight.zeroPoint = [l.weight.zeroPoint[0]!];
      await compare(m, rng, 8);
    }
  });

  it('ConvInteger + Add (int32 output) for a conv2d with an accumulator stage', async () => {
    const rng = new Rng(seed + 2);
    const c = randomCnn(rng, 2, 7, 7, int(8, true), int(8, false), 'multiplier-double');
    const conv = c.layers[1] as Conv2dLayer;
    conv.output = { kind: 'accumulator' };
    conv.weight.zeroPoint = [conv.weight.zeroPoint[0]!];
    const m = { ...c, layers: c.layers.slice(0, 2) };
    const bytes = exportOnnx(m);
    const x = randomFloats(rng, 6 * 98, 3);
    const ortOut = await runOrt(bytes, x, [6, 2, 7, 7]);
    expect(ortOut.type).toBe('int32');
    expect(ortOut.data).toEqual(Array.from(integerInference(m, x).output));
    expect(Array.from(integerInference(importOnnx(bytes), x).output)).toEqual(ortOut.data);
  });

  it('threshold and bipolar stages, binary weights and activations: integer ops, ONNX Runtime == integerInference', async () => {
    const rng = new Rng(seed + 3);
    const cases = [
      randomMlp(rng, [30, 20, 12, 5], int(4, true), int(4, false), 'threshold'),
      randomMlp(rng, [30, 20, 12, 5], int(4, true), int(3, true), 'threshold'),
      randomMlp(rng, [30, 20, 12, 5], BINARY, BINARY, 'bipolar'),
      randomMlp(rng, [30, 20, 5], int(2, true), int(8, false), 'threshold'),
      randomCnn(rng, 2, 9, 10, int(4, true), int(4, false), 'threshold'),
      randomCnn(rng, 2, 9, 10, BINARY, BINARY, 'bipolar'),
    ];
    for (const m of cases) {
      for (const l of m.layers) if (l.kind === 'conv2d') l.weight.zeroPoint = [l.weight.zeroPoint[0]!];
      const x = randomFloats(rng, 12 * shapeSize(m.inputShape), 3);
      const ortOut = await runOrt(exportOnnx(m), x, [12, ...m.inputShape]);
      const ours = integerInference(m, x, { u8s8Saturation: SAT });
      expect(ortOut.data).toEqual(Array.from(ours.output));
      expect(new Set(ours.output).size, m.name).toBeGreaterThan(2);
      // the integer threshold ops are read back (stage by stage: onnx_threshold_roundtrip.test.ts)
      expect(Array.from(integerInference(importOnnx(exportOnnx(m)), x, { u8s8Saturation: SAT }).output)).toEqual(ortOut.data);
    }
  });

  it('rejects what has no QOperator form', () => {
    const w = randomMlp(new Rng(seed), [8, 4, 2], int(12, true), int(8, false), 'onnx');
    expect(() => exportOnnx(w)).toThrow(/format int12 has no ONNX QOperator form/);
  });
});
