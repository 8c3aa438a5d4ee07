import { describe, it, expect } from 'vitest';
import { Rng, testSeed } from '../../src/util/rng.js';
import { InputError } from '../../src/util/errors.js';
import {
  exportOnnx, importOnnx, integerInference, ortU8S8Saturates, shapeSize, DT, encodeModel, makeNode, makeTensor, makeValueInfo,
  type ActQuant, type DenseLayer, type QuantizedModel,
} from '../../src/model/index.js';
import { int, randomFloats, randomInts } from './fixtures/model/random_models.js';
import { Graph, model, qdqCnn, qdqMlp, toQdq, toQGemmStatic } from './fixtures/model/qdq.js';
import { runOrt } from './fixtures/model/ort.js';

const seed = testSeed(5505);
/** ORT's u8 x s8 GEMM saturates pair sums at int16 on AVX2 CPUs without VNNI: lowbit emulates it when comparing */
const SAT = ortU8S8Saturates();
const U8 = int(8, false);
const I8 = int(8, true);

interface Agreement { n: number; identical: number; maxDiff: number; hist: Record<number, number> }
function agreement(a: ArrayLike<number>, b: ArrayLike<number>): Agreement {
  const r: Agreement = { n: a.length, identical: 0, maxDiff: 0, hist: {} };
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d === 0) r.identical++;
    r.maxDiff = Math.max(r.maxDiff, d);
    r.hist[d] = (r.hist[d] ?? 0) + 1;
  }
  return r;
}
const pct = (a: Agreement) => `${((100 * a.identical) / a.n).toFixed(2)}% identical of ${a.n}, max |diff| ${a.maxDiff}, diffs ${JSON.stringify(a.hist)}`;

async function qdqCase(label: string, m: QuantizedModel, bytes: Uint8Array, rng: Rng, batch: number) {
  const x = randomFloats(rng, batch * shapeSize(m.inputShape), 3);
  const ortOut = await runOrt(bytes, x, [batch, ...m.inputShape]);
  const imported = importOnnx(bytes, { name: label });
  // the importer recovers the layers: same integers as the model the ONNX file was written from
  expect(integerInference(imported, x).output).toEqual(integerInference(m, x).output);
  const ortMode = agreement(ortOut.data, integerInference(imported, x, { requant: 'onnxruntime', u8s8Saturation: SAT }).output);
  const exactAcc = agreement(ortOut.data, integerInference(imported, x, { requant: 'onnxruntime' }).output);
  const fixed = agreement(ortOut.data, integerInference(imported, x, { requant: 'fixed' }).output);
  process.stderr.write(
    `[onnx_import] ${label}: ORT vs lowbit onnxruntime mode${SAT ? ' + AVX2 u8s8 saturation' : ''}: ${pct(ortMode)}; ` +
      `onnxruntime mode, exact accumulation: ${pct(exactAcc)}; fixed mode (exact): ${pct(fixed)}\n`,
  );
  return { ortMode, fixed };
}

