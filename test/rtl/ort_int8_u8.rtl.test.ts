import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, importOnnx, integerInference } from '../../src/model/index.js';
import { inputQuant } from '../../src/model/infer.js';
import { quantizeInput } from '../../src/model/stages.js';
import { readNpy } from '../../src/util/npy.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { PRESETS } from '../../src/hw/presets.js';
import { cosimAccelerator, type AccelCapacity } from '../../src/rtl/accel_top.js';

/**
 * ONNX Runtime quantize_static CNNs (uint8 activations, int8 weights; test/unit/fixtures/ort_static) on the
 * preset int8-u8 (int8 x uint8 MAC array, ASigned = 0): the RTL (hdl/accel_top.sv in Verilator) equals the TS
 * accelerator model on every output port in every cycle, at batch 1 and at the array's rows, and its logits
 * dequantized equal ONNX Runtime's committed float32 outputs to the bit (test/unit/accel_onnx.test.ts checks
 * the same for onnxruntime-node run live). One Verilator build for both models and batches (fixed capacity).
 */
const DIR = join(__dirname, '..', 'unit', 'fixtures', 'ort_static');
const design = PRESETS['int8-u8'];
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
// QOperator per-tensor and QDQ per-channel: both import paths, both weight granularities
const names = ['cnn_qop_pt', 'cnn_qdq_pc'];
const images = 8; // all of the fixture

describe('ONNX Runtime CNNs on int8-u8: RTL == TS model every cycle, logits == ONNX Runtime', () => {
  it(`${names.join(', ')}: ${images} images at batch 1 and ${design.array.rows}`, async () => {
    const input = readNpy(join(DIR, 'input.npy'));
    const per = input.data.length / input.shape[0]!;
    const runs = names.flatMap((name) => {
      const m = importOnnx(join(DIR, `${name}.onnx`), { name });
      return [1, design.array.rows].map((batch) => ({ name, m, batch, p: compileModel(m, design, { batch }) }));
    });
    const capacity: AccelCapacity = {
      wDepth: Math.max(...runs.map((r) => r.p.wDepth)), pDepth: Math.max(...runs.map((r) => r.p.pDepth)),
      actWords: Math.max(...runs.map((r) => Math.ceil(r.p.actBits / 32))), outDepth: Math.max(...runs.map((r) => r.p.outDepth)),
      layers: Math.max(...runs.map((r) => r.p.layers.length)),
    };
    for (const { name, m, batch, p } of runs) {
      const xq = new Int32Array(images * per);
      quantizeInput(inputQuant(m)!, (input.data as Float32Array).subarray(0, images * per), xq);
      const res = await cosimAccelerator(p, xq, images, { capacity });
      const where = `${name} / batch ${batch}`;
      expect(res.mismatch, where).toBeUndefined();
      expect(Array.from(res.outputs), where).toEqual(Array.from(res.model.outputs));
      expect(Array.from(res.outputs), where).toEqual(Array.from(integerInference(m, xq).output));
      const ort = (readNpy(join(DIR, `${name}.ort.npy`)).data as Float32Array).subarray(0, images * 10);
      expect(bits(dequantizeOutput(m, res.outputs)), where).toEqual(bits(ort));
      process.stderr.write(`[ort_int8_u8] ${where}: ${res.simCycles} cycles simulated, ${res.simSeconds.toFixed(1)} s; build ${res.build.cached ? 'cached' : `${res.build.seconds.toFixed(1)} s`}\n`);
    }
  });
});
