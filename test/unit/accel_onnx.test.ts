import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intFormat } from '../../src/arith/format.js';
import { importOnnx, integerInference } from '../../src/model/index.js';
import { readNpy } from '../../src/util/npy.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { runAccelerator } from '../../src/hw/accel_top.js';
import { quantizeInput } from '../../src/model/stages.js';
import { inputQuant } from '../../src/model/infer.js';
import { PRESETS } from '../../src/hw/presets.js';
import { parseDesign, type Design } from '../../src/hw/design.js';

/**
 * ONNX Runtime quantize_static CNNs (QLinearConv + MaxPool + QGemm / QDQ, per-tensor and per-channel;
 * fixtures/ort_static) imported by lowbit compile onto the accelerator and give exactly the integer
 * reference's logits (fixed-point requantization, the hardware's) on the fixture's MNIST images.
 */
const DIR = join(__dirname, 'fixtures', 'ort_static');
// ORT's uint8 activations and int8 weights: an int8 x uint8 array
const design: Design = { ...structuredClone(PRESETS['int8-mnist']), name: 'int8-uint8' };
design.activation = intFormat(8, false);

describe('ONNX Runtime CNNs on the accelerator', () => {
  for (const name of ['cnn_qop_pt', 'cnn_qop_pc', 'cnn_qdq_pt', 'cnn_qdq_pc']) {
    it(`${name}: TS accelerator == integer reference on every image, at batch 1 and R`, () => {
      const m = importOnnx(join(DIR, `${name}.onnx`), { name });
      const input = readNpy(join(DIR, 'input.npy'));
      const n = input.shape[0]!;
      const xq = new Int32Array(input.data.length);
      quantizeInput(inputQuant(m)!, input.data as Float32Array, xq);
      const ref = integerInference(m, xq).output;
      for (const batch of [1, design.array.rows]) {
        const p = compileModel(m, design, { batch });
        expect(p.layers.map((l) => l.engine)).toContain('pool');
        expect(Array.from(runAccelerator(p, xq, n).outputs)).toEqual(Array.from(ref));
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
    const fix = /use a Design \(JSON file\) with (\{.*\})$/.exec(message);
    expect(fix, message).not.toBeNull();
    expect(JSON.parse(fix![1]!)).toEqual({ base: 'int8-mnist', activation: { bits: 8, signed: false } });
    const p = compileModel(m, parseDesign(JSON.parse(fix![1]!)));
    expect(p.layers.map((l) => l.engine)).toEqual(['mac', 'pool', 'mac', 'mac']);
  });
});