describe(`ONNX import against ONNX Runtime (seed ${seed}; LOWBIT_SEED=${seed} reproduces)`, () => {
  it('QDQ MLP (DequantizeLinear -> MatMul + Add bias -> Relu -> QuantizeLinear, per-tensor weights)', async () => {
    const rng = new Rng(seed);
    const m = qdqMlp(rng, [64, 48, 32, 10], U8, false);
    const { ortMode, fixed } = await qdqCase('qdq-matmul-u8', m, toQdq(m, { gemm: false }), rng, 200);
    expect(ortMode.identical / ortMode.n).toBeGreaterThanOrEqual(0.99);
    expect(ortMode.maxDiff).toBeLessThanOrEqual(2);
    expect(fixed.identical / fixed.n).toBeGreaterThanOrEqual(0.9);
  });

  it('QDQ MLP (Gemm with int32 bias through DequantizeLinear, per-channel weights, int8 activations)', async () => {
    const rng = new Rng(seed + 1);
    const m = qdqMlp(rng, [50, 40, 12], I8, true);
    const { ortMode, fixed } = await qdqCase('qdq-gemm-s8', m, toQdq(m, { gemm: true }), rng, 200);
    expect(ortMode.identical / ortMode.n).toBeGreaterThanOrEqual(0.99);
    expect(ortMode.maxDiff).toBeLessThanOrEqual(2);
    expect(fixed.identical / fixed.n).toBeGreaterThanOrEqual(0.9);
  });

  it('QDQ CNN (Conv per-channel + bias + Relu, MaxPool between DQ and Q, Flatten, MatMul)', async () => {
    const rng = new Rng(seed + 2);
    const m = qdqCnn(rng, U8);
    const { ortMode, fixed } = await qdqCase('qdq-cnn-u8', m, toQdq(m, { gemm: false }), rng, 100);
    expect(ortMode.identical / ortMode.n).toBeGreaterThanOrEqual(0.99);
    expect(ortMode.maxDiff).toBeLessThanOrEqual(2);
    expect(fixed.identical / fixed.n).toBeGreaterThanOrEqual(0.9);
  });

  it("com.microsoft QGemm chain as quantize_static's QOperator output (float output through DequantizeLinear): identical", async () => {
    const rng = new Rng(seed + 3);
    const m = qdqMlp(rng, [40, 30, 8], U8, true);
    const bytes = toQGemmStatic(m);
    const x = randomFloats(rng, 100 * 40, 3);
    const ortOut = await runOrt(bytes, x, [100, 40]);
    const imported = importOnnx(bytes);
    expect(imported.layers.map((l) => l.kind)).toEqual(['quantize', 'dense', 'dense']);
    const out = integerInference(imported, x, { requant: 'onnxruntime', u8s8Saturation: SAT });
    const q = (imported.layers[2] as DenseLayer).output as { output: ActQuant };
    // ORT dequantizes: f = float32((y - zp) * scale); lowbit outputs y
    const deq = Array.from(out.output, (y) => Math.fround((y - q.output.zeroPoint) * q.output.scale));
    expect(ortOut.data).toEqual(deq);
  });

  it('integer (uint8) graph input: QOperator model without QuantizeLinear', async () => {
    const rng = new Rng(seed + 4);
    const m = qdqMlp(rng, [30, 20, 5], U8, false);
    const noQ = model('u8-input', [30], m.layers.slice(1));
    const bytes = exportOnnx(noQ);
    const x = randomInts(rng, 50 * 30, U8);
    const ortOut = await runOrt(bytes, Uint8Array.from(x), [50, 30]);
    const imported = importOnnx(bytes);
    expect(Array.from(integerInference(imported, x, { requant: 'onnxruntime', u8s8Saturation: SAT }).output)).toEqual(ortOut.data);
  });

  it('MatMulInteger + Add int32 bias -> Cast -> Mul(scale) -> QuantizeLinear, Reshape [N, -1] (integer-op glue)', async () => {
    const rng = new Rng(seed + 5);
    const m = qdqMlp(rng, [24, 16], U8, false);
    const fc = m.layers[1] as DenseLayer;
    const out = (fc.output as { output: ActQuant }).output;
    const g = new Graph();
    const xq = g.q('input', fc.input);
    const r = g.node('Reshape', [xq, g.init('shape', DT.INT64, [2], [0, -1])]);
    const Wt = new Int32Array(24 * 16);
    for (let o = 0; o < 16; o++) for (let k = 0; k < 24; k++) Wt[k * 16 + o] = fc.weight.data[o * 24 + k]!;
    let y = g.node('MatMulInteger', [r, g.init('W', DT.INT8, [24, 16], Wt), g.init('azp', DT.UINT8, [], [fc.input.zeroPoint]), g.init('bzp', DT.INT8, [], [0])]);
    y = g.node('Add', [y, g.init('bias', DT.INT32, [16], fc.bias!)]);
    const cast = g.fresh('cast');
    g.nodes.push(makeNode('Cast', [y], [cast], cast, { to: DT.FLOAT }));
    y = g.node('Mul', [cast, g.init('s', DT.FLOAT, [], [Math.fround(fc.input.scale * fc.weight.scale[0]!)])]);
    y = g.q(y, out);
    const bytes = g.model('mmi', 'input', [24], y, DT.UINT8, [16]);
    const imported = importOnnx(bytes);
    expect(imported.layers.map((l) => l.kind)).toEqual(['quantize', 'dense']);
    const x = randomFloats(rng, 300 * 24, 3);
    const ortOut = await runOrt(bytes, x, [300, 24]);
    // ORT multiplies by the scale, then QuantizeLinear divides by y_scale: two float32 roundings where lowbit's
    // onnxruntime mode has one combined scale, so a few outputs may differ by one
    const a = agreement(ortOut.data, integerInference(imported, x, { requant: 'onnxruntime', u8s8Saturation: SAT }).output);
    process.stderr.write(`[onnx_import] matmulinteger-cast-mul: ORT vs lowbit onnxruntime mode: ${pct(a)}\n`);
    expect(a.identical / a.n).toBeGreaterThanOrEqual(0.99);
    expect(a.maxDiff).toBeLessThanOrEqual(1);
  });

  it('rejects unsupported ops and graphs with the node and op named', () => {
    const g = (nodes: ReturnType<typeof makeNode>[], inits = [makeTensor('s', DT.FLOAT, [], [0.1]), makeTensor('z', DT.UINT8, [], [0])]) =>
      encodeModel({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'g', node: nodes, initializer: inits,
        input: [makeValueInfo('x', DT.FLOAT, ['N', 4])], output: [makeValueInfo(nodes[nodes.length - 1]!.output![0]!, DT.FLOAT, ['N', 4])] } });
    const bad = g([makeNode('QuantizeLinear', ['x', 's', 'z'], ['q'], 'quant'), makeNode('Softmax', ['q'], ['y'], 'sm')]);
    expect(() => importOnnx(bad, { name: 'bad.onnx' })).toThrow(InputError);
    expect(() => importOnnx(bad, { name: 'bad.onnx' })).toThrow(/bad\.onnx: node sm \(Softmax\): op Softmax is not supported by lowbit's ONNX import/);
    const unsorted = g([makeNode('DequantizeLinear', ['q', 's', 'z'], ['d'], 'dq'), makeNode('QuantizeLinear', ['x', 's', 'z'], ['q'], 'quant')]);
    expect(() => importOnnx(unsorted, { name: 'u.onnx' })).toThrow(/u\.onnx: node dq \(DequantizeLinear\): input q is not produced by an earlier node/);
    expect(() => importOnnx(new Uint8Array([1, 2, 3, 255]), { name: 'junk.onnx' })).toThrow(/junk\.onnx: not an ONNX model/);
    // a float model (as torch.onnx.export writes it): the message says it is not quantized and how to quantize it
    const float = g([makeNode('Gemm', ['x', 'w'], ['y'], 'fc', { transB: 1 })], [makeTensor('w', DT.FLOAT, [4, 4], new Array(16).fill(0.5))]);
    expect(() => importOnnx(float, { name: 'f.onnx' })).toThrow(/^f\.onnx: node fc \(Gemm\): float Gemm on a float input: the model is not quantized \(QDQ form needs a DequantizeLinear before it\); quantize it first, e\.g\. with onnxruntime\.quantization\.quantize_static \(QDQ or QOperator\)$/);
  });
});
