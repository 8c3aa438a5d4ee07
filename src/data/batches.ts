/**
 * Seeded dataset plumbing for training: a held-out validation split, per-epoch shuffled index orders,
 * and mini-batches gathered into preallocated float32 buffers (pixels scaled to [0, 1] by /255).
 * Everything random draws from `Rng` (src/util/rng.ts), so a seed fixes the whole data order.
 */
import { Rng } from '../util/rng.js';
import { badValue, checkInt } from '../util/errors.js';
import type { ImageDataset } from './mnist.js';

/** A subset of a dataset, given by indices into it. */
export interface DatasetView {
  data: ImageDataset;
  indices: Uint32Array;
}

/** All samples of `data`, in order. */
export function fullView(data: ImageDataset): DatasetView {
  const indices = new Uint32Array(data.count);
  for (let i = 0; i < data.count; i++) indices[i] = i;
  return { data, indices };
}

/**
 * Splits `data` into train and validation views: a seeded permutation, the last `valCount` samples of it
 * are validation. `valCount` 0 gives an empty validation view.
 */
export function trainValSplit(data: ImageDataset, valCount: number, seed: number): { train: DatasetView; val: DatasetView } {
  checkInt('valCount', valCount, 0, data.count - 1);
  const perm = new Rng(seed).shuffle(fullView(data).indices);
  const cut = data.count - valCount;
  return { train: { data, indices: perm.slice(0, cut) }, val: { data, indices: perm.slice(cut) } };
}

/** The first `n` samples of a view (for quick runs). */
export function headView(v: DatasetView, n: number): DatasetView {
  return { data: v.data, indices: v.indices.slice(0, Math.min(n, v.indices.length)) };
}

/** A fresh shuffled copy of the view's indices (one epoch's order). */
export function shuffledOrder(v: DatasetView, rng: Rng): Uint32Array {
  return rng.shuffle(v.indices.slice());
}

/** Pixel count of one sample. */
export function sampleSize(d: ImageDataset): number {
  return d.rows * d.cols;
}

/**
 * Gathers samples `order[start .. start+n)` into `x` (n * rows*cols floats, pixel / 255) and `y` (labels).
 * Allocates nothing.
 */
export function gatherBatch(
  data: ImageDataset,
  order: Uint32Array,
  start: number,
  n: number,
  x: Float32Array,
  y: Uint8Array,
): void {
  const sz = sampleSize(data);
  if (x.length < n * sz || y.length < n) throw badValue('batch buffers', x.length, `at least ${n * sz} floats and ${n} labels`);
  const img = data.images;
  for (let b = 0; b < n; b++) {
    const s = order[start + b]!;
    const src = s * sz;
    const dst = b * sz;
    for (let i = 0; i < sz; i++) x[dst + i] = img[src + i]! / 255;
    y[b] = data.labels[s]!;
  }
}

/**
 * Iterates over mini-batches of a seeded shuffled epoch: yields `{x, y, n}` with reused buffers
 * (valid until the next iteration). The last, partial batch is included unless `dropLast`.
 */
export function* batches(
  v: DatasetView,
  batchSize: number,
  rng: Rng | null,
  dropLast = false,
): Generator<{ x: Float32Array; y: Uint8Array; n: number; index: number }> {
  checkInt('batchSize', batchSize, 1, 1 << 20);
  const order = rng ? shuffledOrder(v, rng) : v.indices;
  const sz = sampleSize(v.data);
  const x = new Float32Array(batchSize * sz);
  const y = new Uint8Array(batchSize);
  let index = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const n = Math.min(batchSize, order.length - start);
    if (dropLast && n < batchSize) break;
    gatherBatch(v.data, order, start, n, x, y);
    yield { x, y, n, index: index++ };
  }
}
