import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeOutput, importOnnx, integerInference } from '../../src/model/index.js';
import { readNpy } from '../../src/util/npy.js';

/**
 * Brevitas QONNX exports (fixtures/qonnx/make.py: binary, 2-bit and 4-bit MLPs with BatchNorm, a 4-bit CNN;
 * power-of-two scales) imported by lowbit: integer inference + dequantizeOutput equal Brevitas's own float32
 * outputs on 8 MNIST test images, bit for bit.
 */
const DIR = join(__dirname, 'fixtures', 'qonnx');
const meta = JSON.parse(readFileSync(join(DIR, 'meta.json'), 'utf8')) as { models: Record<string, { ops: string[]; argmax: number[] }> };
const x = readNpy(join(__dirname, 'fixtures', 'ort_static', 'input.npy')).data as Float32Array;
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('Brevitas export_qonnx models', () => {
  for (const name of Object.keys(meta.models)) {
    it(`${name} (${meta.models[name]!.ops.join(', ')}): outputs equal Brevitas's float32 outputs bit for bit`, () => {
      const m = importOnnx(join(DIR, `${name}.onnx`), { name });
      const want = readNpy(join(DIR, `${name}.brevitas.npy`)).data as Float32Array;
      const y = dequantizeOutput(m, integerInference(m, x).output);
      const same = y.filter((v, i) => Object.is(v, want[i])).length;
      process.stderr.write(`[qonnx_brevitas] ${name}: layers ${m.layers.map((l) => `${l.kind}${l.kind === 'dense' || l.kind === 'conv2d' ? `(${l.output.kind})` : ''}`).join(' ')}; ${same}/${y.length} bit-identical\n`);
      expect(bits(y)).toEqual(bits(want));
    });
  }
});
