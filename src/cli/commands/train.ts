import type { ArgumentsCamelCase } from 'yargs';
import type { TrainArgs } from '../args/train.js';
import { runTraining, type RunOptions } from '../../train/run.js';
import { MIXED_ROUNDING_WORDS } from '../../train/mixed.js';
import { checkAlloc } from '../../util/budget.js';
import { CHECKPOINT_OUTPUT } from '../../model/checkpoint.js';
import { MODEL_OUTPUT } from '../../model/format.js';
import { checkOutDir, given, givenOn, notApplicable, optInt, optIntList, optNum } from '../options.js';
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../../util/errors.js';
import { badValue, didYouMean } from '../../util/errors.js';
import { parseWeightOnlyScheme } from './weight_only.js';
import { quantizeWeightOnly } from '../../quant/weight_only.js';
import type { FloatAct } from '../../model/weight_only.js';

/**
 * `lowbit train`: trains an MLP (tfc/sfc/lfc) or the small CNN on MNIST (or a same-shaped IDX dataset in
 * --data), FP32 (--wbits 32 --abits 32) or quantization-aware, and writes to --out either the exported
 * QuantizedModel (QAT; its MNIST test accuracy measured with integerInference) or the FP32 checkpoint,
 * with train-log.json. `--scheme w4afp16` (quantize's spelling; also w4abf16, w4afp32 = --wbits 4 --abits 32)
 * is weight-only QAT: int weights, float activations, exported as a weight-only model. --state DIR keeps the full training state after every epoch, so an interrupted run
 * continues with the same command. Progress on stderr; the summary on stdout (--json for machines).
 */

/** Runs `lowbit train` (its options: cli/args/train.ts). */
export function trainHandler(argv: ArgumentsCamelCase<TrainArgs>): void {
  const hidden = argv.hidden !== undefined ? optIntList('--hidden', argv.hidden, 1, 1 << 20) : undefined;
  const floatAct = applyScheme(argv);
  checkTrainOptions(argv, hidden, floatAct);
  const dataFile = checkDataFiles(argv);
  const o: RunOptions = {
    arch: argv.arch, wbits: argv.wbits, abits: argv.abits, epochs: argv.epochs, seed: argv.seed, batchSize: argv['batch-size'],
    optimizer: argv.optimizer, valCount: argv['val-images'], xnorScale: argv['xnor-scale'],
    ...(argv.group !== undefined ? { group: argv.group } : {}),
    ...(argv.method ? { method: argv.method } : {}),
    ...(floatAct ? { floatAct } : {}),
    ...(argv.lr !== undefined ? { lr: argv.lr } : {}),
    ...(hidden ? { hidden } : {}),
    ...(argv['first-bits'] ? { firstBits: argv['first-bits'] } : {}),
    ...(argv['last-bits'] ? { lastBits: argv['last-bits'] } : {}),
    ...(argv.dropout !== undefined ? { dropout: argv.dropout } : {}),
    ...(argv['input-dropout'] !== undefined ? { inputDropout: argv['input-dropout'] } : {}),
    ...(argv['grad-bits'] !== undefined ? { gradBits: argv['grad-bits'] } : {}),
    ...(argv.shift !== undefined ? { shift: argv.shift } : {}),
    ...(argv['train-images'] ? { maxTrain: argv['train-images'] } : {}),
    ...(argv.data && !dataFile ? { dataDir: argv.data } : {}),
    ...(dataFile ? { dataFiles: { train: [argv.data!, argv.labels!], test: [argv['test-data']!, argv['test-labels']!] } } : {}),
    ...(argv['stop-after'] !== undefined ? { stopAfter: argv['stop-after'] } : {}),
    ...(argv.precision !== 'fp32' ? { mixed: { format: argv.precision, rounding: MIXED_ROUNDING_WORDS[argv.rounding] } } : {}),
    ...definedOnly({
      ttq: argv.ttq, ttqScaleBits: argv['ttq-scale-bits'], ttqShift: argv['ttq-shift'] || undefined, quantNoise: argv['quant-noise'], qnBlock: argv['qn-block'], teacher: argv.teacher, temperature: argv.temperature,
      distillWeight: argv['distill-weight'], inq: argv.inq !== undefined ? fractions('--inq', argv.inq) : undefined, inqBits: argv['inq-bits'],
      pruneChannels: argv['prune-channels'], pruneWeights: argv['prune-weights'], shareWeights: argv['share-weights'], stageEpochs: argv['stage-epochs'],
    }),
  };
  const s = runTraining(o, argv.out ?? null, argv.state, { force: argv.force, weightOnly: quantizeWeightOnly });
  if (argv.json) {
    process.stdout.write(JSON.stringify(s, null, 1) + '\n');
    return;
  }
  const last = s.log[s.log.length - 1];
  process.stdout.write(
    `${s.name}: ${s.arch} W${s.wbits}A${s.abits} (${s.method}), ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}, seed ${s.seed}\n` +
      `  ${argv.data && dataFile ? `test accuracy (${argv['test-data']})` : 'MNIST test accuracy'} ${(s.testAccuracy * 100).toFixed(2)}%${s.method === 'fp32' ? ' (FP32)' : floatAct ? ` (exported weight-only model, ${floatAct} activations, weightOnlyInference)` : ' (exported integer model, integerInference)'}\n` +
      `  final train loss ${last ? last.loss.toFixed(4) : '-'}, ${s.trainSeconds.toFixed(1)} s, ${s.samplesPerSec.toFixed(0)} samples/s\n` +
      (s.out ? `  written to ${s.out}\n` : ''),
  );
}

