import { describe, it, expect } from 'vitest';
import {
  huffmanLengths, canonicalCodes, huffmanEncode, huffmanDecode, kmeans1d, magnitudePrune, relativeIndex, compressCheckpoint,
} from '../../src/quant/index.js';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { Rng, testSeed } from '../../src/util/rng.js';

describe('Huffman coding (canonical)', () => {
  it('textbook lengths and canonical codes', () => {
    // counts a:45 b:13 c:12 d:16 e:9 f:5 (CLRS): lengths 1,3,3,3,4,4
    const L = huffmanLengths([45, 13, 12, 16, 9, 5]);
    expect(Array.from(L)).toEqual([1, 3, 3, 3, 4, 4]);
    // canonical: a=0, b=100, c=101, d=110, e=1110, f=1111
    expect(Array.from(canonicalCodes(L))).toEqual([0b0, 0b100, 0b101, 0b110, 0b1110, 0b1111]);
    expect(Array.from(huffmanLengths([0, 7, 0]))).toEqual([0, 1, 0]);
    const enc = huffmanEncode([0, 1, 5, 0], 6);
    expect(enc.bits).toBe(1 + 2 + 2 + 1); // counts of this stream: 0 x2, 1 x1, 5 x1 -> lengths 1, 2, 2
    expect(enc.tableBits).toBe(30);
  });

  const seed = testSeed(404);
  it(`decoder round-trips random streams over skewed alphabets (seed ${seed})`, () => {
    const rng = new Rng(seed);
    for (const alphabet of [1, 2, 3, 17, 256]) {
      const n = 5000;
      const s = Int32Array.from({ length: n }, () => Math.min(alphabet - 1, Math.floor(-Math.log(rng.float() + 1e-12) * 2)));
      const e = huffmanEncode(s, alphabet);
      expect(e.bytes.length).toBe(Math.ceil(e.bits / 8));
      expect(Array.from(huffmanDecode(e.bytes, e.lengths, n))).toEqual(Array.from(s));
      // Kraft equality for a complete code (more than one symbol)
      const used = Array.from(e.lengths).filter((l) => l > 0);
      if (used.length > 1) expect(used.reduce((t, l) => t + 2 ** -l, 0)).toBe(1);
    }
    expect(() => huffmanDecode(new Uint8Array([0xff]), [1, 1], 9)).toThrow(/huffman: stream ends or holds an invalid code at symbol 8/);
    expect(() => huffmanEncode([3], 3)).toThrow(/symbols\[0\]: got 3; allowed: an integer 0\.\.2/);
  });
});

describe('pruning, k-means, relative indexing', () => {
  it('prunes exactly round(P*N) smallest magnitudes', () => {
    const w = Float32Array.from([0.5, -0.1, 0.3, -0.7, 0.05, 0.2]);
    expect(Array.from(magnitudePrune(w, 0.5))).toEqual([0.5, 0, 0.3, -0.7, 0, 0].map(Math.fround));
    expect(() => magnitudePrune(w, 1)).toThrow(/prune: got 1; allowed: a fraction 0 <= P < 1/);
  });

  it('relative indices insert filler zeros for gaps beyond the index width', () => {
    const w = new Float32Array(20);
    w[1] = 1;
    w[2] = 2;
    w[19] = 3; // gap of 16 zeros after position 2 with 3-bit gaps (max 7): two fillers
    const r = relativeIndex(w, 3);
    expect(Array.from(r.gaps)).toEqual([1, 0, 7, 7, 0]);
    expect(Array.from(r.positions)).toEqual([1, 2, -1, -1, 19]);
  });

  const seed = testSeed(8);
  it(`k-means++ in 1-D finds separated clusters and is reproducible (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const v = Float64Array.from({ length: 3000 }, (_, i) => [-1, 0.2, 3][i % 3] + rng.normal() * 0.01);
    const a = kmeans1d(v, 3, seed);
    expect(Array.from(a.centroids, (c) => Math.round(c * 10) / 10)).toEqual([-1, 0.2, 3]);
    for (let i = 0; i < v.length; i++) expect(a.assign[i]).toBe(i % 3);
    const b = kmeans1d(v, 3, seed);
    expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
    // Lloyd's fixed point: every value is at its nearest centroid and each centroid is its cluster's mean
    const k = kmeans1d(Float64Array.from({ length: 500 }, () => rng.normal()), 8, 1);
    const sums = new Float64Array(8);
    const counts = new Float64Array(8);
    const vals = Float64Array.from({ length: 500 }, () => rng.normal());
    const km = kmeans1d(vals, 8, 1);
    km.assign.forEach((c, i) => { sums[c] += vals[i]; counts[c]++; });
    for (let c = 0; c < 8; c++) expect(km.centroids[c]).toBeCloseTo(sums[c] / counts[c], 9);
    vals.forEach((v, i) => {
      const d = Math.abs(v - km.centroids[km.assign[i]]);
      for (const c of km.centroids) expect(d).toBeLessThanOrEqual(Math.abs(v - c) + 1e-12);
    });
    expect(k.iterations).toBeLessThan(100);
  });
});

describe('Deep Compression pipeline', () => {
  const seed = testSeed(12);
  it(`exact stored bits per stage and the shared weights take only K values (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const f = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
    const ck: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 't', inputShape: [1, 8, 8],
      layers: [
        { kind: 'conv2d', inC: 1, outC: 4, k: 3, stride: 1, pad: 1, weight: f(36), bias: f(4) },
        { kind: 'batchnorm', channels: 4, eps: 1e-5, gamma: f(4), beta: f(4), mean: f(4), var: f(4).map(Math.abs) },
        { kind: 'relu' }, { kind: 'flatten' },
        { kind: 'dense', in: 256, out: 100, weight: f(25600), bias: null },
      ],
    };
    const r = compressCheckpoint(ck, { prune: 0.9, clusters: 4, huffman: true, seed });
    expect(r.otherBits).toBe(32 * 4 + 4 * 32 * 4);
    const [conv, dense] = r.layers;
    expect(conv.nonzero).toBe(36 - 32);
    expect(dense.nonzero).toBe(2560);
    expect(r.total.fp32).toBe(32 * (36 + 25600) + r.otherBits);
    expect(dense.bits.pruned).toBe(dense.entries * (32 + 8));
    expect(dense.bits.shared).toBe(dense.entries * (3 + 8) + 4 * 32); // symbols 0..4 -> 3 bits
    expect(r.total.huffman!).toBeLessThan(r.total.shared!);
    expect(r.total.shared!).toBeLessThan(r.total.pruned);
    const sw = r.shared!.layers[4];
    const distinct = new Set(sw.kind === 'dense' ? Array.from(sw.weight) : []);
    expect(distinct.size).toBe(5); // 4 centroids and 0
    const pw = r.pruned.layers[4];
    if (pw.kind === 'dense' && sw.kind === 'dense') {
      for (let i = 0; i < pw.weight.length; i++) expect(pw.weight[i] === 0).toBe(sw.weight[i] === 0);
    }
    // no pruning: dense indices, no gaps
    const d = compressCheckpoint(ck, { prune: 0, clusters: 16, huffman: false, seed });
    expect(d.layers[1].bits.shared).toBe(25600 * 4 + 16 * 32);
    expect(d.layers[1].bits.pruned).toBe(25600 * 32);
    expect(d.total.huffman).toBeNull();
  });
});
