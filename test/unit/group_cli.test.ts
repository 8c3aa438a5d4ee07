/**
 * `lowbit quantize --scheme wXaY --group G` writes a QuantizedModel with per-group integer multipliers
 * (codes and multipliers recomputed here from the float weights); `lowbit run` runs it on the integer
 * reference and says so, and with a --design that has group multipliers on the accelerator (bit-exact); a
 * Design without them, export and bad --group values (quantize and train) are refused in one line, exit 2.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intFormat } from '../../src/arith/format.js';
import { roundHalfEven } from '../../src/arith/requant.js';
import { loadMnist } from '../../src/data/mnist.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { loadQuantizedModel } from '../../src/model/format.js';
import { argmaxRowsInt, integerInference } from '../../src/model/infer.js';
import type { DenseLayer } from '../../src/model/types.js';
import { trainCommandLine } from '../../src/train/run.js';
import { Rng } from '../../src/util/rng.js';
import { runCli as run } from './helpers/cli.js';
import { tinyMlpCheckpoint } from './helpers/tiny_checkpoint.js';

describe('per-group scales on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-group-cli-'));
  const rng = new Rng(2021);
  const ckpt = tinyMlpCheckpoint(rng);
  saveCheckpoint(join(dir, 'ckpt'), ckpt);
  const out = join(dir, 'g32');

  it('quantize --scheme w8a8 --group 32: codes rint(w / s_g), multipliers rint(s_g / u), u = max_g s_g / 2^F', async () => {
    const q = await run(['quantize', '--checkpoint', join(dir, 'ckpt'), '--scheme', 'w8a8', '--group', '32', '--calib-images', '50', '--images', '50', '--out', out]);
    expect(q.code, q.err).toBe(0);
    expect(q.out).toMatch(/scheme {5}w8a8 group 32/);
    expect(q.out).toMatch(/dense0: dense 784->16, weights int8 \(group 32: 400 integer multipliers\)/);
    expect(q.out).toMatch(/dense1: dense 16->10, weights int8 \(1 scale\)/); // K = 16 <= 32: one scale
    const m = loadQuantizedModel(out);
    const l = m.layers[1] as DenseLayer;
    const g = l.weight.group!;
    const W = (ckpt.layers[0] as { weight: Float32Array }).weight;
    const F = Math.log2(Math.max(...g.multiplier));
    expect(Number.isInteger(F) && F <= 16).toBe(true);
    for (let o = 0; o < 16; o++) {
      // float group scales (int8 narrow, max|w| per group), the row's unit, multipliers and codes
      const s = Array.from({ length: 25 }, (_, j) => Math.fround(Math.max(...Array.from(W.subarray(o * 784 + 32 * j, o * 784 + Math.min(784, 32 * (j + 1))), Math.abs)) / 127));
      const u = Math.max(...s) / 2 ** F;
      expect(l.weight.scale[o]).toBe(u);
      for (let j = 0; j < 25; j++) expect(g.multiplier[o * 25 + j]).toBe(roundHalfEven(s[j]! / u));
      for (let k = 0; k < 784; k++) expect(l.weight.data[o * 784 + k]).toBe(Math.max(-127, Math.min(127, roundHalfEven(Math.fround(W[o * 784 + k]! / s[Math.floor(k / 32)]!)))));
    }
    expect((m.layers[2] as DenseLayer).weight.group).toBeUndefined();
    expect(l.weight.format).toEqual(intFormat(8, true));
  });

  it('run uses the integer reference and says so; a --design without group multipliers, export are refused naming the layer', async () => {
    const r = await run(['run', '--model', out, '--images', '30', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const m = loadQuantizedModel(out);
    const test = loadMnist('test');
    const x = Float32Array.from(test.images.subarray(0, 30 * 784), (p) => p / 255);
    const pred = argmaxRowsInt(integerInference(m, x).output, 10);
    expect(j).toMatchObject({ engine: 'integer reference', grouped: 'dense0', images: 30, accuracy: { reference: pred.filter((p, i) => p === test.labels[i]).length / 30 } });
    const t = await run(['run', '--model', out, '--images', '30']);
    expect(t.out).toMatch(/on the integer reference \(integerInference\)\n.*\n {2}no accelerator {2}layer dense0 has per-group weight scales \(group 32, 25 groups per row\)/);
    for (const args of [['run', '--model', out, '--design', 'int8'], ['run', '--model', out, '--rtl']]) {
      const b = await run(args);
      expect(b.code).toBe(2);
      expect(b.err.trim().split('\n')).toHaveLength(1);
      expect(b.err).toMatch(/layer dense0 has per-group weight scales \(group 32, 25 groups per row\); the Design has no group multipliers \(add "accumulator": \{"group": \{"multiplierBits": 17\}\}/);
    }
    const e = await run(['export', '--model', out, '--out', join(dir, 'm.onnx')]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/layer dense0: per-group weight scales \(group 32, 25 groups per row\); ONNX QOperator ops take one weight scale per output channel/);
  });

  it('run --design with group multipliers: the TS accelerator equals the integer reference on every logit', async () => {
    const design = join(dir, 'int8-mnist-g17.json');
    writeFileSync(design, JSON.stringify({ base: 'int8-mnist', name: 'int8-mnist-g17', accumulator: { group: { multiplierBits: 17 } } }));
    const r = await run(['run', '--model', out, '--design', design, '--images', '30', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.agreement.referenceVsAccelerator).toBe(1);
    expect(j.accuracy.accelerator).toBe(j.accuracy.reference);
    expect(j.layers[0]).toMatchObject({ name: 'dense0', engine: 'mac', K: 784 });
  });

  const bad: [string[], RegExp][] = [
    [['--group', '0'], /--group: got 0; allowed: an integer 1\.\.2147483647/],
    [['--group', '-4'], /--group: got -4/],
    [['--group', '2.5'], /--group: got 2\.5/],
    [['--group', '32', '--scheme', 'w1a1'], /--group 32: per-group scales are integer multipliers of integer weights; scheme w1a1 has binary weights/],
    [['--group', '32', '--scheme', 'pow2'], /scheme pow2 has pow2-4 weights and shift-only scales/],
  ];
  for (const [args, msg] of bad) {
    it(`quantize ${args.join(' ')}: one line, exit 2, nothing written`, async () => {
      const o = join(dir, `bad${args.join('')}`);
      const scheme = args.includes('--scheme') ? [] : ['--scheme', 'w4a8'];
      const r = await run(['quantize', '--checkpoint', join(dir, 'ckpt'), ...scheme, '--images', '0', ...args, '--out', o]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
      expect(existsSync(o)).toBe(false);
    });
  }

  const badTrain: [string[], RegExp][] = [
    [['--wbits', '4', '--abits', '4', '--group', '0'], /--group: got 0; allowed: an integer 1\.\.2147483647/],
    [['--wbits', '1', '--abits', '1', '--group', '32'], /--group 32: per-group scales train int weights .* this run has binary weights/],
    [['--wbits', '4', '--abits', '4', '--method', 'lsq', '--group', '32'], /this run has lsq weights/],
    [['--scheme', 'w4afp16', '--group', '-4'], /--group: got -4; allowed: an integer 1\.\.2147483647/], // weight-only QAT takes --group (weight_only_group_train.test.ts)
    [['--group', '32'], /--group does not apply here: FP32 training has no weight quantizer/],
  ];
  for (const [args, msg] of badTrain) {
    it(`train ${args.join(' ')}: one line, exit 2, nothing written`, async () => {
      const o = join(dir, `t${args.join('')}`);
      const r = await run(['train', '--arch', 'tfc', '--epochs', '1', '--train-images', '100', ...args, '--out', o]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
      expect(existsSync(o)).toBe(false);
    });
  }

  it('train records --group in the reproducing command line (also the identity of a resumable --state)', () => {
    expect(trainCommandLine({ arch: 'tfc', wbits: 4, abits: 4, epochs: 1, seed: 1, group: 32 })).toBe('lowbit train --arch tfc --wbits 4 --abits 4 --method pact --epochs 1 --seed 1 --group 32');
  });

  it('--group with --model (an ONNX import) is refused', async () => {
    const r = await run(['quantize', '--model', join(dir, 'x.onnx'), '--group', '32']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--group does not apply here/);
  });
});
