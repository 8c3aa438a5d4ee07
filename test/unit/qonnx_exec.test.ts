import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, exportQonnx, integerInference, loadQuantizedModel } from '../../src/model/index.js';
import { readNpy } from '../../src/util/npy.js';

/**
 * lowbit's QONNX exports of the shipped models run by qonnx's own executor (qonnx.core.onnx_exec.execute_onnx,
 * fixtures/qonnx_exec/make.py, committed outputs on 8 MNIST test images):
 *  - the export is byte for byte the file qonnx ran (sha256);
 *  - every MultiThreshold output (first 2 images) equals lowbit's integer layer output minus its zero point, exactly;
 *  - the float32 logits (the last MatMul + bias in float32, summed in ONNX Runtime's order) equal lowbit's
 *    dequantized logits to float32 rounding, with the same argmax.
 */
const DIR = join(__dirname, 'fixtures', 'qonnx_exec');
const meta = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as { models: Record<string, { sha256: string; multithreshold_sizes: number[]; argmax: number[] }> };
const input = readNpy(join(__dirname, 'fixtures', 'ort_static', 'input.npy')).data as Float32Array;

describe("QONNX export == qonnx's executor (execute_onnx) on the shipped models", () => {
  for (const [name, info] of Object.entries(meta.models)) {
    it(`${name}: MultiThreshold outputs exact, logits to float32 rounding`, () => {
      const m = loadQuantizedModel(join(__dirname, '..', '..', 'models', name));
      const sha = createHash('sha256').update(exportQonnx(m)).digest('hex');
      expect(sha, 'the export changed since make.py ran qonnx on it: re-run test/unit/fixtures/qonnx_exec/make.py').toBe(info.sha256);
      const levels: number[] = [];
      const res = integerInference(m, input, {
        onLayer: (_i, l, out) => {
          if ((l.kind !== 'dense' && l.kind !== 'conv2d') || l.output.kind === 'accumulator') return;
          const zp = l.output.output.zeroPoint;
          for (let k = 0; k < (out.length / 8) * 2; k++) levels.push(out[k]! - zp);
        },
      });
      const qonnx = readNpy(join(DIR, `${name}.thresholds.npy`));
      expect(levels.length).toBe(info.multithreshold_sizes.reduce((a, b) => a + b, 0));
      expect(levels).toEqual(Array.from(qonnx.data as Int8Array));
      const y = dequantizeOutput(m, res.output);
      const q = readNpy(join(DIR, `${name}.logits.npy`)).data as Float32Array;
      let same = 0;
      for (let k = 0; k < y.length; k++) {
        if (Object.is(y[k], q[k])) same++;
        expect(Math.abs(y[k]! - q[k]!)).toBeLessThanOrEqual(2 ** -18 * Math.max(1, Math.abs(q[k]!)));
      }
      const argmax = Array.from({ length: 8 }, (_, r) => q.subarray(r * 10, r * 10 + 10).reduce((b, v, c, a) => (v > a[b]! ? c : b), 0));
      expect(argmax).toEqual(info.argmax);
      process.stderr.write(`[qonnx_exec] ${name}: ${levels.length} MultiThreshold outputs equal; logits ${same}/${y.length} bit-identical\n`);
    });
  }
});
