import { describe, it, expect } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { mnistSubset } from './helpers/mnist_subset.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { train } from '../../src/train/trainer.js';
import { buildNetwork } from '../../src/train/arch.js';
import { saveState, loadState } from '../../src/train/state.js';
import { toCheckpoint } from '../../src/train/export.js';
import { saveCheckpoint, loadCheckpoint } from '../../src/model/checkpoint.js';
import { fp32Inference } from '../../src/model/fp32_infer.js';
import { main } from '../../src/cli/main.js';
import { loadQuantizedModel } from '../../src/model/format.js';
import { testSeed } from '../../src/util/rng.js';

const seed = testSeed(3);
const data = loadMnist('train');
const cfg = (steps: number) => ({
  net: { arch: 'tfc' as const, hidden: [32], weights: { method: 'none' as const, bits: 32 }, act: { method: 'relu' as const, bits: 32 } },
  epochs: 1, batchSize: 50, optimizer: { name: 'adam' as const, lr: 0.003 }, schedule: { name: 'constant' as const, epochs: 1 },
  seed, valCount: 500, maxTrain: 50 * steps, maxSteps: steps,
});

describe('training', () => {
  it('the loss falls over a few hundred steps of a tiny MLP', () => {
    const early = train({ ...cfg(20) }, data);
    const later = train({ ...cfg(120) }, data);
    expect(later.log[0]!.loss).toBeLessThan(early.log[0]!.loss);
    expect(later.log[0]!.valAcc!).toBeGreaterThan(0.8);
  });

  it('is bit-reproducible: the same seed gives identical weights', () => {
    const a = train({ ...cfg(20) }, data).net.params();
    const b = train({ ...cfg(20) }, data).net.params();
    a.forEach((p, i) => expect(Buffer.from(p.value.buffer).equals(Buffer.from(b[i]!.value.buffer))).toBe(true));
    const c = train({ ...cfg(20), seed: seed + 1 }, data).net.params();
    expect(Buffer.from(a[0]!.value.buffer).equals(Buffer.from(c[0]!.value.buffer))).toBe(false);
  });

  it('state and FP32 checkpoint round-trip; fp32Inference matches the network', () => {
    const r = train({ ...cfg(30) }, data);
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    saveState(dir, r.net, { spec: cfg(1).net, seed, meta: {} });
    const back = loadState(dir).net;
    r.net.params().forEach((p, i) => expect(Array.from(back.params()[i]!.value)).toEqual(Array.from(p.value)));
    const ck = toCheckpoint(r.net, 'tfc');
    saveCheckpoint(join(dir, 'ck'), ck);
    const loaded = loadCheckpoint(join(dir, 'ck'));
    const x = new Float32Array(4 * 784);
    for (let i = 0; i < x.length; i++) x[i] = data.images[i]! / 255;
    const mine = r.net.forward(x, 4, false).slice(0, 40);
    const theirs = fp32Inference(loaded, x, 4);
    for (let i = 0; i < 40; i++) expect(Math.abs(mine[i]! - theirs[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(mine[i]!)));
  });

  it('builds every architecture with the right shapes', () => {
    const w = { method: 'binary' as const, bits: 1 };
    const a = { method: 'sign' as const, bits: 1 };
    expect(buildNetwork({ arch: 'sfc', weights: w, act: a }, 1).shapes.map((s) => s[0])).toEqual([784, 256, 256, 256, 256, 256, 256, 256, 256, 256, 10, 10]);
    expect(buildNetwork({ arch: 'lfc', weights: w, act: a }, 1).params()[0]!.value.length).toBe(784 * 1024);
    const cnn = buildNetwork({ arch: 'cnn', weights: { method: 'int', bits: 4 }, act: { method: 'pact', bits: 4 } }, 1);
    expect(cnn.shapes[cnn.shapes.length - 1]).toEqual([10]);
    expect(cnn.shapes[4]).toEqual([16, 14, 14]);
  });

  it('lowbit train writes a loadable QuantizedModel and reports its integer accuracy', async () => {
    // a small MNIST-shaped dataset folder (--data): 3000 training and 1000 test images
    const ddir = mnistSubset(3000, 1000);
    const out = join(mkdtempSync(join(tmpdir(), 'cli-')), 'tiny-w1a1');
    const writes: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (writes.push(s), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['train', '--arch', 'tfc', '--hidden', '32', '--wbits', '1', '--abits', '1', '--epochs', '1', '--val-images', '0', '--seed', String(seed), '--input-dropout', '0.1', '--shift', '1', '--data', ddir, '--out', out, '--json']);
    } finally {
      process.stdout.write = orig;
    }
    expect(code).toBe(0);
    const s = JSON.parse(writes.join(''));
    expect(s.testAccuracy).toBeGreaterThan(0.6);
    expect(s.testAccuracy).toBe(s.networkTestAccuracy);
    const m = loadQuantizedModel(out);
    expect(m.provenance.accuracy[0]!.value).toBe(s.testAccuracy);
    // the recorded command reproduces the run: every option that changes the weights, nothing else
    expect(s.command).toBe(`lowbit train --arch tfc --wbits 1 --abits 1 --method bnn --epochs 1 --seed ${seed} --hidden 32 --input-dropout 0.1 --shift 1 --val-images 0`);
    expect(m.provenance.source).toBe(s.command);
    expect([s.dropout, s.inputDropout, s.shift]).toEqual([0, 0.1, 1]);
    expect(existsSync(join(out, 'train-log.json'))).toBe(true);
    expect(await main(['train', '--arch', 'tfc', '--wbits', '3', '--abits', '2', '--method', 'ternary', '--epochs', '1'])).toBe(2);
    expect(await main(['train', '--arch', 'tfc', '--wbits', '1', '--abits', '1', '--dropout', '1', '--epochs', '1'])).toBe(2);
    expect(await main(['train', '--arch', 'tfc', '--wbits', '1', '--abits', '1', '--input-dropout', '-0.1', '--epochs', '1'])).toBe(2);
    expect(await main(['train', '--arch', 'tfc', '--wbits', '1', '--abits', '1', '--shift', '9', '--epochs', '1'])).toBe(2);
    expect(await main(['train', '--arch', 'tfc', '--wbits', '1', '--abits', '1', '--shift', '1.5', '--epochs', '1'])).toBe(2);
  });
});
