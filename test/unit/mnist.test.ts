import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMnistDir, loadMnist } from '../../src/data/mnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import { trainValSplit, batches, fullView, headView } from '../../src/data/batches.js';
import { Rng, testSeed } from '../../src/util/rng.js';

describe('MNIST', () => {
  it('loads both splits from the MNIST files shipped with lowbit (gzip)', () => {
    const train = loadMnist('train');
    const test = loadMnist('test');
    expect([train.count, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    // The well-known first labels of each split.
    expect(Array.from(train.labels.subarray(0, 8))).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
    expect(Array.from(test.labels.subarray(0, 8))).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    const hist = new Array(10).fill(0);
    for (const l of test.labels) hist[l]++;
    expect(hist).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // byte-identical to the published files: SHA-256 of the decompressed test labels and images
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    expect(sha(gunzipSync(readFileSync(join(defaultMnistDir(), 't10k-labels-idx1-ubyte.gz'))))).toBe('ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2');
  });

  it('reads plain and .gz IDX files alike', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gzmnist-'));
    const idx = encodeIdx({ type: 'uint8', dims: [2, 2, 2], data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) });
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idx));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx({ type: 'uint8', dims: [2], data: Uint8Array.from([1, 0]) }));
    const d = loadMnist('test', dir);
    expect(Array.from(d.images)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idx);
    expect(() => loadMnist('test', dir)).toThrow(/t10k-images-idx3-ubyte\.gz: not a gzip file/);
  });

  it('accepts any folder of same-shaped IDX files and checks counts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
    const imgs = new Uint8Array(3 * 4 * 5).map((_, i) => i);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx({ type: 'uint8', dims: [3, 4, 5], data: imgs }));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx({ type: 'uint8', dims: [3], data: Uint8Array.from([9, 0, 3]) }));
    const d = loadMnist('test', dir);
    expect([d.count, d.rows, d.cols, d.classes]).toEqual([3, 4, 5, 10]);
    expect(d.images[59]).toBe(59);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx({ type: 'uint8', dims: [2], data: Uint8Array.from([9, 0]) }));
    expect(() => loadMnist('test', dir)).toThrow(/2 labels but .*3 images/);
    expect(() => loadMnist('train', dir)).toThrow(/train-images-idx3-ubyte: dataset file not found/);
    expect(() => loadMnist('valid' as 'train', dir)).toThrow(/split: got "valid"/);
  });

  it('splits, shuffles and batches reproducibly from a seed', () => {
    const seed = testSeed(1234);
    const test = loadMnist('test');
    const a = trainValSplit(test, 1000, seed);
    const b = trainValSplit(test, 1000, seed);
    expect(a.train.indices.length).toBe(9000);
    expect(a.val.indices.length).toBe(1000);
    expect(Array.from(a.val.indices)).toEqual(Array.from(b.val.indices));
    const all = new Set([...a.train.indices, ...a.val.indices]);
    expect(all.size).toBe(10000);

    const view = headView(fullView(test), 300);
    const r1 = new Rng(seed);
    const r2 = new Rng(seed);
    const first1: number[] = [];
    const ns: number[] = [];
    for (const bt of batches(view, 128, r1)) {
      first1.push(bt.y[0]!);
      ns.push(bt.n);
    }
    const first2: number[] = [];
    for (const bt of batches(view, 128, r2)) first2.push(bt.y[0]!);
    expect(ns).toEqual([128, 128, 44]);
    expect(first1).toEqual(first2);
    // Unshuffled: the first sample's pixels scaled by 1/255.
    const it0 = batches(view, 2, null).next().value!;
    expect(it0.x[0 * 784 + 152]).toBe(test.images[152]! / 255);
    expect(it0.y[1]).toBe(2);
  });
});
