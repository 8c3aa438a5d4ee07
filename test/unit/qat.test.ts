import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { batches, fullView, headView } from '../../src/data/batches.js';
import { train, evaluate } from '../../src/train/trainer.js';
import { exportQuantized, channelThresholds } from '../../src/train/export.js';
import { Dense } from '../../src/train/dense.js';
import { Activation } from '../../src/train/activations.js';
import type { NetSpec } from '../../src/train/arch.js';
import { saveQuantizedModel, loadQuantizedModel } from '../../src/model/format.js';
import { integerInference } from '../../src/model/infer.js';
import { effectiveWeights } from '../../src/model/group.js';
import type { DenseLayer } from '../../src/model/types.js';
import { testSeed } from '../../src/util/rng.js';

const seed = testSeed(7);
const data = loadMnist('train');
const test = loadMnist('test');

/** Trains a tiny QAT MLP, exports it and checks the integer model against the exact-mode forward. */
function roundTrip(spec: NetSpec, steps: number, shift = 0): void {
  const r = train({ net: spec, epochs: 1, batchSize: 50, optimizer: { name: 'adam', lr: 0.005 }, schedule: { name: 'constant', epochs: 1 },
    seed, valCount: 0, maxSteps: steps, maxTrain: 50 * steps, shift }, data);
  const first = r.log[0]!;
  expect(first.loss).toBeLessThan(2.3);
  const qm = exportQuantized(r.net, 'tiny', { tool: 'test', date: '2026-01-01', source: 'qat.test', accuracy: [] });
  // the exported integers and scales are the trained ones: code (x group multiplier) = q, row by row (rows
  // negated where the batch-norm scale is negative), scale = the trained per-row scale
  const trained = r.net.layers.filter((l): l is Dense => l instanceof Dense);
  qm.layers.filter((l): l is DenseLayer => l.kind === 'dense').forEach((e, j) => {
    const l = trained[j]!;
    l.quantize();
    const eff = effectiveWeights(e);
    expect(e.weight.group !== undefined).toBe(l.wq.group !== undefined && l.wq.group.size < l.inF);
    for (let o = 0; o < l.outF; o++) {
      const row = Array.from(eff.subarray(o * l.inF, (o + 1) * l.inF));
      const want = Array.from(l.q.subarray(o * l.inF, (o + 1) * l.inF));
      expect(row.every((v, k) => v === want[k]) || row.every((v, k) => v === -want[k]!)).toBe(true);
      expect(e.weight.scale[o]).toBe(l.scale[o]);
    }
  });
  const dir = join(mkdtempSync(join(tmpdir(), 'qat-')), 'm');
  saveQuantizedModel(qm, dir);
  const loaded = loadQuantizedModel(dir);
  // The network in exact mode: every activation is an integer times its scale, the last dense gives
  // fround(acc * c); the integer model's layers must hold exactly those integers.
  const view = headView(fullView(test), 200);
  const b = batches(view, 200, null).next().value!;
  const net = r.net;
  net.setExact(true);
  const acts: Float32Array[] = [];
  let h = b.x;
  for (const l of net.layers) {
    h = l.forward(h, b.n, false);
    if (l instanceof Activation || l instanceof Dense) acts.push(h.slice(0, b.n * net.shapes[net.layers.indexOf(l) + 1]!.reduce((x, y) => x * y, 1)));
  }
  net.setExact(false);
  const ints: Int32Array[] = [];
  const res = integerInference(loaded, b.x.subarray(0, b.n * 784), { onLayer: (_i, l, out) => { if (l.kind === 'dense') ints.push(out.slice()); } });
  const dense = net.layers.filter((l): l is Dense => l instanceof Dense);
  const actLayers = net.layers.filter((l): l is Activation => l instanceof Activation);
  expect(ints.length).toBe(dense.length);
  // hidden layers: the thresholded integers equal the exact-mode activations / scale
  actLayers.forEach((a, j) => {
    const mine = acts[2 * j + 1]!;
    const sc = a.outScale();
    const got = ints[j]!;
    let bad = 0;
    for (let i = 0; i < got.length; i++) if (Math.fround(got[i]! * sc) !== mine[i]) bad++;
    expect(bad, `layer ${j}: ${bad} of ${got.length} activations differ (seed ${seed})`).toBe(0);
  });
  // logits: fround(acc * c) equals the exact-mode last dense output
  const last = dense[dense.length - 1]!;
  const mine = acts[acts.length - 1]!;
  let bad = 0;
  for (let i = 0; i < res.output.length; i++) if (last.outputOf(res.output[i]!, i % 10) !== mine[i]) bad++;
  expect(bad, `logits differ (seed ${seed})`).toBe(0);
  // and the accuracy of the integer model equals the exact-mode accuracy
  let correct = 0;
  for (let s = 0; s < b.n; s++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (res.output[s * 10 + c]! > res.output[s * 10 + best]!) best = c;
    if (best === b.y[s]) correct++;
  }
  expect(correct / b.n).toBe(evaluate(net, view));
}

