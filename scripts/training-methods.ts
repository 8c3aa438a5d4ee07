/**
 * The training methods' MNIST figures (docs/train.md, "Training methods"): runs the experiments named on the
 * command line (all when none) with `runTraining`, each published to .train-state/methods/NAME, records
 * their summaries in reports/training/methods.json and writes reports/training/methods.md from every run
 * recorded there (so experiments can be run one by one). Each run is the `lowbit train` command in its row.
 *   nice -n 10 node --import tsx scripts/training-methods.ts [tfc-fp32 tfc-ttq ...]    (--render: the .md only)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/util/fs.js';
import { runTraining, type RunOptions, type RunSummary } from '../src/train/run.js';

const OUT = '.train-state/methods';
const JSON_FILE = 'reports/training/methods.json';
const E = 3; // epochs of every main run (tfc: about a minute an epoch on a loaded 2-core machine)
const tfc: RunOptions = { arch: 'tfc', wbits: 32, abits: 32, epochs: E, seed: 1, valCount: 0 };
const w2a2: RunOptions = { ...tfc, wbits: 2, abits: 2, method: 'pact' };

interface Experiment {
  method: string;
  options: RunOptions;
  /** what the run is compared with: another experiment, or its own first stage (the main run) */
  baseline: string;
  published: string;
}

const EXPERIMENTS: Record<string, Experiment> = {
  'tfc-fp32': { method: 'FP32 baseline (and the teacher)', options: tfc, baseline: '-', published: '-' },
  'tfc-ttq': {
    method: 'TTQ, t = 0.05', options: { ...tfc, ttq: 0.05 }, baseline: 'tfc-fp32',
    published: 'no MNIST figure (the paper: CIFAR-10 ResNets, ImageNet AlexNet/ResNet-18)',
  },
  'tfc-inq5': {
    method: 'INQ 5 bits, 50/75/87.5/100%', options: { ...tfc, inq: [0.5, 0.75, 0.875, 1], inqBits: 5, stageEpochs: 1 }, baseline: 'main run',
    published: 'no MNIST figure (the paper: ImageNet, 5-bit models at or above their FP32 baselines)',
  },
  'tfc-inq5-a4': {
    method: 'INQ 5 bits, 50/75/87.5/100%, with 4-bit PACT activations: exported as a QuantizedModel, weights the INQ codes 0 / +-2^j (one scale 2^n2 per layer)',
    options: { ...tfc, abits: 4, inq: [0.5, 0.75, 0.875, 1], inqBits: 5, stageEpochs: 1 }, baseline: 'main run',
    published: 'as above',
  },
  'tfc-ttq-a4': {
    method: 'TTQ, t = 0.05, scales on a 3-bit power-of-two grid, with 4-bit PACT activations: exported as a QuantizedModel, weights {-c_n, 0, c_p} (4-bit codes, one scale per layer)',
    options: { ...tfc, abits: 4, ttq: 0.05, ttqScaleBits: 3 }, baseline: 'tfc-ttq',
    published: 'no MNIST figure (the paper: CIFAR-10 ResNets, ImageNet AlexNet/ResNet-18)',
  },
  'tfc-ttq-shift-a4': {
    method: 'TTQ, t = 0.05, scales rounded to powers of two on a 3-bit grid (--ttq-shift), with 4-bit PACT activations: weights {-c_n, 0, c_p}, c in {1, 2, 4}: shift-PE codes (docs/train.md)',
    options: { ...tfc, abits: 4, ttq: 0.05, ttqScaleBits: 3, ttqShift: true }, baseline: 'tfc-ttq-a4',
    published: 'no MNIST figure (the paper: CIFAR-10 ResNets, ImageNet AlexNet/ResNet-18)',
  },
  'tfc-share16': {
    method: 'k-means sharing, 16 centroids (4 bits) + centroid fine-tuning', options: { ...tfc, shareWeights: 16, stageEpochs: 1 }, baseline: 'main run',
    published: 'Deep Compression, LeNet-300-100 (pruning + sharing + Huffman): 1.64% -> 1.58% error (Han et al. 2016, Table 1)',
  },
  'tfc-share4': {
    method: 'k-means sharing, 4 centroids (2 bits) + centroid fine-tuning', options: { ...tfc, shareWeights: 4, stageEpochs: 1 }, baseline: 'main run',
    published: 'as above',
  },
  'tfc-prune90-share16': {
    method: 'Deep Compression: 90% of weights pruned by magnitude + retrain 2 epochs, then 16 shared centroids + fine-tuning 2 epochs',
    options: { ...tfc, pruneWeights: 0.9, shareWeights: 16, stageEpochs: 2 }, baseline: 'main run', published: 'as above',
  },
  'tfc-prune70-share16': {
    method: 'Deep Compression: 70% pruned + retrain 2 epochs, then 16 shared centroids + fine-tuning 2 epochs',
    options: { ...tfc, pruneWeights: 0.7, shareWeights: 16, stageEpochs: 2 }, baseline: 'main run', published: 'as above',
  },
  'tfc-w2a2': { method: 'W2A2 PACT QAT baseline', options: w2a2, baseline: '-', published: '-' },
  'tfc-w2a2-distill': {
    method: 'W2A2 PACT + distillation from tfc-fp32, T = 4, alpha = 0.9', options: { ...w2a2, teacher: join(OUT, 'tfc-fp32'), temperature: 4, distillWeight: 0.9 },
    baseline: 'tfc-w2a2', published: 'Hinton et al. 2015, MNIST: 800-800 net 146 test errors alone, 74 distilled at T = 20 (teacher 1200-1200: 67)',
  },
  'sfc-fp32': { method: 'FP32 3x256 (the larger teacher)', options: { ...tfc, arch: 'sfc' }, baseline: '-', published: '-' },
  'tfc-w2a2-distill-sfc': {
    method: 'W2A2 PACT + distillation from sfc-fp32, T = 4, alpha = 0.7', options: { ...w2a2, teacher: join(OUT, 'sfc-fp32'), temperature: 4, distillWeight: 0.7 },
    baseline: 'tfc-w2a2', published: 'as above',
  },
  'tfc-w2a2-qn': {
    method: 'W2A2 PACT + Quant-Noise, p = 0.5, blocks of 4; batch-norm re-estimated', options: { ...w2a2, quantNoise: 0.5, qnBlock: 4 }, baseline: 'tfc-w2a2',
    published: 'no MNIST figure (the paper: language models, RoBERTa, EfficientNet)',
  },
  'tfc-w2a2-qn90': {
    method: 'W2A2 PACT + Quant-Noise, p = 0.9, blocks of 4; batch-norm re-estimated', options: { ...w2a2, quantNoise: 0.9, qnBlock: 4 }, baseline: 'tfc-w2a2',
    published: 'as above',
  },
  'tfc-w2a2-prune50': {
    method: 'W2A2 PACT, 50% of channels pruned by L1 norm, retrained 1 epoch', options: { ...w2a2, pruneChannels: 0.5, stageEpochs: 1 }, baseline: 'main run',
    published: 'no MNIST figure (the paper: VGG-16/ResNet on CIFAR-10, ResNet-34 on ImageNet)',
  },
};

