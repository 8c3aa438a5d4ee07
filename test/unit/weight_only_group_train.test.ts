/**
 * Weight-only QAT with per-group scales (`lowbit train --scheme w4afp32 --group G`): the fake quantizer is the
 * weight-only model's rule per group (checked against the formula), the export carries exactly the trained
 * levels (codes and float32 group scales, batch-norm folded: sign(a) q and f32(|a| s_g)), and with batch-norm
 * scales that are powers of two (so that folding rounds nothing) the float network of the exported
 * dequantized weights computes bit for bit what the fake-quant network computes. Then the CLI end to end:
 * train -> infer / run (the weight-only reference) -> estimate (memory with the group scales), bad options.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist, type ImageDataset } from '../../src/data/mnist.js';
import { roundAct, weightOnlyInference, type FloatAct, type WeightOnlyModel } from '../../src/model/weight_only.js';
import { loadWeightOnlyModel } from '../../src/model/weight_only_io.js';
import { quantizeWeightOnly } from '../../src/quant/weight_only.js';
import { Dense } from '../../src/train/dense.js';
import { BatchNorm } from '../../src/train/norm.js';
import { gemmNT } from '../../src/train/gemm.js';
import { publish, runInfo, runTraining, trainConfigFor, type RunOptions } from '../../src/train/run.js';
import { train } from '../../src/train/trainer.js';
import { CheckFailedError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { writeNpy } from '../../src/util/npy.js';
import { runCli } from './helpers/cli.js';
import { mnistSubset } from './helpers/mnist_subset.js';

const data = loadMnist('train');
const all = loadMnist('test');
const N = 300;
const test: ImageDataset = { ...all, count: N, images: all.images.subarray(0, N * 784), labels: all.labels.subarray(0, N) };
const dir = mkdtempSync(join(tmpdir(), 'lowbit-wo-group-'));

/** round half to even, written out (the formula's rint) */
const rintEven = (v: number): number => {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
};

function trained(act: FloatAct, wbits: number, group: number) {
  const o: RunOptions = { arch: 'tfc', hidden: [32, 24], wbits, abits: 32, floatAct: act, group, epochs: 1, seed: 5, maxTrain: 800, valCount: 100 };
  const cfg = trainConfigFor(o);
  const r = train(cfg, data);
  return { o, cfg, r, net: r.net };
}

/** The dense layers of a weight-only model. */
const woDense = (m: WeightOnlyModel) => m.layers.filter((l): l is Extract<WeightOnlyModel['layers'][number], { kind: 'dense' }> => l.kind === 'dense');

