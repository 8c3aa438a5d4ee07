/**
 * Weight-only QAT (`lowbit train --scheme w4afp16`, `--wbits W --abits 32`): int weights trained with the
 * straight-through estimator, float activations rounded to the model's format in the forward pass, exported
 * through the weight-only PTQ rule. Checked: the exported codes are the trained codes, the exported model's
 * reference inference equals the training network's forward within the documented float rule
 * (docs/train.md "Weight-only QAT"), the saved model reloads to the same accuracy, a wrong exporter is caught,
 * and bad options are refused in one line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist, type ImageDataset } from '../../src/data/mnist.js';
import { weightOnlyInference, type FloatAct } from '../../src/model/weight_only.js';
import { loadWeightOnlyModel } from '../../src/model/weight_only_io.js';
import { quantizeWeightOnly } from '../../src/quant/weight_only.js';
import { Dense } from '../../src/train/dense.js';
import { FloatRound } from '../../src/train/float_act.js';
import { publish, runInfo, trainConfigFor, type RunOptions } from '../../src/train/run.js';
import { train } from '../../src/train/trainer.js';
import { CheckFailedError } from '../../src/util/errors.js';
import { writeNpy } from '../../src/util/npy.js';
import { runCli } from './helpers/cli.js';
import { mnistSubset } from './helpers/mnist_subset.js';

const data = loadMnist('train');
const all = loadMnist('test');
const N = 500;
const test: ImageDataset = { ...all, count: N, images: all.images.subarray(0, N * 784), labels: all.labels.subarray(0, N) };
const dir = mkdtempSync(join(tmpdir(), 'lowbit-wo-train-'));
/** significand bits (with the hidden bit) of each activation format */
const PRECISION: Record<FloatAct, number> = { fp32: 24, fp16: 11, bf16: 8 };

function trained(act: FloatAct, wbits: number): { o: RunOptions; net: ReturnType<typeof train>['net']; cfg: ReturnType<typeof trainConfigFor>; r: ReturnType<typeof train> } {
  const o: RunOptions = { arch: 'tfc', hidden: [32, 32], wbits, abits: 32, floatAct: act, epochs: 1, seed: 7, maxTrain: 1000, valCount: 200 };
  const cfg = trainConfigFor(o);
  const r = train(cfg, data);
  return { o, net: r.net, cfg, r };
}

