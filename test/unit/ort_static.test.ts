import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, importOnnx, integerInference, DT, type QuantizedModel } from '../../src/model/index.js';
import { readNpy } from '../../src/util/npy.js';
import { InputError } from '../../src/util/errors.js';
import { Graph } from './fixtures/model/qdq.js';
import { runOrt } from './fixtures/model/ort.js';

/**
 * Real ONNX Runtime graphs: PyTorch MLP (nn.Flatten first) and CNN exported to ONNX and quantized by
 * onnxruntime.quantization.quantize_static (QOperator and QDQ, per-tensor and per-channel weights), with ONNX
 * Runtime's float outputs on 8 MNIST test images (fixtures/ort_static/make.py). lowbit imports them, runs the
 * `onnxruntime` requant mode and dequantizes as DequantizeLinear does: the float32 logits equal ORT's to the bit.
 */
const DIR = join(__dirname, 'fixtures', 'ort_static');
const meta = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as { models: Record<string, { ops: string[]; argmax: number[] }>; labels: number[] };
const input = readNpy(join(DIR, 'input.npy'));
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('ONNX Runtime quantize_static graphs (PyTorch MLP / CNN on MNIST)', () => {
  for (const name of Object.keys(meta.models)) {
    it(`${name} (${meta.models[name]!.ops.join(', ')}): dequantized outputs equal ORT's float32 bit for bit`, () => {
      const m = importOnnx(join(DIR, `${name}.onnx`), { name });
      const ort = readNpy(join(DIR, `${name}.ort.npy`));
      expect(ort.shape).toEqual([8, 10]);
      const res = integerInference(m, input.data as Float32Array, { requant: 'onnxruntime' });
      const y = dequantizeOutput(m, res.output);
      expect(bits(y)).toEqual(bits(ort.data as Float32Array));
      // the TFLite fixed-point multipliers (the hardware's default) round differently near ties
      const fixed = dequantizeOutput(m, integerInference(m, input.data as Float32Array).output);
      const same = fixed.filter((v, i) => Object.is(v, y[i])).length;
      process.stderr.write(`[ort_static] ${name}: layers ${m.layers.map((l) => l.kind).join(' ')}; onnxruntime mode 80/80 bit-identical; fixed mode ${same}/80\n`);
      expect(Array.from(res.output.length ? argmax(y) : [])).toEqual(meta.models[name]!.argmax);
    });
  }

  it('the float Flatten before the first QuantizeLinear keeps the [1, 28, 28] input; the MLP flattens after quantizing', () => {
    const m = importOnnx(join(DIR, 'mlp_qop_pt.onnx'));
    expect(m.inputShape).toEqual([1, 28, 28]);
    expect(m.layers.map((l) => l.kind)).toEqual(['quantize', 'flatten', 'dense', 'dense']);
  });
});

function argmax(y: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < y.length / 10; r++) {
    let b = 0;
    for (let c = 1; c < 10; c++) if (y[r * 10 + c]! > y[r * 10 + b]!) b = c;
    out.push(b);
  }
  return out;
}

/** QOperator graph: NHWC float input -> layout ops -> QuantizeLinear -> QGemm -> DequantizeLinear -> Reshape. */
function layoutGraph(pre: (g: Graph, x: string) => string, post: (g: Graph, y: string) => string, outShape: number[]): Uint8Array {
  const g = new Graph();
  const x = pre(g, 'input');
  const q = g.node('QuantizeLinear', [x, g.init('xs', DT.FLOAT, [], [0.05]), g.init('xz', DT.UINT8, [], [3])]);
  const K = 24;
  const N = 6;
  const w = Array.from({ length: N * K }, (_, i) => ((i * 37) % 23) - 11);
  const acc = g.node('QGemm', [q, 'xs', 'xz', g.init('w', DT.INT8, [N, K], w), g.init('ws', DT.FLOAT, [], [0.02]), g.init('wz', DT.INT8, [], [0]),
    g.init('b', DT.INT32, [N], [5, -7, 100, 0, 3, -50]), g.init('ys', DT.FLOAT, [], [0.07]), g.init('yz', DT.UINT8, [], [128])], { transB: 1 }, 'com.microsoft');
  const y = post(g, g.node('DequantizeLinear', [acc, 'ys', 'yz']));
  return g.model('layout', 'input', [2, 3, 4], y, DT.FLOAT, outShape);
}