describe('QAT export reproduces the integer model exactly', () => {
  it('binary weights, sign activations (W1A1)', () => {
    roundTrip({ arch: 'tfc', hidden: [32, 32], weights: { method: 'binary', bits: 1 }, act: { method: 'sign', bits: 1 } }, 50);
  });
  it('4-bit weights, PACT 4-bit activations, XNOR-free int path (W4A4)', () => {
    roundTrip({ arch: 'tfc', hidden: [24], weights: { method: 'int', bits: 4 }, act: { method: 'pact', bits: 4 } }, 50);
  });
  it('per-group int weights (group 32 along K: integer multipliers of a per-row unit), W4A4 and W3A2 with 8-bit first/last', () => {
    roundTrip({ arch: 'tfc', hidden: [48], weights: { method: 'int', bits: 4, group: { size: 32, inMax: 255 } }, act: { method: 'pact', bits: 4 } }, 50);
    roundTrip({ arch: 'tfc', hidden: [40, 40], weights: { method: 'int', bits: 3, group: { size: 32, inMax: 255 } }, act: { method: 'pact', bits: 2 }, firstBits: 8, lastBits: 8 }, 40);
  });
  it('ternary weights, DoReFa 2-bit activations, 8-bit first and last layers', () => {
    roundTrip({ arch: 'tfc', hidden: [24], weights: { method: 'ternary', bits: 2 }, act: { method: 'dorefa', bits: 2 }, firstBits: 8, lastBits: 8 }, 40);
  });
  it('LSQ weights and activations (W2A2), binary weights with 2-bit activations (W1A2)', () => {
    roundTrip({ arch: 'tfc', hidden: [24], weights: { method: 'lsq', bits: 2 }, act: { method: 'lsq', bits: 2 } }, 40);
    roundTrip({ arch: 'tfc', hidden: [24], weights: { method: 'binary', bits: 1 }, act: { method: 'dorefa', bits: 2 } }, 40);
  });
  it('DoReFa 2-bit weights ({-1, -1/3, 1/3, 1} = odd integers / 3, exported as int3) and activations', () => {
    roundTrip({ arch: 'tfc', hidden: [24], weights: { method: 'dorefa', bits: 2 }, act: { method: 'dorefa', bits: 2 } }, 40);
  });
  it('DoReFa W2A2 trained with 6-bit DoReFa gradients: the gradient quantizers are absent from the export', () => {
    roundTrip({ arch: 'tfc', hidden: [24, 24], weights: { method: 'dorefa', bits: 2 }, act: { method: 'dorefa', bits: 2 }, gradBits: 6 }, 40);
  });
  it('trained with dropout (W1A1 and W2A2 PACT): dropout is the identity in the exported model', () => {
    roundTrip({ arch: 'tfc', hidden: [32, 32], weights: { method: 'binary', bits: 1 }, act: { method: 'sign', bits: 1 }, dropout: 0.2 }, 50);
    roundTrip({ arch: 'tfc', hidden: [24, 24], weights: { method: 'int', bits: 2 }, act: { method: 'pact', bits: 2 }, dropout: 0.3 }, 40);
  });
  it('trained with input dropout and shifted images: the export is unchanged by both', () => {
    roundTrip({ arch: 'tfc', hidden: [32, 32], weights: { method: 'binary', bits: 1 }, act: { method: 'sign', bits: 1 }, inputDropout: 0.2, dropout: 0.1 }, 50, 2);
    roundTrip({ arch: 'tfc', hidden: [24], weights: { method: 'int', bits: 2 }, act: { method: 'pact', bits: 2 }, inputDropout: 0.1 }, 40, 1);
  });
});

describe('channelThresholds', () => {
  it('finds the first accumulator of every level of a monotone function', () => {
    const out = new Int32Array(3);
    const lvl = (a: number): number => Math.max(0, Math.min(3, Math.floor((a + 5) / 4)));
    channelThresholds(lvl, -20, 20, 3, out, 0);
    expect(Array.from(out)).toEqual([-1, 3, 7]);
    for (let a = -20; a <= 20; a++) expect(out.filter((t) => a >= t).length).toBe(lvl(a));
    channelThresholds(() => 0, -5, 5, 3, out, 0);
    expect(Array.from(out)).toEqual([6, 6, 6]);
    channelThresholds(() => 3, -5, 5, 3, out, 0);
    expect(Array.from(out)).toEqual([-5, -5, -5]);
  });
});