/**
 * `--scheme` in quantize's vocabulary: a weight-only scheme (wXafp16, wXabf16, wXafp32 = wXa32) sets
 * --wbits X and returns its float activation format; wXaY sets --wbits X --abits Y. With --wbits W
 * --abits 32 (W < 32) the run is weight-only with FP32 activations. Returns the float format or null.
 */
function applyScheme(argv: TrainArgs): FloatAct | null {
  if (argv.scheme === undefined) return argv.abits === 32 && argv.wbits !== 32 ? 'fp32' : null;
  for (const o of ['wbits', 'abits']) notApplicable(`--${o}`, given(o), `--scheme ${argv.scheme} sets the weight and activation bits`);
  const wo = parseWeightOnlyScheme(argv.scheme);
  if (wo) {
    argv.wbits = wo.bits;
    argv.abits = 32;
    return wo.activation;
  }
  const m = /^w(\d+)a(\d+)$/.exec(argv.scheme);
  if (!m) throw badValue('--scheme', argv.scheme, `wXafp16 | wXabf16 | wXafp32 (weight-only, X 2..8) or wXaY (X, Y 1..16)${didYouMean(argv.scheme, ['w4afp16', 'w4abf16', 'w4afp32', 'w8afp16', 'w2afp16', 'w4a4', 'w8a8', 'w2a2', 'w1a1'])}`);
  argv.wbits = Number(m[1]);
  argv.abits = Number(m[2]);
  return null;
}

/**
 * --data is a folder of IDX files (MNIST file names) or an images file; a file needs --labels and the test
 * set (--test-data, --test-labels). Returns whether --data is a file. Missing files are named by the readers.
 */
function checkDataFiles(argv: TrainArgs): boolean {
  const file = argv.data !== undefined && existsSync(argv.data) && !statSync(argv.data).isDirectory();
  const files = ['labels', 'test-data', 'test-labels'] as const;
  if (argv.data !== undefined && !existsSync(argv.data)) throw new InputError(`--data ${argv.data}: no such file or folder`);
  for (const f of files) notApplicable(`--${f}`, !file && argv[f] !== undefined, 'it goes with an images file in --data (.npy or IDX); --data is a folder of IDX files or absent');
  if (file) {
    const missing = files.filter((f) => argv[f] === undefined);
    if (missing.length > 0) throw new InputError(`--data ${argv.data} is an images file: give ${missing.map((f) => `--${f}`).join(', ')} (the labels, and the images and labels the test accuracy is measured on)`);
  }
  return file;
}

/** The entries of `o` whose value is not undefined (options the user gave). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A comma-separated list of numbers in (0, 1], e.g. `--inq 0.5,0.75,0.875,1` (methods.ts checks the order). */
function fractions(name: string, text: string): number[] {
  const v = text.split(',').map((p) => Number(p.trim()));
  if (v.some((x) => !(x > 0 && x <= 1))) throw badValue(name, text, 'comma-separated fractions in (0, 1], e.g. 0.5,0.75,0.875,1');
  return v;
}

/** Every option checked (integers, ranges, finite numbers), options that do not apply refused, and the
 * network's size checked against the memory budget before anything is allocated. */
