/**
 * MNIST-shaped datasets: N grayscale images of rows x cols uint8 pixels and N uint8 labels 0..9, read
 * from the four standard IDX files, each plain or gzip-compressed (`<name>.gz`). By default the MNIST files
 * shipped with lowbit (`data/mnist/*.gz` in the package, see data/mnist/README.md); any folder holding
 * files of the same names and shapes works too (e.g. Fashion-MNIST, which uses identical file names:
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-*).
 *
 * Pixels are views on the file buffers (no copy): `images[i*rows*cols + r*cols + c]`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package.js';
import { InputError, checkEnum } from '../util/errors.js';
import { readIdx } from './idx.js';

export type MnistSplit = 'train' | 'test';

/** An image-classification dataset of uint8 pixels. */
export interface ImageDataset {
  /** N * rows * cols pixels, 0..255, row-major per image. */
  images: Uint8Array;
  /** N labels. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** Number of classes (max label + 1, at least 10 for MNIST-shaped data). */
  classes: number;
}

/** The folder of the MNIST IDX files shipped with lowbit (gzip-compressed). */
export function defaultMnistDir(): string {
  return join(packageRoot(), 'data', 'mnist');
}

const FILES: Record<MnistSplit, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

/**
 * Loads the `train` (60000) or `test` (10000) split from `dir` (default: lowbit's shipped MNIST).
 * Checks: images are a 3-D uint8 IDX, labels a 1-D uint8 IDX of the same count, labels < 256.
 * Errors are InputErrors naming the file.
 */
export function loadMnist(split: MnistSplit, dir?: string): ImageDataset {
  checkEnum('split', split, ['train', 'test']);
  const d = dir ?? defaultMnistDir();
  const [imgName, lblName] = FILES[split];
  const [imgPath, lblPath] = [imgName, lblName].map((name) => {
    const p = join(d, name);
    if (existsSync(p)) return p;
    if (existsSync(`${p}.gz`)) return `${p}.gz`;
    throw new InputError(`${p}: dataset file not found (nor ${name}.gz); a dataset folder holds ${FILES.train.concat(FILES.test).join(', ')}, plain or .gz`);
  }) as [string, string];
  const img = readIdx(imgPath);
  if (img.type !== 'uint8' || img.dims.length !== 3) {
    throw new InputError(`${imgPath}: expected a 3-D uint8 IDX (N x rows x cols), got ${img.dims.length}-D ${img.type}`);
  }
  const lbl = readIdx(lblPath);
  if (lbl.type !== 'uint8' || lbl.dims.length !== 1) {
    throw new InputError(`${lblPath}: expected a 1-D uint8 IDX of labels, got ${lbl.dims.length}-D ${lbl.type}`);
  }
  const [n, rows, cols] = img.dims as [number, number, number];
  if (lbl.dims[0] !== n) {
    throw new InputError(`${lblPath}: ${lbl.dims[0]} labels but ${imgPath} holds ${n} images; they must match`);
  }
  const labels = lbl.data as Uint8Array;
  let maxLabel = 0;
  for (let i = 0; i < n; i++) if (labels[i]! > maxLabel) maxLabel = labels[i]!;
  return { images: img.data as Uint8Array, labels, count: n, rows, cols, classes: Math.max(10, maxLabel + 1) };
}