/** Trains a tiny CNN a few steps, exports it, and checks the integer logits against the exact-mode network. */
function cnnRoundTrip(spec: NetSpec, kinds: string[], groupedK: number[] = []): void {
  const r = train({ net: spec, epochs: 1, batchSize: 25, optimizer: { name: 'adam', lr: 0.005 }, schedule: { name: 'constant', epochs: 1 },
    seed, valCount: 0, maxSteps: 5, maxTrain: 125 }, data);
  const qm = exportQuantized(r.net, 'tiny-cnn', { tool: 'test', date: '2026-01-01', source: 'qat.test', accuracy: [] });
  expect(qm.layers.map((l) => l.kind)).toEqual(kinds);
  // grouped layers: row length K and a multiplier per group
  expect(qm.layers.flatMap((l) => ((l.kind === 'conv2d' || l.kind === 'dense') && l.weight.group ? [l.weight.data.length / (l.kind === 'dense' ? l.outFeatures : l.outChannels)] : []))).toEqual(groupedK);
  const view = headView(fullView(test), 20);
  const b = batches(view, 20, null).next().value!;
  r.net.setExact(true);
  let h = b.x;
  const dense = r.net.layers.filter((l): l is Dense => l instanceof Dense);
  for (const l of r.net.layers) {
    h = l.forward(h, b.n, false);
    if (l === dense[dense.length - 1]) break;
  }
  r.net.setExact(false);
  const mine = h.slice(0, b.n * 10);
  const res = integerInference(qm, b.x.subarray(0, b.n * 784));
  const last = dense[dense.length - 1]!;
  let bad = 0;
  for (let i = 0; i < res.output.length; i++) if (last.outputOf(res.output[i]!, i % 10) !== mine[i]) bad++;
  expect(bad, `CNN logits differ (seed ${seed})`).toBe(0);
}

describe('QAT export of the CNN (conv2d, maxpool2d, flatten)', () => {
  it('W4A4 PACT CNN with per-group scales (group 16 along (c, i, j) and the dense K): integer logits equal the exact-mode network', () => {
    cnnRoundTrip({ arch: 'cnn', hidden: [4, 6], weights: { method: 'int', bits: 4, group: { size: 16, inMax: 255 } }, act: { method: 'pact', bits: 4 } },
      ['quantize', 'conv2d', 'maxpool2d', 'conv2d', 'maxpool2d', 'flatten', 'dense'], [25, 100, 294]);
  });
  it('W4A4 PACT CNN: integer logits equal the exact-mode network', () => {
    cnnRoundTrip({ arch: 'cnn', hidden: [4, 6], weights: { method: 'int', bits: 4 }, act: { method: 'pact', bits: 4 } },
      ['quantize', 'conv2d', 'maxpool2d', 'conv2d', 'maxpool2d', 'flatten', 'dense']);
  });
  it('W1A1 CNV (3x3 valid conv pairs, maxpool, hidden dense): +-1 weights on the 8-bit pixels too', () => {
    const spec: NetSpec = { arch: 'cnv', hidden: [4, 4, 6, 6], fcHidden: [16], weights: { method: 'binary', bits: 1 }, act: { method: 'sign', bits: 1 } };
    cnnRoundTrip(spec, ['quantize', 'conv2d', 'conv2d', 'maxpool2d', 'conv2d', 'conv2d', 'maxpool2d', 'flatten', 'dense', 'dense']);
    const qm = exportQuantized(train({ net: spec, epochs: 1, batchSize: 25, optimizer: { name: 'adam', lr: 0.005 },
      schedule: { name: 'constant', epochs: 1 }, seed, valCount: 0, maxSteps: 1, maxTrain: 25 }, data).net, 'c', { tool: 'test', date: '2026-01-01', source: 'qat.test', accuracy: [] });
    const convs = qm.layers.filter((l) => l.kind === 'conv2d');
    expect(convs.map((l) => [l.kernel, l.padding, l.weight.format])).toEqual(convs.map(() => [[3, 3], [0, 0, 0, 0], { type: 'binary' }]));
    expect(convs[0]!.input.format).toEqual({ type: 'int', bits: 8, signed: false });
  });
});
