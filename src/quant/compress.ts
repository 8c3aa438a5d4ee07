/**
 * Deep Compression (Han, Mao & Dally, ICLR 2016) of an FP32 checkpoint, without the retraining steps:
 * 1. Magnitude pruning: in each dense/conv weight tensor the `prune` fraction of weights with the smallest
 *    |w| is set to 0 (exactly round(prune * N) weights; ties by position).
 * 2. Weight sharing: the surviving weights of each tensor are clustered by 1-D k-means (kmeans.ts, seeded
 *    k-means++) into `clusters` centroids; each weight becomes its centroid (a float32 codebook + indices).
 * 3. Huffman coding (huffman.ts) of the cluster indices and of the sparse-index gaps, canonical codes.
 * Storage, in exact bits (other parameters — biases, batch-norm — stay float32 in every stage):
 * - dense:   N * 32
 * - sparse (pruned): Han's relative indexing: each stored entry is (gap, value) where gap = zeros skipped
 *   since the previous entry, `idxBits` wide (8 for dense, 5 for conv layers, Han's choice); a gap larger
 *   than 2^idxBits - 1 is bridged by filler entries holding a zero. Entries * (32 + idxBits).
 * - shared: entries * (ceil(log2(K + 1)) + idxBits) + K * 32 codebook (symbol 0 = zero, 1..K = centroids);
 *   without pruning the indices are stored densely, N * ceil(log2 K).
 * - Huffman: coded index bits + coded gap bits + their 5-bit-per-symbol length tables + codebook.
 */
import { clog2 } from '../arith/format.js';
import type { Checkpoint, CkptLayer } from '../model/checkpoint.js';
import { CheckFailedError, badValue } from '../util/errors.js';
import { huffmanDecode, huffmanEncode } from './huffman.js';
import { kmeans1d } from '../kernels/kmeans.js';
import { magnitudePrune } from '../kernels/prune.js';

export { magnitudePrune };

export interface CompressOptions {
  /** fraction of each weight tensor to prune, 0 <= prune < 1 */
  prune: number;
  /** k-means clusters per tensor (0: no sharing) */
  clusters: number;
  huffman: boolean;
  seed: number;
}

export interface LayerCompression {
  index: number;
  kind: 'dense' | 'conv2d';
  weights: number;
  nonzero: number;
  /** stored entries incl. fillers (= weights when not pruned) */
  entries: number;
  idxBits: number;
  bits: { fp32: number; pruned: number; shared: number | null; huffman: number | null };
}

export interface CompressResult {
  pruned: Checkpoint;
  shared: Checkpoint | null;
  layers: LayerCompression[];
  /** bits of parameters outside the weight tensors (biases, batch-norm), float32 */
  otherBits: number;
  total: { fp32: number; pruned: number; shared: number | null; huffman: number | null };
}

/** Han's relative sparse indexing: gaps (zeros skipped, < 2^idxBits) and whether each entry is a filler. */
export function relativeIndex(w: Float32Array, idxBits: number): { gaps: Int32Array; positions: Int32Array } {
  const maxGap = 2 ** idxBits - 1;
  const gaps: number[] = [];
  const positions: number[] = [];
  let last = -1;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    let gap = i - last - 1;
    while (gap > maxGap) {
      gaps.push(maxGap);
      positions.push(-1); // filler: a stored zero
      gap -= maxGap + 1;
    }
    gaps.push(gap);
    positions.push(i);
    last = i;
  }
  return { gaps: Int32Array.from(gaps), positions: Int32Array.from(positions) };
}

function bitsFor(symbols: number): number {
  return Math.max(1, clog2(Math.max(1, symbols)));
}

function paramBits(l: CkptLayer): number {
  switch (l.kind) {
    case 'dense':
    case 'conv2d':
      return l.bias === null ? 0 : 32 * l.bias.length;
    case 'batchnorm':
      return 4 * 32 * l.channels;
    default:
      return 0;
  }
}