function checkTrainOptions(argv: TrainArgs, hidden: number[] | undefined, floatAct: FloatAct | null): void {
  const fp = argv.wbits === 32 && argv.abits === 32;
  optInt('--wbits', argv.wbits, 1, 32);
  optInt('--abits', argv.abits, 1, 32);
  if (floatAct) {
    optInt('--wbits', argv.wbits, 2, 8);
    const why = `weight-only QAT (${argv.scheme ?? `--wbits ${argv.wbits} --abits 32`}) trains one int${argv.wbits} weight quantizer (per output channel, or per group with --group) with float activations`;
    for (const o of ['method', 'first-bits', 'last-bits', 'xnor-scale', 'grad-bits'] as const) notApplicable(`--${o}`, givenOn(o, argv[o]), why);
  }
  optInt('--group', argv.group, 1, 2 ** 31 - 1);
  notApplicable('--group', fp && given('group'), 'FP32 training has no weight quantizer', 'give --wbits/--abits below 32 or remove it');
  optInt('--epochs', argv.epochs, 1, 100000);
  optInt('--seed', argv.seed, 0, 2 ** 32 - 1);
  optInt('--batch-size', argv['batch-size'], 1, 60000);
  optNum('--lr', argv.lr, 0, 10, { lo: true });
  optInt('--first-bits', argv['first-bits'], 1, 16);
  optInt('--last-bits', argv['last-bits'], 1, 16);
  optNum('--dropout', argv.dropout, 0, 1, { hi: true });
  optNum('--input-dropout', argv['input-dropout'], 0, 1, { hi: true });
  optInt('--grad-bits', argv['grad-bits'], 1, 16);
  optInt('--shift', argv.shift, 0, 8);
  optInt('--train-images', argv['train-images'], 1, 1e9);
  optInt('--val-images', argv['val-images'], 0, 59999);
  optInt('--stop-after', argv['stop-after'], 1, argv.epochs);
  notApplicable('--method', fp && argv.method !== undefined, 'FP32 training (--wbits 32 --abits 32) has no quantizer', 'give --wbits/--abits below 32 or remove it');
  notApplicable('--first-bits', fp && argv['first-bits'] !== undefined, 'it sets quantized weight bits; FP32 training has none');
  notApplicable('--last-bits', fp && argv['last-bits'] !== undefined, 'it sets quantized weight bits; FP32 training has none');
  notApplicable('--xnor-scale', argv['xnor-scale'] && argv.wbits !== 1, 'XNOR-Net scaling is for binary weights (--wbits 1)');
  notApplicable('--rounding', given('rounding') && argv.precision === 'fp32', 'it is the minifloat rounding of --precision fp16/bf16/fp8*');
  optNum('--ttq', argv.ttq, 0, 1, { lo: true, hi: true });
  optNum('--quant-noise', argv['quant-noise'], 0, 1, { lo: true });
  optInt('--qn-block', argv['qn-block'], 1, 1 << 20);
  optNum('--temperature', argv.temperature, 0, 1000, { lo: true });
  optNum('--distill-weight', argv['distill-weight'], 0, 1);
  optInt('--inq-bits', argv['inq-bits'], 2, 8);
  optInt('--ttq-scale-bits', argv['ttq-scale-bits'], 2, 8);
  optNum('--prune-channels', argv['prune-channels'], 0, 1, { lo: true, hi: true });
  optNum('--prune-weights', argv['prune-weights'], 0, 1, { lo: true, hi: true });
  optInt('--share-weights', argv['share-weights'], 2, 65536);
  optInt('--stage-epochs', argv['stage-epochs'], 1, 100000);
  notApplicable('--stop-after', argv['stop-after'] !== undefined && argv.state === undefined, 'a stopped run continues only from its --state folder', 'give --state DIR or remove it');
  // parameters of the widest plausible network: 784 inputs, the hidden widths, 10 outputs. Measured peak
  // RSS above the MNIST baseline: 38-40 bytes a parameter (weights, gradients, two Adam moments, the
  // quantized/exported copies and the heap's slack; docs/reliability.md), so 40 bytes a parameter and
  // 16 bytes an activation of the batch
  const widths = [784, ...(hidden ?? [1024, 1024, 1024]), 10];
  let params = 0;
  for (let i = 1; i < widths.length; i++) params += widths[i - 1]! * widths[i]!;
  const acts = argv['batch-size'] * widths.reduce((a, b) => a + b, 0);
  checkAlloc(`training a network of ${params} parameters (--hidden ${hidden?.join(',') ?? 'default'}, --batch-size ${argv['batch-size']})`, 40 * params + 16 * acts);
  const inputs = { '--data': argv.data, '--labels': argv.labels, '--test-data': argv['test-data'], '--test-labels': argv['test-labels'] };
  if (argv.out !== undefined) checkOutDir(argv.out, { ...(fp ? CHECKPOINT_OUTPUT : MODEL_OUTPUT), force: argv.force }, inputs);
}