const layoutCases: [string, (g: Graph, x: string) => string, (g: Graph, y: string) => string, number[]][] = [
  ['Transpose (HWC -> CHW) then Flatten', (g, x) => g.node('Flatten', [g.node('Transpose', [x], { perm: [0, 3, 1, 2] })], { axis: 1 }), (_g, y) => y, [6]],
  ['Unsqueeze, Squeeze, Reshape [-1, 24]', (g, x) => g.node('Reshape', [g.node('Squeeze', [g.node('Unsqueeze', [x, g.init('ua', DT.INT64, [1], [2])]), g.init('sa', DT.INT64, [1], [2])]), g.init('rs', DT.INT64, [2], [-1, 24])]), (_g, y) => y, [6]],
  ['Transpose twice (identity order) then Reshape; output Reshape to [N, 2, 3] and Identity', (g, x) => g.node('Reshape', [g.node('Transpose', [g.node('Transpose', [x], { perm: [0, 2, 1, 3] })], { perm: [0, 2, 1, 3] }), g.init('rs', DT.INT64, [2], [0, -1])]),
    (g, y) => g.node('Identity', [g.node('Reshape', [y, g.init('ro', DT.INT64, [3], [-1, 2, 3])])]), [2, 3]],
];

describe('float layout ops around the quantized part are folded into the input / output handling (against onnxruntime-node)', () => {
  for (const [label, pre, post, outShape] of layoutCases) {
    it(label, async () => {
      const bytes = layoutGraph(pre, post, outShape);
      const x = Float32Array.from({ length: 5 * 24 }, (_, i) => Math.sin(i * 1.7) * 1.5);
      const ort = await runOrt(bytes, x, [5, 2, 3, 4]);
      const m: QuantizedModel = importOnnx(bytes);
      expect(m.inputShape.reduce((a, b) => a * b, 1)).toBe(24);
      const y = dequantizeOutput(m, integerInference(m, x, { requant: 'onnxruntime' }).output);
      expect(bits(y)).toEqual(bits(Float32Array.from(ort.data)));
    });
  }

  it('a Transpose of the input before a Conv, and a reshaped tensor between layers, are refused naming the node', () => {
    const g = new Graph();
    const t = g.node('Transpose', ['input'], { perm: [0, 3, 1, 2] });
    const q = g.node('QuantizeLinear', [t, g.init('xs', DT.FLOAT, [], [0.05]), g.init('xz', DT.UINT8, [], [0])]);
    const c = g.node('QLinearConv', [q, 'xs', 'xz', g.init('w', DT.INT8, [2, 4, 1, 1], [1, 2, 3, 4, 5, 6, 7, 8]), g.init('ws', DT.FLOAT, [], [0.1]), g.init('wz', DT.INT8, [], [0]), 'xs', 'xz']);
    expect(() => importOnnx(g.model('t', 'input', [3, 3, 4], c, DT.UINT8, [2, 3, 3]))).toThrow(/node qlinearconv_\d+ \(QLinearConv\): a Transpose of the float input can be folded only into a first dense layer/);
    const bytes = layoutGraph((gg, x) => gg.node('Reshape', [x, gg.init('rs', DT.INT64, [2], [-1, 24])]), (gg, y) => gg.node('Relu', [gg.node('Reshape', [y, gg.init('ro', DT.INT64, [3], [-1, 2, 3])])]), [2, 3]);
    expect(() => importOnnx(bytes)).toThrow(InputError);
    expect(() => importOnnx(bytes)).toThrow(/\(Relu\): input reshape_\d+ is a quantized tensor reshaped to a non-flat shape/);
  });
});