describe('weight-only QAT', () => {
  it('the network: FloatRound on the input and after every output stage, int per-channel weights, a float last bias', () => {
    const { net } = trained('fp16', 4);
    const kinds = net.layers.map((l) => l.kind);
    expect(kinds).toEqual(['float-round', 'dense', 'batchnorm', 'float-round', 'activation', 'dense', 'batchnorm', 'float-round', 'activation', 'dense', 'float-round']);
    const dense = net.layers.filter((l): l is Dense => l instanceof Dense);
    expect(dense.map((d) => [d.wq.method, d.wq.bits, d.wq.perTensor ?? false, d.bias !== null])).toEqual([['int', 4, false, false], ['int', 4, false, false], ['int', 4, false, true]]);
    // the forward rounds: every value after a FloatRound is an FP16 value
    const x = Float32Array.from(test.images.subarray(0, 784 * 4), (p) => p / 255);
    const y = net.forward(x, 4, false);
    for (const v of y) expect(Math.fround(v)).toBe(v);
    const r = new FloatRound('fp16');
    r.setSampleSize(3);
    expect(Array.from(r.forward(Float32Array.of(1 / 3, 65520, 1e-8), 1))).toEqual([0.333251953125, Infinity, 0]);
    expect(r.backward(Float32Array.of(1, 2, 3))).toEqual(Float32Array.of(1, 2, 3));
  });

  for (const [act, wbits] of [['fp16', 4], ['bf16', 2], ['fp32', 3]] as const) {
    it(`w${wbits}a${act}: exported codes = trained codes; the model's reference = the training forward within 2^-(p-4) max|logit|`, () => {
      const { o, net, cfg, r } = trained(act, wbits);
      const out = join(dir, `w${wbits}a${act}`);
      const s = publish(net, cfg.net, runInfo(o, 'wo', r), out, test, { weightOnly: quantizeWeightOnly });
      const m = loadWeightOnlyModel(out);
      expect(m.activation).toBe(act);
      expect(s.method).toBe('weight-only');
      expect(s.command).toBe(`lowbit train --arch tfc --scheme w${wbits}a${act} --epochs 1 --seed 7 --hidden 32,32 --train-images 1000 --val-images 200`);
      expect(s.testAccuracy).toBeGreaterThan(0.3);
      expect(m.provenance.accuracy[0]!.value).toBe(s.testAccuracy);
      // codes: trained q, negated where the folded batch-norm scale is negative, per channel
      const dense = net.layers.filter((l): l is Dense => l instanceof Dense);
      const wl = m.layers.filter((l) => l.kind === 'dense');
      dense.forEach((d, i) => {
        const e = wl[i]!;
        if (e.kind !== 'dense') throw new Error('dense expected');
        expect(e.weight.bits).toBe(wbits);
        expect(e.weight.group).toBe(d.inF);
        for (let row = 0; row < d.outF; row++) {
          const t = Array.from(d.q.subarray(row * d.inF, (row + 1) * d.inF));
          const c = Array.from(e.weight.data.subarray(row * d.inF, (row + 1) * d.inF));
          const sign = c.findIndex((v) => v !== 0) < 0 ? 1 : Math.sign(c.find((v) => v !== 0)!) * Math.sign(t[c.findIndex((v) => v !== 0)]!);
          expect(c).toEqual(t.map((v) => v * sign + 0));
          expect(Math.max(...t.map(Math.abs))).toBe(2 ** (wbits - 1) - 1); // max scaling reaches the top code
        }
      });
      const n = 200;
      const x = Float32Array.from(test.images.subarray(0, n * 784), (p) => p / 255);
      const ref = weightOnlyInference(m, x, n);
      const fwd = net.forward(x, n, false);
      let big = 0;
      let diff = 0;
      for (let i = 0; i < n * 10; i++) {
        big = Math.max(big, Math.abs(fwd[i]!));
        diff = Math.max(diff, Math.abs(ref[i]! - fwd[i]!));
      }
      expect(diff).toBeLessThanOrEqual(2 ** -(PRECISION[act] - 4) * big);
      expect(ref.every(Number.isFinite)).toBe(true);
      expect(Math.abs(s.networkTestAccuracy - s.testAccuracy)).toBeLessThanOrEqual(2 / N);
    });
  }

  it('an exporter with another rule (bits, groups) is caught: its codes are not the trained ones', () => {
    const { o, net, cfg, r } = trained('fp16', 3);
    for (const wrong of [
      (c: Parameters<typeof quantizeWeightOnly>[0], p: Parameters<typeof quantizeWeightOnly>[1]) => quantizeWeightOnly(c, { ...p, levels: undefined, bits: p.bits + 1 }),
      (c: Parameters<typeof quantizeWeightOnly>[0], p: Parameters<typeof quantizeWeightOnly>[1]) => quantizeWeightOnly(c, { ...p, levels: undefined, group: 16 }),
    ]) {
      expect(() => publish(net, cfg.net, runInfo(o, 'wo', r), null, test, { weightOnly: wrong })).toThrow(CheckFailedError);
    }
  });

  it('lowbit train --scheme w4afp16 writes a weight-only model that lowbit infer runs', async () => {
    const sub = mnistSubset(800, 300);
    const out = join(dir, 'cli');
    const t = await runCli(['train', '--arch', 'tfc', '--hidden', '16', '--scheme', 'w4afp16', '--epochs', '1', '--train-images', '600', '--val-images', '100', '--data', sub, '--out', out, '--json']);
    expect(t.code, t.err).toBe(0);
    const s = JSON.parse(t.out);
    expect(s).toMatchObject({ wbits: 4, abits: 32, method: 'weight-only', out });
    const m = loadWeightOnlyModel(out);
    expect(m).toMatchObject({ format: 'lowbit-weight-only-model', activation: 'fp16', provenance: { tool: 'lowbit train' } });
    // lowbit infer on the same 300 test images gives the accuracy train recorded
    const sd = loadMnist('test', sub);
    writeNpy(join(dir, 'x.npy'), { data: Float32Array.from(sd.images, (p) => p / 255), shape: [sd.count, 784] });
    writeNpy(join(dir, 'y.npy'), { data: Int32Array.from(sd.labels), shape: [sd.count] });
    const inf = await runCli(['infer', '--model', out, '--input', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--json']);
    expect(inf.code, inf.err).toBe(0);
    expect(JSON.parse(inf.out).accuracy).toBe(m.provenance.accuracy[0]!.value);
    expect(s.testAccuracy).toBe(m.provenance.accuracy[0]!.value);
    const same = await runCli(['train', '--arch', 'tfc', '--hidden', '16', '--wbits', '4', '--abits', '32', '--epochs', '1', '--train-images', '600', '--val-images', '100', '--data', sub, '--json']);
    expect(same.code, same.err).toBe(0);
    expect(JSON.parse(same.out).command).toMatch(/--scheme w4afp32/);
  });

  it('bad weight-only options: one line naming the problem and the fix, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--scheme', 'w4afp61'], /--scheme: got "w4afp61"; allowed: .*did you mean w4afp16/],
      [['--scheme', 'w9afp16'], /--scheme: got "w9afp16"; allowed: a weight-only scheme with 2\.\.8 weight bits/],
      [['--scheme', 'w4afp16', '--wbits', '4'], /--wbits does not apply here: --scheme w4afp16 sets the weight and activation bits/],
      [['--scheme', 'w4afp16', '--method', 'lsq'], /--method does not apply here: weight-only QAT/],
      [['--wbits', '1', '--abits', '32'], /--wbits: got 1; allowed: an integer 2\.\.8/],
      [['--scheme', 'w4abf16', '--first-bits', '8'], /--first-bits does not apply here/],
      [['--scheme', 'w4afp16', '--quant-noise', '0.5'], /not with weight-only QAT/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(['train', '--arch', 'tfc', '--epochs', '1', '--train-images', '100', '--val-images', '10', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
  });
});
