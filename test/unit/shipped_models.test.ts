import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { integerInference } from '../../src/model/infer.js';
import { SHIPPED } from '../../src/flows/demo.js';
import { expectShippedAgrees } from './helpers/shipped.js';
import { loadQuantizedModel } from '../../src/model/format.js';

/**
 * The shipped models (the main job runs them) on their default Designs: the TS accelerator's logits equal
 * the integer reference's on every image, and the accuracy equals the one recorded in the model's
 * provenance when it was trained. The MLPs over the whole MNIST test set; the CNNs over the first 1,000
 * images here and over all 10,000 in the slow tier (test/slow/shipped_cnns.test.ts).
 */
describe('shipped models on the accelerator', () => {
  for (const s of SHIPPED) {
    const images = s.model.startsWith('cnn') ? 1000 : 10000;
    it(`${s.model} on ${s.design}: accelerator == integer reference on ${images} images`, async () => {
      await expectShippedAgrees(s, images);
    }, 120_000);
  }
});

/**
 * The shipped CNNs (models/cnn-*), on the integer reference as well: the layer structure is the
 * documented one (docs/train.md), the int32
 * logits of the first 200 MNIST test images hash to the values recorded when the model was published, and
 * the provenance holds the 10,000-image accuracy that `lowbit infer --labels` measured.
 */
const CNNS = [
  {
    model: 'cnn-w4a4', kinds: 'quantize conv2d maxpool2d conv2d maxpool2d flatten dense',
    sha256: '9b8bae3106fbb5ddfa5d000e23c5f976e8e511b1b9f4f6608ca3f57c184f37e6', correct: 200, accuracy: 0.9906,
  },
  {
    model: 'cnn-w2a2', kinds: 'quantize conv2d maxpool2d conv2d maxpool2d flatten dense',
    sha256: '0fd6993b08e6d4c65718449a8a1bb2c98218fe3f6696c8ddb437038a05cd2865', correct: 199, accuracy: 0.9791,
  },
  {
    model: 'cnn-w1a1', kinds: 'quantize conv2d conv2d maxpool2d conv2d conv2d maxpool2d flatten dense dense',
    sha256: '1b9b82c6985d5493abdbfcef96dce4737fd8f0b0232b61b0b3c6284876489d62', correct: 198, accuracy: 0.9874,
  },
];

describe('shipped CNNs on the integer reference', () => {
  const test = loadMnist('test');
  const N = 200;
  const x = new Float32Array(N * 784);
  for (let i = 0; i < N * 784; i++) x[i] = test.images[i]! / 255;
  for (const c of CNNS) {
    it(`${c.model}: structure, logits of ${N} images as recorded, recorded accuracy ${c.accuracy}`, () => {
      const m = loadQuantizedModel(join('models', c.model));
      expect(m.layers.map((l) => l.kind).join(' ')).toBe(c.kinds);
      const out = integerInference(m, x).output;
      let correct = 0;
      for (let b = 0; b < N; b++) {
        let best = 0;
        for (let k = 1; k < 10; k++) if (out[b * 10 + k]! > out[b * 10 + best]!) best = k;
        if (best === test.labels[b]) correct++;
      }
      expect(correct).toBe(c.correct);
      expect(createHash('sha256').update(new Uint8Array(Int32Array.from(out).buffer)).digest('hex')).toBe(c.sha256);
      const recorded = m.provenance.accuracy.find((a) => a.dataset === 'mnist-test' && a.samples === 10000);
      expect(recorded?.value).toBe(c.accuracy);
    }, 60_000);
  }
});