type Rec = Omit<RunSummary, 'log'> & { log: { epoch: number; loss: number; stage?: string }[] };
// read again before each write: two chains of experiments may run at once
const load = (): Record<string, Rec> => (existsSync(JSON_FILE) ? JSON.parse(readFileSync(JSON_FILE, 'utf8')) : {});
// `--render` only rewrites methods.md from methods.json
const render = process.argv[2] === '--render';
const names = render ? [] : process.argv.slice(2);
for (const n of names) if (!EXPERIMENTS[n]) throw new Error(`unknown experiment ${n}; known: ${Object.keys(EXPERIMENTS).join(' ')}`);
for (const name of render ? [] : names.length ? names : Object.keys(EXPERIMENTS)) {
  const s = runTraining({ ...EXPERIMENTS[name]!.options, label: name }, join(OUT, name), undefined, { force: true });
  const all = load();
  all[name] = { ...s, log: s.log.map((e) => ({ epoch: e.epoch, loss: e.loss, ...(e.stage ? { stage: e.stage } : {}) })) };
  writeFileAtomic(JSON_FILE, JSON.stringify(all, null, 1) + '\n');
  process.stderr.write(`${name}: ${(s.testAccuracy * 100).toFixed(2)}%\n`);
}

const recs = load();
const pct = (a: number): string => `${(a * 100).toFixed(2)}`;
const rows = Object.entries(EXPERIMENTS).filter(([n]) => recs[n]).map(([n, e]) => {
  const r = recs[n]!;
  const base = e.baseline === 'main run' ? r.stages?.[0]?.testAccuracy : e.baseline !== '-' ? recs[e.baseline]?.testAccuracy : undefined;
  const delta = base !== undefined ? `${base <= r.testAccuracy ? '+' : ''}${((r.testAccuracy - base) * 100).toFixed(2)} vs ${e.baseline === 'main run' ? 'its main run' : e.baseline} (${pct(base)})` : '-';
  return `| ${n} | ${e.method} | **${pct(r.testAccuracy)}** | ${delta} | ${(r.trainSeconds / 60).toFixed(1)} | ${e.published} |`;
});
const stages = Object.keys(EXPERIMENTS).filter((n) => recs[n]?.stages).map((n) => `- ${n}: ${recs[n]!.stages!.map((s) => `${s.stage} ${pct(s.testAccuracy)}%`).join('; ')}`);
const md = `# Training methods on MNIST

Written by \`scripts/training-methods.ts\` from \`methods.json\` (the runs' summaries). Every figure is the
accuracy on the 10,000 MNIST test images, seed 1, no validation split, Adam with cosine decay, batch 100,
${E} epochs of main run on the 3x64 \`tfc\` MLP (sfc: 3x256), each retraining stage 1 epoch (2 where the row
says so) at a tenth of the learning rate; QAT figures are those of the exported QuantizedModel run by \`integerInference\`, FP32-activation
methods (TTQ, INQ, shared weights) those of the published FP32 checkpoint's network, whose weights take only
the method's values; with quantized activations (the -a4 rows) TTQ and INQ are exported QuantizedModels too,
whose integer weights are the method's levels (\`integerInference\` accuracy = the network's exact-mode accuracy,
tested in test/unit/method_codes.test.ts). Runs niced (\`nice -n 10\`) on the shared 2-core machine. The published figures are for
other networks and data sets unless stated: they are context, not a like-for-like comparison.

| run | method | test % | against | train min | published |
|---|---|---|---|---|---|
${rows.join('\n')}

Stages (test accuracy after each):
${stages.join('\n')}

Commands (the \`lowbit train\` line that reproduces each run):
${Object.keys(EXPERIMENTS).filter((n) => recs[n]).map((n) => `- ${n}: \`${recs[n]!.command}\``).join('\n')}
`;
writeFileAtomic('reports/training/methods.md', md);
