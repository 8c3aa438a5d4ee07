import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, exportQonnx, integerInference } from '../../src/model/index.js';
import { readNpy } from '../../src/util/npy.js';
import { BATCH, qonnxExecModels } from './fixtures/qonnx_exec/models.js';

/**
 * lowbit's QONNX exports run by qonnx's own executor (qonnx.core.onnx_exec.execute_onnx; fixtures/qonnx_exec/make.py
 * committed its outputs): random MLPs and CNNs of every stage kind the export writes as MultiThreshold
 * (fixtures/qonnx_exec/models.ts), 16 random inputs each.
 *  - the export is byte for byte the file qonnx ran (sha256);
 *  - every MultiThreshold output equals lowbit's integer layer output minus its zero point, exactly;
 *  - the float32 logits (the last MatMul / Conv + bias in float32, summed in ONNX Runtime's order) equal lowbit's
 *    dequantized logits to float32 rounding, with the same argmax.
 */
const DIR = join(__dirname, 'fixtures', 'qonnx_exec');
const meta = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as { models: Record<string, { sha256: string; multithreshold_sizes: number[]; argmax: number[] }> };

describe("QONNX export == qonnx's executor (execute_onnx)", () => {
  const models = qonnxExecModels();
  it('the fixture covers every model of models.ts', () => {
    expect(Object.keys(meta.models).sort()).toEqual(models.map((m) => m.name).sort());
  });
  for (const { name, model, input } of models) {
    it(`${name}: MultiThreshold outputs exact, logits to float32 rounding`, () => {
      const info = meta.models[name]!;
      const sha = createHash('sha256').update(exportQonnx(model)).digest('hex');
      expect(sha, 'the export changed since make.py ran qonnx on it: re-run test/unit/fixtures/qonnx_exec/make.py').toBe(info.sha256);
      // per MultiThreshold node (= each dense/conv layer with a threshold or requantize stage), all images
      const levels: number[] = [];
      const res = integerInference(model, input, {
        onLayer: (_i, l, out) => {
          if ((l.kind !== 'dense' && l.kind !== 'conv2d') || l.output.kind === 'accumulator') return;
          const zp = l.output.output.zeroPoint;
          for (const v of out) levels.push(v - zp);
        },
      });
      expect(levels.length).toBe(info.multithreshold_sizes.reduce((a, b) => a + b, 0));
      expect(levels).toEqual(Array.from(readNpy(join(DIR, `${name}.thresholds.npy`)).data as Int8Array));
      expect(new Set(levels).size).toBeGreaterThan(1);
      const y = dequantizeOutput(model, res.output);
      const q = readNpy(join(DIR, `${name}.logits.npy`)).data as Float32Array;
      expect(q.length).toBe(y.length);
      let same = 0;
      for (let k = 0; k < y.length; k++) {
        if (Object.is(y[k], q[k])) same++;
        expect(Math.abs(y[k]! - q[k]!)).toBeLessThanOrEqual(2 ** -18 * Math.max(1, Math.abs(q[k]!)));
      }
      const E = y.length / BATCH;
      const argmax = Array.from({ length: BATCH }, (_, r) => y.subarray(r * E, r * E + E).reduce((b, v, c, a) => (v > a[b]! ? c : b), 0));
      expect(argmax).toEqual(info.argmax);
      process.stderr.write(`[qonnx_exec] ${name}: ${levels.length} MultiThreshold outputs equal; logits ${same}/${y.length} bit-identical\n`);
    });
  }
});