export function compressCheckpoint(ckpt: Checkpoint, o: CompressOptions): CompressResult {
  if (!Number.isInteger(o.clusters) || o.clusters < 0 || o.clusters > 65536) throw badValue('clusters', o.clusters, 'an integer 0..65536');
  const sparse = o.prune > 0;
  const layers: LayerCompression[] = [];
  const prunedLayers: CkptLayer[] = [];
  const sharedLayers: CkptLayer[] = [];
  let otherBits = 0;
  ckpt.layers.forEach((l, index) => {
    otherBits += paramBits(l);
    if (l.kind !== 'dense' && l.kind !== 'conv2d') {
      prunedLayers.push(l);
      sharedLayers.push(l);
      return;
    }
    const N = l.weight.length;
    const idxBits = l.kind === 'dense' ? 8 : 5;
    const pw = magnitudePrune(l.weight, o.prune);
    prunedLayers.push({ ...l, weight: pw });
    const rel = sparse ? relativeIndex(pw, idxBits) : { gaps: new Int32Array(0), positions: Int32Array.from({ length: N }, (_, i) => i) };
    const entries = rel.positions.length;
    let nonzero = 0;
    for (let i = 0; i < N; i++) if (pw[i] !== 0) nonzero++;
    const bits: LayerCompression['bits'] = { fp32: 32 * N, pruned: sparse ? entries * (32 + idxBits) : 32 * N, shared: null, huffman: null };
    if (o.clusters > 0) {
      // cluster the stored values (zeros from pruning are symbol 0, not clustered)
      const vals: number[] = [];
      for (const p of rel.positions) if (p >= 0 && pw[p] !== 0) vals.push(pw[p]);
      const km = vals.length > 0 ? kmeans1d(vals, o.clusters, o.seed + index) : null;
      const K = km ? km.centroids.length : 0;
      const sw = new Float32Array(N);
      const symbols = new Int32Array(entries);
      let v = 0;
      rel.positions.forEach((p, e) => {
        if (p < 0 || pw[p] === 0) return; // filler or a zero kept densely: symbol 0
        const c = km!.assign[v++];
        symbols[e] = c + 1;
        sw[p] = km!.centroids[c];
      });
      sharedLayers.push({ ...l, weight: sw });
      const symBits = sparse ? bitsFor(K + 1) : bitsFor(Math.max(K, 1) + (nonzero < N ? 1 : 0));
      bits.shared = entries * (symBits + (sparse ? idxBits : 0)) + 32 * K;
      if (o.huffman) {
        const hs = huffmanEncode(symbols, K + 1);
        const back = huffmanDecode(hs.bytes, hs.lengths, entries);
        for (let e = 0; e < entries; e++) {
          if (back[e] !== symbols[e]) throw new CheckFailedError(`huffman: layer ${index} index ${e} decoded ${back[e]}, encoded ${symbols[e]}`);
        }
        let gapBits = 0;
        if (sparse) {
          const hg = huffmanEncode(rel.gaps, 2 ** idxBits);
          const gb = huffmanDecode(hg.bytes, hg.lengths, rel.gaps.length);
          for (let e = 0; e < rel.gaps.length; e++) {
            if (gb[e] !== rel.gaps[e]) throw new CheckFailedError(`huffman: layer ${index} gap ${e} decoded ${gb[e]}, encoded ${rel.gaps[e]}`);
          }
          gapBits = hg.bits + hg.tableBits;
        }
        bits.huffman = hs.bits + hs.tableBits + gapBits + 32 * K;
      }
    } else sharedLayers.push(l);
    layers.push({ index, kind: l.kind, weights: N, nonzero, entries, idxBits: sparse ? idxBits : 0, bits });
  });
  const sum = (f: (b: LayerCompression['bits']) => number | null): number | null => {
    let t = otherBits;
    for (const l of layers) {
      const v = f(l.bits);
      if (v === null) return null;
      t += v;
    }
    return t;
  };
  return {
    pruned: { ...ckpt, layers: prunedLayers },
    shared: o.clusters > 0 ? { ...ckpt, layers: sharedLayers } : null,
    layers,
    otherBits,
    total: { fp32: sum((b) => b.fp32)!, pruned: sum((b) => b.pruned)!, shared: sum((b) => b.shared), huffman: sum((b) => b.huffman) },
  };
}
