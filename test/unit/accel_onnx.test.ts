import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, importOnnx, integerInference } from '../../src/model/index.js';
import { readNpy } from '../../src/util/npy.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator } from '../../src/hw/accel_top.js';
import { quantizeInput } from '../../src/model/stages.js';
import { inputQuant } from '../../src/model/infer.js';
import { PRESETS } from '../../src/hw/presets.js';
import { parseDesign } from '../../src/hw/design.js';
import { runOrt } from './fixtures/model/ort.js';

/**
 * ONNX Runtime quantize_static CNNs (QLinearConv + MaxPool + QGemm / QDQ, per-tensor and per-channel;
 * uint8 activations, int8 weights; fixtures/ort_static) imported by lowbit compile onto the preset int8-u8
 * (int8 x uint8 MAC array) and give exactly the integer reference's logits (fixed-point requantization, the
 * hardware's) on the fixture's MNIST images; dequantized as DequantizeLinear does, they equal ONNX Runtime's
 * float32 outputs to the bit: the committed ones and onnxruntime-node's, run here on the same file.
 */
const DIR = join(__dirname, 'fixtures', 'ort_static');
const design = PRESETS['int8-u8'];
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('ONNX Runtime CNNs on the preset int8-u8', () => {
  for (const name of ['cnn_qop_pt', 'cnn_qop_pc', 'cnn_qdq_pt', 'cnn_qdq_pc']) {
    it(`${name}: TS accelerator == integer reference on every image, at batch 1 and R; dequantized == ONNX Runtime bit for bit`, async () => {
      const m = importOnnx(join(DIR, `${name}.onnx`), { name });
      const input = readNpy(join(DIR, 'input.npy'));
      const n = input.shape[0]!;
      const xq = new Int32Array(input.data.length);
      quantizeInput(inputQuant(m)!, input.data as Float32Array, xq);
      const ref = integerInference(m, xq).output;
      const ort = await runOrt(readFileSync(join(DIR, `${name}.onnx`)), input.data as Float32Array, input.shape);
      expect(ort.dims).toEqual([n, 10]);
      for (const batch of [1, design.array.rows]) {
        const p = compileModel(m, design, { batch });
        expect(p.layers.map((l) => l.engine)).toEqual(['mac', 'pool', 'mac', 'mac']);
        const out = runAccelerator(p, xq, n).outputs;
        expect(Array.from(out)).toEqual(Array.from(ref));
        const y = dequantizeOutput(m, out);
        expect(bits(y)).toEqual(bits(readNpy(join(DIR, `${name}.ort.npy`)).data as Float32Array));
        expect(bits(y)).toEqual(bits(Float32Array.from(ort.data)));
      }
    });
  }
});

describe('an ONNX Runtime CNN on a Design whose array cannot hold its uint8 activations', () => {
  it('the error names the pooled layer, its input format and the Design field that fixes it; that fix compiles', () => {
    const m = importOnnx(join(DIR, 'cnn_qdq_pc.onnx'), { name: 'cnn_qdq_pc' });
    let message = '';
    try {
      compileModel(m, PRESETS['int8-mnist']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/max-pool layer \/2\/MaxPool feeds layer \/3\/Conv, whose uint8 inputs the int8 x int8 MAC array cannot hold/);
    expect(message).toContain('; use the preset int8-u8 (int8 x uint8) or a Design (JSON file) with {');
    expect(compileModel(m, PRESETS[/the preset ([\w-]+) /.exec(message)![1]! as 'int8-u8']).layers.map((l) => l.engine)).toEqual(['mac', 'pool', 'mac', 'mac']);
    const fix = /a Design \(JSON file\) with (\{.*\})$/.exec(message);
    expect(fix, message).not.toBeNull();
    expect(JSON.parse(fix![1]!)).toEqual({ base: 'int8-mnist', activation: { bits: 8, signed: false } });
    const p = compileModel(m, parseDesign(JSON.parse(fix![1]!)));
    expect(p.layers.map((l) => l.engine)).toEqual(['mac', 'pool', 'mac', 'mac']);
  });
});
