import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, DT, exportOnnx, importOnnx, integerInference, type GlobalAvgPoolLayer } from '../../src/model/index.js';
import { decodeModel } from '../../src/model/onnx/proto.js';
import { readNpy } from '../../src/util/npy.js';
import { Graph } from './fixtures/model/qdq.js';

/**
 * QDQ GlobalAveragePool (DequantizeLinear -> GlobalAveragePool -> QuantizeLinear) imported as a lowbit
 * `globalavgpool` layer, on the small QDQ CNNs of fixtures/ort_qdq_gap/make.py (built with the onnx package):
 * ONNX Runtime fuses the pattern into QLinearGlobalAveragePool (read from the model its optimizer writes), and
 * lowbit's dequantized logits equal onnxruntime-node's bit for bit; the layer is the one the QOperator form
 * imports to; patterns without an integer meaning are refused in one line.
 */
const DIR = join(__dirname, 'fixtures', 'ort_qdq_gap');
const meta = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as { models: Record<string, { activations: string; pooled: string }> };
const input = readNpy(join(DIR, 'input.npy'));
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** ORT's outputs on `input` (CPU, all graph optimizations, 1 thread) and the ops of the graph it optimized to. */
async function ortRun(bytes: Uint8Array): Promise<{ y: Float32Array; ops: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-qdq-gap-'));
  try {
    const opt = join(dir, 'optimized.onnx');
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3, optimizedModelFilePath: opt });
    const y = (await s.run({ input: new ort.Tensor('float32', input.data as Float32Array, input.shape) }))[s.outputNames[0]!]!.data as Float32Array;
    await s.release();
    const ops = (decodeModel(readFileSync(opt), opt).graph?.node ?? []).map((n) => n.opType ?? '');
    return { y, ops };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('QDQ GlobalAveragePool: lowbit == onnxruntime-node', () => {
  for (const [name, m] of Object.entries(meta.models)) {
    it(`${name} (${m.activations} activations, ${m.pooled} average): ORT fuses it into QLinearGlobalAveragePool; lowbit's logits == ORT's, bit for bit`, async () => {
      const bytes = readFileSync(join(DIR, `${name}.onnx`));
      const model = importOnnx(bytes, { name });
      expect(model.layers.map((l) => l.kind)).toEqual(['quantize', 'conv2d', 'globalavgpool', 'flatten', 'dense']);
      const gap = model.layers[2] as GlobalAvgPoolLayer;
      expect(gap.input.format).toEqual({ type: 'int', bits: 8, signed: m.activations === 'int8' });
      expect(gap.output.format).toEqual({ type: 'int', bits: 8, signed: m.pooled === 'int8' });
      expect(gap.output.scale).not.toBe(gap.input.scale);
      const ours = dequantizeOutput(model, integerInference(model, input.data as Float32Array, { requant: 'onnxruntime' }).output);
      const ref = await ortRun(bytes);
      expect(ref.ops).toContain('QLinearGlobalAveragePool');
      expect(ref.ops).not.toContain('GlobalAveragePool');
      expect(bits(ours)).toEqual(bits(ref.y));
      // lowbit's export of the import (QOperator: QLinearGlobalAveragePool) gives ORT the same integers;
      // an average from one 8-bit type to the other has no QOperator form
      if (m.activations !== m.pooled) {
        expect(() => exportOnnx(model)).toThrow(/^exportOnnx: layers\[2\] \(gap\): a globalavgpool from uint8 to int8 has no ONNX form \(QLinearGlobalAveragePool has one element type\); `lowbit infer` runs the model$/);
        return;
      }
      const back = await ortRun(exportOnnx(model));
      expect(Array.from(back.y)).toEqual(Array.from(integerInference(model, input.data as Float32Array).output));
    });
  }

  it('refuses a GlobalAveragePool that is not between DequantizeLinear and QuantizeLinear, in one line', () => {
    const q = { format: { type: 'int', bits: 8, signed: false }, scale: 0.02, zeroPoint: 3 } as const;
    // the float average is the graph output
    let g = new Graph();
    let out = g.node('GlobalAveragePool', [g.dq(g.q('input', q), q)]);
    expect(() => importOnnx(g.model('gap_float_out', 'input', [2, 4, 4], out, DT.FLOAT, [2, 1, 1]))).toThrow(/\(GlobalAveragePool\): the average must be read only by one QuantizeLinear \(ONNX Runtime fuses .*\)$/);
    // the average read by a Relu
    g = new Graph();
    out = g.q(g.node('Relu', [g.node('GlobalAveragePool', [g.dq(g.q('input', q), q)])]), q);
    expect(() => importOnnx(g.model('gap_relu', 'input', [2, 4, 4], out, DT.UINT8, [2, 1, 1]))).toThrow(/the average must be read only by one QuantizeLinear/);
    // on the float input
    g = new Graph();
    out = g.q(g.node('GlobalAveragePool', ['input']), q);
    expect(() => importOnnx(g.model('gap_float_in', 'input', [2, 4, 4], out, DT.UINT8, [2, 1, 1]))).toThrow(/\(GlobalAveragePool\): GlobalAveragePool is imported between a DequantizeLinear and a QuantizeLinear \(QDQ form\), or as com\.microsoft QLinearGlobalAveragePool$/);
  });
});