describe('weight-only QAT with per-group scales', () => {
  for (const [act, wbits, group] of [['fp32', 4, 16], ['fp16', 2, 8], ['bf16', 3, 10]] as const) {
    it(`w${wbits}a${act} group ${group}: the fake quantizer is the per-group formula; the export carries the trained levels exactly`, () => {
      const { o, cfg, r, net } = trained(act, wbits, group);
      const Q = 2 ** (wbits - 1) - 1;
      const dense = net.layers.filter((l): l is Dense => l instanceof Dense);
      for (const d of dense) {
        d.quantize(false);
        const K = d.inF;
        const size = group >= K ? K : group;
        const G = Math.ceil(K / size);
        expect(d.groupScale!.length).toBe(d.outF * G);
        const what = d.effectiveWeights();
        for (let row = 0; row < d.outF; row++) {
          for (let g = 0; g < G; g++) {
            const idx = Array.from({ length: Math.min(K, (g + 1) * size) - g * size }, (_, j) => row * K + g * size + j);
            const mx = Math.max(...idx.map((i) => Math.abs(d.weight.value[i]!)));
            const s = mx > 0 ? Math.fround(mx / Q) : 1;
            expect(d.groupScale![row * G + g]).toBe(s);
            for (const i of idx) {
              expect(d.q[i]).toBe(Math.max(-Q, Math.min(Q, rintEven(d.weight.value[i]! / s))));
              expect(what[i]).toBe(Math.fround(d.q[i]! * s));
            }
          }
        }
      }
      const out = join(dir, `w${wbits}a${act}g${group}`);
      const sum = publish(net, cfg.net, runInfo(o, 'wog', r), out, test, { weightOnly: quantizeWeightOnly });
      expect(sum.command).toContain(`--scheme w${wbits}a${act} --epochs 1 --seed 5`);
      expect(sum.command).toContain(`--group ${group}`);
      const m = loadWeightOnlyModel(out);
      const bns = net.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
      woDense(m).forEach((e, li) => {
        const d = dense[li]!;
        const K = d.inF;
        expect(e.weight.group).toBe(group >= K ? K : group);
        expect(e.weight.bits).toBe(wbits);
        const G = e.weight.scale.length / d.outF;
        for (let row = 0; row < d.outF; row++) {
          // batch-norm after every hidden layer: a = gamma / sqrt(var + eps); none after the logits layer
          const a = li < bns.length ? bns[li]!.gamma.value[row]! / Math.sqrt(bns[li]!.var[row]! + bns[li]!.eps) : 1;
          for (let g = 0; g < G; g++) expect(e.weight.scale[row * G + g]).toBe(Math.fround(Math.abs(a) * d.groupScale![row * G + g]!));
          for (let k = row * K; k < (row + 1) * K; k++) expect(e.weight.data[k]).toBe(Math.sign(a) * d.q[k]! + 0);
        }
      });
      // the logits layer has no batch-norm: its exported dequantized weights are the trained w_hat bit for bit
      const last = woDense(m).at(-1)!;
      const lastW = dense.at(-1)!.effectiveWeights();
      const Gl = last.weight.scale.length / last.out;
      for (let k = 0; k < lastW.length; k++) {
        const row = Math.floor(k / last.in);
        expect(Math.fround(last.weight.data[k]! * last.weight.scale[row * Gl + Math.floor((k % last.in) / last.weight.group)]!)).toBe(lastW[k]);
      }
      expect(sum.testAccuracy).toBe(m.provenance.accuracy[0]!.value);
      expect(Math.abs(sum.networkTestAccuracy - sum.testAccuracy)).toBeLessThanOrEqual(2 / N);
    });
  }

  it('with power-of-two batch-norm scales the float network of the exported dequantized weights = the fake-quant forward, bit for bit', () => {
    for (const act of ['fp32', 'fp16'] as const) {
      const { o, cfg, r, net } = trained(act, 4, 8);
      const rng = new Rng(11);
      // a = gamma / sqrt(var + eps) = +-2^j exactly, mean 0: folding multiplies by a power of two and rounds nothing
      for (const bn of net.layers.filter((l): l is BatchNorm => l instanceof BatchNorm)) {
        (bn as { eps: number }).eps = 0;
        bn.var.fill(0.25);
        bn.mean.fill(0);
        for (let c = 0; c < bn.channels; c++) {
          bn.gamma.value[c] = (rng.float() < 0.3 ? -1 : 1) * 2 ** (Math.floor(rng.float() * 5) - 2);
          bn.beta.value[c] = Math.fround(rng.float() - 0.5);
        }
      }
      publish(net, cfg.net, runInfo(o, 'pow2bn', r), join(dir, `pow2bn-${act}`), test, { weightOnly: quantizeWeightOnly });
      const m = loadWeightOnlyModel(join(dir, `pow2bn-${act}`));
      expect(woDense(m).some((l) => l.weight.data.some((v, k) => v !== 0 && Math.sign(v) !== Math.sign(net.layers.filter((x): x is Dense => x instanceof Dense)[0]!.q[k]!)))).toBe(true); // a flipped channel
      const n = 64;
      const x = Float32Array.from(test.images.subarray(0, n * 784), (p) => p / 255);
      // the float model: input rounding, then per dense layer y = act(x . w_deq^T + bias), ReLU between
      let h = roundAct(Float32Array.from(x), act);
      const layers = woDense(m);
      layers.forEach((l, i) => {
        const G = l.weight.scale.length / l.out;
        const w = Float32Array.from(l.weight.data, (q, k) => Math.fround(q * l.weight.scale[Math.floor(k / l.in) * G + Math.floor((k % l.in) / l.weight.group)]!));
        const y = new Float32Array(n * l.out);
        gemmNT(h, w, n, l.in, l.out, y, l.bias);
        roundAct(y, act);
        h = i < layers.length - 1 ? y.map((v) => (v > 0 ? v : 0)) : y;
      });
      const fwd = net.forward(x, n, false);
      expect(Array.from(h)).toEqual(Array.from(fwd.subarray(0, n * 10)));
      // and the weight-only reference (grouped float32 sums) agrees in prediction with both
      const ref = weightOnlyInference(m, x, n);
      let same = 0;
      for (let b = 0; b < n; b++) {
        const arg = (v: ArrayLike<number>): number => { let best = 0; for (let c = 1; c < 10; c++) if (v[b * 10 + c]! > v[b * 10 + best]!) best = c; return best; };
        if (arg(ref) === arg(h)) same++;
      }
      expect(same).toBeGreaterThanOrEqual(n - 1);
    }
  });

  it('an exporter that re-quantizes with another group size is caught', () => {
    const { o, cfg, r, net } = trained('fp32', 4, 16);
    const wrong: typeof quantizeWeightOnly = (c, p) => quantizeWeightOnly(c, { ...p, levels: undefined, group: 32 });
    expect(() => publish(net, cfg.net, runInfo(o, 'x', r), null, test, { weightOnly: wrong })).toThrow(CheckFailedError);
    const levelsOtherGroup: typeof quantizeWeightOnly = (c, p) => quantizeWeightOnly(c, { ...p, group: 32 });
    expect(() => publish(net, cfg.net, runInfo(o, 'x', r), null, test, { weightOnly: levelsOtherGroup })).toThrow(/trained levels int4 in groups of 16; the options ask int4, group 32/);
  });

  it('lowbit train --scheme w4afp32 --group 16 -> infer, run and estimate the weight-only model', async () => {
    const sub = mnistSubset(700, 200);
    const out = join(dir, 'cli');
    const t = await runCli(['train', '--arch', 'tfc', '--hidden', '32', '--wbits', '4', '--abits', '32', '--group', '16', '--epochs', '1', '--train-images', '600', '--val-images', '100', '--data', sub, '--out', out, '--json']);
    expect(t.code, t.err).toBe(0);
    const s = JSON.parse(t.out);
    expect(s.command).toMatch(/--scheme w4afp32 .*--group 16/);
    const m = loadWeightOnlyModel(out);
    expect(woDense(m).map((l) => [l.weight.group, l.weight.scale.length])).toEqual([[16, 32 * 49], [16, 10 * 2]]);
    const sd = loadMnist('test', sub);
    writeNpy(join(dir, 'x.npy'), { data: Float32Array.from(sd.images, (p) => p / 255), shape: [sd.count, 784] });
    writeNpy(join(dir, 'y.npy'), { data: Int32Array.from(sd.labels), shape: [sd.count] });
    const inf = await runCli(['infer', '--model', out, '--input', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--json']);
    expect(inf.code, inf.err).toBe(0);
    expect(JSON.parse(inf.out).accuracy).toBe(s.testAccuracy);
    const run = await runCli(['run', '--model', out, '--data', sub, '--images', '200', '--json']);
    expect(run.code, run.err).toBe(0);
    expect(JSON.stringify(JSON.parse(run.out))).toContain(String(s.testAccuracy));
    const est = await runCli(['estimate', '--model', out, '--json']);
    expect(est.code, est.err).toBe(0);
    const e = JSON.parse(est.out);
    // codes 4 bits, one float32 scale per group of 16, float32 biases (only the last layer has one)
    const bits = (784 * 32 + 32 * 10) * 4 + (32 * 49 + 10 * 2) * 32 + 32 * 32 + 10 * 32;
    expect(e.memory.weightBits).toBe(bits);
    expect(e.memory.fp32WeightBits / e.memory.weightBits).toBeGreaterThan(4);
  });

  it('--state: stopped after epoch 1 and continued, the exported model is byte-identical to one run; another --group is refused', () => {
    const dataDir = mnistSubset(500, 100);
    const o: RunOptions = { arch: 'tfc', hidden: [24], wbits: 3, abits: 32, floatAct: 'fp16', group: 16, epochs: 2, seed: 3, valCount: 0, dataDir, label: 'wo-group-resume' };
    const tmp = mkdtempSync(join(tmpdir(), 'wo-group-resume-'));
    const ex = { weightOnly: quantizeWeightOnly };
    const whole = runTraining(o, join(tmp, 'whole'), join(tmp, 'state-whole'), ex);
    expect(runTraining({ ...o, stopAfter: 1 }, join(tmp, 'part'), join(tmp, 'state-split'), ex).epochs).toBe(1);
    const rest = runTraining(o, join(tmp, 'split'), join(tmp, 'state-split'), ex);
    expect(rest.command).toBe(whole.command);
    expect(rest.testAccuracy).toBe(whole.testAccuracy);
    const files = (readdirSync(join(tmp, 'whole'), { recursive: true }) as string[]).filter((f) => /^blobs\/./.test(f));
    expect(files.length).toBe(6); // codes, scales and (batch-norm folded) bias of both layers
    for (const f of files) expect(readFileSync(join(tmp, 'split', f)).equals(readFileSync(join(tmp, 'whole', f))), f).toBe(true);
    expect(() => runTraining({ ...o, group: 8 }, null, join(tmp, 'state-split'), ex)).toThrow(/holds the state of another run .*--group 16/);
  });

  it('bad combinations: one line naming the problem, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--scheme', 'w4afp16', '--group', '0'], /--group: got 0; allowed: an integer/],
      [['--scheme', 'w4abf16', '--group', '2.5'], /--group: got 2\.5/],
      [['--wbits', '4', '--abits', '32', '--group', '16', '--method', 'lsq'], /--method does not apply here: weight-only QAT/],
      [['--wbits', '32', '--abits', '32', '--group', '16'], /--group does not apply here: FP32 training has no weight quantizer/],
      [['--scheme', 'w4afp16', '--group', '16', '--share-weights', '4'], /not with weight-only QAT|--share-weights/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(['train', '--arch', 'tfc', '--epochs', '1', '--train-images', '100', '--val-images', '10', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(re);
    }
  });
});
