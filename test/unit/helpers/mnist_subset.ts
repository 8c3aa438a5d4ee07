import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '../../../src/data/idx.js';
import { loadMnist } from '../../../src/data/mnist.js';

/**
 * A small MNIST-shaped IDX folder (for `--data` / `RunOptions.dataDir`): the first `trainCount` training
 * and `testCount` test images of MNIST, so CLI-level training tests publish and evaluate quickly.
 */
export function mnistSubset(trainCount: number, testCount: number): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist-subset-')), 'data');
  mkdirSync(dir);
  const put = (name: string, split: 'train' | 'test', n: number): void => {
    const d = loadMnist(split);
    writeFileSync(join(dir, `${name}-images-idx3-ubyte`), encodeIdx({ type: 'uint8', dims: [n, 28, 28], data: d.images.subarray(0, n * 784) }));
    writeFileSync(join(dir, `${name}-labels-idx1-ubyte`), encodeIdx({ type: 'uint8', dims: [n], data: d.labels.subarray(0, n) }));
  };
  put('train', 'train', trainCount);
  put('t10k', 'test', testCount);
  return dir;
}
