import type { ArgumentsCamelCase } from 'yargs';
import type { CompressArgs } from '../args/compress.js';
import { loadMnist } from '../../data/mnist.js';
import { CHECKPOINT_OUTPUT, loadCheckpoint, saveCheckpoint } from '../../model/checkpoint.js';
import { compressCheckpoint } from '../../quant/compress.js';
import { accuracyFp32, type EvalSet } from '../../quant/evaluate.js';
import { checkInt } from '../../util/errors.js';
import { checkOutDir, given, notApplicable, optNum } from '../options.js';

/**
 * `lowbit compress`: Deep Compression of an FP32 checkpoint (src/quant/compress.ts) — magnitude pruning,
 * k-means weight sharing, Huffman coding — printing the exact stored bits, the compression ratio against
 * FP32 and the MNIST test accuracy after each stage (no retraining). `--out` writes the final-stage
 * (decoded) weights as an FP32 checkpoint, which `lowbit quantize` can take.
 */

/** Runs `lowbit compress` (its options: cli/args/compress.ts). */
export function compressHandler(argv: ArgumentsCamelCase<CompressArgs>): void {
  checkInt('--clusters', argv.clusters, 0, 65536);
  checkInt('--images', argv.images, 0, 1 << 24);
  checkInt('--seed', argv.seed, 0, 2 ** 32 - 1);
  optNum('--prune', argv.prune, 0, 1, { hi: true });
  notApplicable('--huffman', argv.huffman && argv.clusters === 0, 'Huffman coding codes the cluster indices', 'give --clusters K too or remove it');
  notApplicable('--seed', given('seed') && argv.clusters === 0, 'the seed is k-means++\'s', 'give --clusters K too or remove it');
  notApplicable('--data', given('data') && argv.images === 0, 'the data is read for the accuracy; --images 0 skips it');
  checkOutDir(argv.out, { ...CHECKPOINT_OUTPUT, force: argv.force }, { '--checkpoint': argv.checkpoint, '--data': argv.data });
  const ckpt = loadCheckpoint(argv.checkpoint);
  const r = compressCheckpoint(ckpt, { prune: argv.prune, clusters: argv.clusters, huffman: argv.huffman, seed: argv.seed });
  let acc: (c: typeof ckpt) => number | null = () => null;
  if (argv.images > 0) {
    const t = loadMnist('test', argv.data);
    const set: EvalSet = { images: t.images, labels: t.labels, count: Math.min(argv.images, t.count), pixels: t.rows * t.cols };
    acc = (c) => accuracyFp32(c, set);
  }
  const stages: { stage: string; bits: number; ratio: number; accuracy: number | null }[] = [];
  const add = (stage: string, bits: number | null, c: typeof ckpt | null): void => {
    if (bits === null || c === null) return;
    stages.push({ stage, bits, ratio: r.total.fp32 / bits, accuracy: acc(c) });
  };
  add('fp32', r.total.fp32, ckpt);
  if (argv.prune > 0) add(`pruned ${argv.prune}`, r.total.pruned, r.pruned);
  if (r.shared) {
    add(`shared k=${argv.clusters}`, r.total.shared, r.shared);
    // Huffman is lossless: same weights as the shared stage (decoding is checked inside compressCheckpoint)
    if (argv.huffman) stages.push({ stage: 'huffman', bits: r.total.huffman!, ratio: r.total.fp32 / r.total.huffman!, accuracy: stages[stages.length - 1]!.accuracy });
  }
  const final = r.shared ?? r.pruned;
  if (argv.out !== undefined) saveCheckpoint(argv.out, { ...final, meta: { ...(final.meta ?? {}), compressed: { prune: argv.prune, clusters: argv.clusters, huffman: argv.huffman, bits: stages[stages.length - 1]!.bits } } }, { force: argv.force });
  const result = { checkpoint: argv.checkpoint, out: argv.out ?? null, stages, layers: r.layers, otherBits: r.otherBits };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const lines = [`checkpoint ${argv.checkpoint}: ${r.layers.length} weight tensors, ${r.otherBits} bits of other float32 parameters`];
  lines.push('stage                 stored bits      bytes   ratio   accuracy');
  for (const s of stages) {
    lines.push(`${s.stage.padEnd(20)} ${String(s.bits).padStart(12)} ${String(Math.ceil(s.bits / 8)).padStart(10)} ${s.ratio.toFixed(2).padStart(6)}x   ${s.accuracy === null ? 'n/a' : `${(100 * s.accuracy).toFixed(2)} %`}`);
  }
  for (const l of r.layers) {
    lines.push(`  layer ${l.index} ${l.kind}: ${l.weights} weights, ${l.nonzero} nonzero, ${l.entries} stored entries${l.idxBits ? ` (${l.idxBits}-bit gaps)` : ''}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
