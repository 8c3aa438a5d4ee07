/**
 * Weight-only quantization of an FP32 checkpoint at 4, 3 and 2 bits, per-channel against per-group
 * scales, with FP32 / FP16 / BF16 activations: MNIST test accuracy of each through the weight-only
 * reference (`weightOnlyInference`), beside the FP32 checkpoint's own. Writes a Markdown table to stdout;
 * progress on stderr.
 *
 *   npx tsx scripts/weight-only-sweep.ts CHECKPOINT_DIR [--images N] [--groups 16,64] [--acts fp32,fp16,bf16]
 */
import { loadMnist } from '../src/data/mnist.js';
import { loadCheckpoint } from '../src/model/checkpoint.js';
import { fp32Inference } from '../src/model/fp32_infer.js';
import { weightOnlyInference, type FloatAct } from '../src/model/weight_only.js';
import { quantizeWeightOnly } from '../src/quant/weight_only.js';

const args = process.argv.slice(2);
const dir = args[0];
if (!dir) {
  process.stderr.write('usage: npx tsx scripts/weight-only-sweep.ts CHECKPOINT_DIR [--images N] [--groups 16,64] [--acts fp32,fp16,bf16]\n');
  process.exit(2);
}
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const images = Number(opt('--images', '10000'));
const groups = opt('--groups', '16,64').split(',').map(Number);
const acts = opt('--acts', 'fp32,fp16,bf16').split(',') as FloatAct[];
const ckpt = loadCheckpoint(dir);
const test = loadMnist('test');
const x = Float32Array.from(test.images.subarray(0, images * 784), (p) => p / 255);

function accuracy(logits: Float32Array): number {
  let ok = 0;
  for (let i = 0; i < images; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
    if (best === test.labels[i]) ok++;
  }
  return ok / images;
}

const pct = (a: number): string => `${(100 * a).toFixed(2)} %`;
const fp32 = accuracy(fp32Inference(ckpt, x, images));
const rows: string[] = [];
for (const bits of [4, 3, 2]) {
  for (const act of acts) {
    const cells: string[] = [];
    for (const group of [0, ...groups]) {
      const m = quantizeWeightOnly(ckpt, { bits, group, activation: act, name: 'sweep', source: dir });
      const t0 = Date.now();
      cells.push(pct(accuracy(weightOnlyInference(m, x, images))));
      process.stderr.write(`int${bits} ${act} ${group === 0 ? 'per-channel' : `group ${group}`}: ${cells[cells.length - 1]} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
    rows.push(`| int${bits} | ${act} | ${cells.join(' | ')} |`);
  }
}
process.stdout.write([
  `Weight-only quantization of \`${dir}\` (${ckpt.arch}; FP32 checkpoint ${pct(fp32)}), ${images} MNIST test images:`,
  '',
  `| weights | activations | per-channel | ${groups.map((g) => `group ${g}`).join(' | ')} |`,
  `|---|---|---|${groups.map(() => '---|').join('')}`,
  ...rows,
  '',
].join('\n'));
