import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { writeNpy } from '../../src/util/npy.js';
import { runCli } from './helpers/cli.js';
import { mnistSubset } from './helpers/mnist_subset.js';

/**
 * `lowbit train --data X --labels y --test-data Xt --test-labels yt`: .npy files as numpy writes them (float64
 * x / 255, int64 labels) and IDX files by path train exactly what the IDX folder of the same images trains.
 */
describe('lowbit train on data files (.npy, IDX by path)', () => {
  const dir = mnistSubset(400, 100);
  const train = loadMnist('train', dir);
  const test = loadMnist('test', dir);
  const f64 = (d: typeof train) => Float64Array.from(d.images, (p) => p / 255);
  const i64 = (d: typeof train) => BigInt64Array.from(d.labels, (l) => BigInt(l));
  writeNpy(join(dir, 'x.npy'), { data: f64(train), shape: [400, 28, 28] });
  writeNpy(join(dir, 'y.npy'), { data: i64(train), shape: [400] });
  writeNpy(join(dir, 'xt.npy'), { data: f64(test), shape: [100, 1, 28, 28] });
  writeNpy(join(dir, 'yt.npy'), { data: i64(test), shape: [100] });
  writeFileSync(join(dir, 'fashion-train-images-idx3-ubyte.gz'), gzipSync(readFileSync(join(dir, 'train-images-idx3-ubyte'))));
  const base = ['train', '--arch', 'tfc', '--hidden', '16', '--wbits', '2', '--abits', '2', '--epochs', '1', '--batch-size', '10', '--val-images', '50', '--json'];
  const summary = async (args: string[]) => {
    const r = await runCli([...base, ...args]);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out) as { log: { seconds?: number; samplesPerSec?: number }[]; testAccuracy: number };
    // everything but the timings
    return { log: s.log.map(({ seconds: _s, samplesPerSec: _p, ...e }) => e), acc: s.testAccuracy };
  };

  it('the text summary counts "1 epoch"', async () => {
    const r = await runCli([...base.filter((a) => a !== '--json'), '--data', dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/: tfc W2A2 \(\w+\), 1 epoch, seed 1\n/);
  });

  it('float64 / int64 .npy and IDX paths give the run of the IDX folder, bit for bit', async () => {
    const folder = await summary(['--data', dir]);
    const npy = await summary(['--data', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--test-data', join(dir, 'xt.npy'), '--test-labels', join(dir, 'yt.npy')]);
    expect(npy).toEqual(folder);
    const idx = await summary(['--data', join(dir, 'fashion-train-images-idx3-ubyte.gz'), '--labels', join(dir, 'train-labels-idx1-ubyte'),
      '--test-data', join(dir, 't10k-images-idx3-ubyte'), '--test-labels', join(dir, 't10k-labels-idx1-ubyte')]);
    expect(idx).toEqual(folder);
    expect(folder.acc).toBeGreaterThan(0.3);
  }, 240_000);

  it('wrong shapes, values, label counts and missing files: one line naming the problem, exit 2', async () => {
    writeNpy(join(dir, 'rgb.npy'), { data: new Float32Array(4 * 32 * 32 * 3), shape: [4, 32, 32, 3] });
    const bad = Float64Array.from(f64(train));
    bad[1234] = 1.5;
    writeNpy(join(dir, 'bad.npy'), { data: bad, shape: [400, 784] });
    writeNpy(join(dir, 'y10.npy'), { data: Int32Array.from(train.labels, (l, i) => (i === 7 ? 10 : l)), shape: [400] });
    writeNpy(join(dir, 'y3.npy'), { data: new Int32Array(3), shape: [3] });
    const t = ['--test-data', join(dir, 'xt.npy'), '--test-labels', join(dir, 'yt.npy')];
    const cases: [string[], RegExp][] = [
      [['--data', join(dir, 'rgb.npy'), '--labels', join(dir, 'y.npy'), ...t], /rgb\.npy: shape \(4, 32, 32, 3\); the architectures read 28x28 grayscale images: allowed \[N, 784\]/],
      [['--data', join(dir, 'bad.npy'), '--labels', join(dir, 'y.npy'), ...t], /bad\.npy\[1234\]: 1\.5 is not a pixel in \[0, 1\]/],
      [['--data', join(dir, 'x.npy'), '--labels', join(dir, 'y10.npy'), ...t], /y10\.npy\[7\]: 10 is not a label 0\.\.9/],
      [['--data', join(dir, 'x.npy'), '--labels', join(dir, 'y3.npy'), ...t], /y3\.npy: 3 labels .*; the data has 400 samples/],
      [['--data', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy')], /--data .*x\.npy is an images file: give --test-data, --test-labels/],
      [['--data', join(dir, 'x.npy')], /give --labels, --test-data, --test-labels/],
      [['--data', dir, '--labels', join(dir, 'y.npy')], /--labels does not apply here: it goes with an images file in --data/],
      [['--data', join(dir, 'nope.npy'), '--labels', join(dir, 'y.npy'), ...t], /--data .*nope\.npy: no such file or folder/],
      [['--data', join(dir, 'x.npy'), '--labels', join(dir, 'missing.npy'), ...t], /missing\.npy/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli([...base, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
  }, 240_000);
});
