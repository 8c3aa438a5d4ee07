import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { dequantizeOutput, exportQonnx, importOnnx, integerInference, shapeSize, type QuantizedModel } from '../../src/model/index.js';
import { loadModel, shippedModels } from '../../src/model/locate.js';
import { decodeModel } from '../../src/model/onnx/proto.js';
import { Rng, testSeed } from '../../src/util/rng.js';
import { BINARY, int, randomCnn, randomFloats, randomMlp } from './fixtures/model/random_models.js';

const seed = testSeed(1616);

/** export -> lowbit's QONNX import -> the same integer outputs and the same dequantized floats */
function roundTrip(m: QuantizedModel, x: Float32Array): QuantizedModel {
  const bytes = exportQonnx(m);
  const back = importOnnx(bytes, { name: m.name });
  const a = integerInference(m, x);
  const b = integerInference(back, x);
  expect(b.shape).toEqual(a.shape);
  expect(Array.from(b.output)).toEqual(Array.from(a.output));
  const last = m.layers.at(-1)!;
  if ((last.kind === 'dense' || last.kind === 'conv2d') && last.output.kind === 'accumulator') {
    expect(Array.from(dequantizeOutput(back, b.output))).toEqual(Array.from(dequantizeOutput(m, a.output)));
  }
  return back;
}

describe(`QONNX export (seed ${seed})`, () => {
  it('random MLPs and CNNs of every stage kind round-trip through lowbit\'s QONNX import with identical integers', () => {
    const rng = new Rng(seed);
    let varied = 0;
    let total = 0;
    const kinds = ['threshold', 'bipolar', 'multiplier-double', 'multiplier-single', 'shift', 'onnx'] as const;
    for (const kind of kinds) {
      const [wf, af] = kind === 'bipolar' ? [BINARY, BINARY] : [int(4, true), rng.u32() & 1 ? int(4, false) : int(3, true)];
      for (const m of [randomMlp(rng, [rng.int(4, 30), rng.int(2, 20), rng.int(2, 12), 5], wf, af, kind), randomCnn(rng, 2, 9, 10, wf, af, kind)]) {
        // QONNX rounds x / s + z as a whole: the input quantizer is exported with zero point 0
        // (the first layer's input is the same ActQuant object)
        const q = m.layers[0]!;
        if (q.kind === 'quantize') q.output.zeroPoint = 0;
        const x = randomFloats(rng, 16 * shapeSize(m.inputShape), 3);
        const back = roundTrip(m, x);
        if (new Set(integerInference(back, x).output).size > 2) varied++;
        total++;
      }
    }
    // the comparison means something: most random models do not collapse to a constant output
    expect(varied).toBeGreaterThan(total * 0.7);
  });

  it('every shipped model: QONNX with MultiThreshold / BipolarQuant nodes, re-imported: the same logits on MNIST test images', () => {
    const test = loadMnist('test');
    const N = 50;
    const x = new Float32Array(N * 784);
    for (let i = 0; i < x.length; i++) x[i] = test.images[i]! / 255;
    for (const name of shippedModels()) {
      const m = loadModel(name);
      const bytes = exportQonnx(m);
      const ops = (decodeModel(bytes, name).graph?.node ?? []).map((n) => n.opType);
      const mts = m.layers.filter((l) => (l.kind === 'dense' || l.kind === 'conv2d') && l.output.kind === 'threshold').length;
      expect(ops.filter((o) => o === 'MultiThreshold').length, name).toBe(mts);
      if (name.includes('w1a1')) expect(ops).toContain('BipolarQuant');
      roundTrip(m, x);
    }
  }, 180_000);

  it('refuses what QONNX cannot represent, naming the layer', () => {
    const m = randomMlp(new Rng(seed), [8, 4, 2], int(4, true), int(8, false), 'threshold');
    (m.layers[0] as { output: { zeroPoint: number } }).output.zeroPoint = 3;
    expect(() => exportQonnx(m)).toThrow(/exportQonnx: layers\[0\] \(input\): input zero point 3: QONNX Quant rounds x \/ s \+ z as a whole/);
  });
});
