import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { exportOnnx, importOnnx, integerInference, ortU8S8Saturates, shapeSize } from '../../src/model/index.js';
import { compileModel } from '../../src/hw/accel_compile.js';
import { PRESETS } from '../../src/hw/presets.js';
import { loadModel, shippedModels } from '../../src/model/locate.js';
import { runOrt } from './fixtures/model/ort.js';
import { roundTripDiffs } from './fixtures/model/onnx_roundtrip.js';

/** ORT's u8 x s8 GEMM saturates pair sums at int16 on AVX2 CPUs without VNNI: lowbit emulates it when comparing */
const SAT = ortU8S8Saturates();
const IMAGES = 100;
/** images of the round trip (export, import back) */
const BACK = 50;

describe('every shipped model exports to ONNX and runs in ONNX Runtime with lowbit\'s integer outputs', () => {
  const test = loadMnist('test');
  const x = new Float32Array(IMAGES * 784);
  for (let i = 0; i < x.length; i++) x[i] = test.images[i]! / 255;
  const names = shippedModels();

  it('finds the shipped models', () => expect(names.length).toBeGreaterThanOrEqual(5));

  for (const name of names) {
    it(`${name}: ${IMAGES} MNIST test images, ONNX Runtime == integerInference (int32 logits, exact)`, async () => {
      const m = loadModel(name);
      expect(shapeSize(m.inputShape)).toBe(784);
      const ort = await runOrt(exportOnnx(m), x, [IMAGES, ...m.inputShape]);
      const ours = integerInference(m, x, { u8s8Saturation: SAT });
      expect(ort.type).toBe('int32');
      expect(ort.dims).toEqual(ours.shape);
      expect(ort.data).toEqual(Array.from(ours.output));
      // not a degenerate model: the logits classify most images
      let hits = 0;
      for (let i = 0; i < IMAGES; i++) {
        const row = ort.data.slice(i * 10, i * 10 + 10);
        if (row.indexOf(Math.max(...row)) === test.labels[i]) hits++;
      }
      expect(hits).toBeGreaterThan(IMAGES * 0.8);
    }, 60_000);

    it(`${name}: the export imports back with the same quantize / threshold stages and integer outputs (${BACK} images)`, async () => {
      const m = loadModel(name);
      // ONNX Runtime runs the same export in the test above
      const bytes = exportOnnx(m);
      expect(await roundTripDiffs(m, bytes, x.subarray(0, BACK * 784), BACK, false)).toEqual([]);
      // and the accelerator program compiled from the import is the original's, on every MNIST preset it fits
      const back = importOnnx(bytes, { name: m.name });
      let compiled = 0;
      for (const preset of ['binary-mnist', 'int8-mnist'] as const) {
        let program: unknown;
        try {
          program = compileModel(m, PRESETS[preset]);
        } catch {
          continue;
        }
        // node's deep equality: vitest's toEqual takes minutes on lfc's million-weight memory images
        expect(isDeepStrictEqual(compileModel(back, PRESETS[preset]), program), preset).toBe(true);
        compiled++;
      }
      expect(compiled).toBeGreaterThan(0);
    }, 60_000);
  }
});
