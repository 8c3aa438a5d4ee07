import type { ArgumentsCamelCase } from 'yargs';
import type { RunArgs } from '../args/run.js';
import { join } from 'node:path';
import { npyDataset } from '../../data/arrays.js';
import { defaultBatch, runModel, type RunReport } from '../../flows/run.js';
import { compileModel } from '../../hw/accel_compile.js';
import { writeImages } from '../../hw/accel_images.js';
import { loadModel } from '../../model/locate.js';
import { modelShapes } from '../../model/shapes.js';
import { accelParameters } from '../../rtl/accel_top.js';
import { writeFileSync } from 'node:fs';
import { writeDirAtomic } from '../../util/fsafe.js';
import { checkOutDir, given, notApplicable } from '../options.js';
import { CheckFailedError, InputError, ToolError, checkInt } from '../../util/errors.js';
import { designFromArgv } from './simulate.js';
import { runWeightOnly } from './weight_only_run.js';
import { groupedOnReference, runGrouped } from './grouped_run.js';
import { groupedLayer } from '../../model/group.js';
import { weightOnlyPath } from '../../model/locate.js';

/**
 * `lowbit run --model models/NAME --design <preset|file> [--images N] [--rtl [--rtl-images K]] [--out DIR] [--json]`:
 * MNIST test images through the integer reference and the TS accelerator model (and K of them through the
 * RTL); exit 1 on any disagreement, with the first differing image, layer and element. A weight-only model
 * (float activations) runs on its reference only (weight_only_run.ts; --design and the accelerator options refused);
 * a model with per-group weight scales runs on its reference without --design (grouped_run.ts), and on the
 * accelerator with a --design that has group multipliers (accumulator.group).
 */
/** `run --out`: the accelerator's memory images and params.json (safe outputs, src/util/fsafe.ts). */
const ACCEL_IMAGES_OUTPUT = { kind: 'accelerator-images' } as const;

/** Runs `lowbit run` (its options: cli/args/run.ts). */
export async function runHandler(argv: ArgumentsCamelCase<RunArgs>): Promise<void> {
  const wo = weightOnlyPath(argv.model);
  if (wo !== null) return runWeightOnly(argv, wo);
  checkInt('--images', argv.images, 1, 10000);
  checkInt('--rtl-images', argv['rtl-images'], 1, 10000);
  for (const o of ['rtl-images', 'rtl-seconds', 'jobs']) notApplicable(`--${o}`, given(o) && !argv.rtl, 'it applies to the images run through the RTL', 'add --rtl or remove it');
  if (argv.jobs !== undefined) checkInt('--jobs', argv.jobs, 1, 256);
  if (argv['rtl-seconds'] !== undefined) checkInt('--rtl-seconds', argv['rtl-seconds'], 1, 86400);
  checkOutDir(argv.out, { ...ACCEL_IMAGES_OUTPUT, force: argv.force }, { '--model': argv.model, '--input': argv.input, '--labels': argv.labels, '--data': argv.data });
  const model = loadModel(argv.model);
  if (groupedLayer(model.layers) !== undefined && groupedOnReference()) return runGrouped(argv, model);
  const design = designFromArgv(argv);
  const batch = argv.batch !== undefined ? checkInt('--batch', argv.batch, 1, design.array.rows) : defaultBatch(model, design, argv.rtl);
  if ((argv.input === undefined) !== (argv.labels === undefined)) throw new InputError('run: --input and --labels go together (a .npy data set and its labels)');
  if (argv.input !== undefined && argv.data !== undefined) throw new InputError('run: give --data (IDX folder) or --input/--labels (.npy), not both');
  const data = argv.input !== undefined ? npyDataset(argv.input, argv.labels!, modelShapes(model).at(-1)!.reduce((a, b) => a * b, 1)) : undefined;
  if (argv.out !== undefined) {
    const p = compileModel(model, design, { batch });
    const params = JSON.stringify({ top: 'accel_top', parameters: { ...accelParameters(p), MemDir: argv.out } }, null, 1) + '\n';
    writeDirAtomic(argv.out, (tmp) => {
      writeImages(p, tmp);
      writeFileSync(join(tmp, 'params.json'), params);
    }, { ...ACCEL_IMAGES_OUTPUT, force: argv.force });
    process.stderr.write(`run: wrote the accelerator's memory images and parameters to ${argv.out}\n`);
  }
  const r = await runModel(model, design, { images: argv.images, rtl: argv.rtl, rtlImages: argv['rtl-images'], batch,
    ...(argv.jobs !== undefined ? { jobs: argv.jobs } : {}), ...(argv['rtl-seconds'] !== undefined ? { rtlSeconds: argv['rtl-seconds'] } : {}),
    ...(argv.data ? { dataDir: argv.data } : {}), ...(data ? { data } : {}) });
  process.stdout.write(argv.json ? JSON.stringify(r, null, 1) + '\n' : formatRun(r, argv.input !== undefined ? `images of ${argv.input}` : argv.data !== undefined ? `test images of ${argv.data}` : 'MNIST test images'));
  if (r.rtl?.stopped !== undefined && !r.disagreement) {
    throw new ToolError(`run: the RTL run stopped at ${r.rtl.stopped} after ${r.rtl.images} of ${r.rtl.requested} images (${r.rtl.agree} checked, all agree); raise --rtl-seconds or lower --rtl-images`);
  }
  if (r.disagreement) {
    const d = r.disagreement;
    throw new CheckFailedError(`${d.between} disagree: image ${d.image}, layer ${d.layer}, element ${d.element}: expected ${d.expected}, got ${d.actual}${d.cycle !== undefined ? ` (cycle ${d.cycle}, ${d.signal})` : ''}${d.vcd ? `; waveform: ${d.vcd}` : ''}; reproduce: lowbit run --model ${argv.model} --design ${argv.design} --images ${d.image + 1}${argv.rtl ? ' --rtl' : ''}`);
  }
}

/** The text report; `images` names the data set (the shipped MNIST test set, an IDX folder or a .npy file). */
export function formatRun(r: RunReport, images = 'MNIST test images'): string {
  const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
  const lines = [
    `model ${r.model} on design ${r.design}: ${r.images} ${images}`,
    `  accuracy        reference ${pct(r.accuracy.reference)}, TS accelerator ${pct(r.accuracy.accelerator)}${r.accuracy.rtl !== undefined ? `, RTL ${pct(r.accuracy.rtl)} (${r.rtl?.images} images)` : ''}`,
    `  agreement       reference == TS accelerator: ${r.agreement.referenceVsAccelerator === 1 ? 'all logits bit-exact' : 'NO'}${r.agreement.acceleratorVsRtl !== undefined ? `; TS accelerator == RTL: ${r.rtl && r.rtl.agree === r.rtl.images ? `all ${r.rtl.images} images: outputs, cycle counts, every port every cycle (hashed)` : `NO (${r.rtl?.agree} of ${r.rtl?.images} images agree)`}` : ''}`,
    `  cycles          ${+r.cyclesPerInference.toFixed(2)} per inference at batch ${r.batch}${r.rtlCycles !== undefined ? ` (RTL: ${+r.rtlCycles.toFixed(2)}; ${r.rtl?.cyclesPerRun} per run of ${r.rtl?.imagesPerRun} image${r.rtl?.imagesPerRun === 1 ? '' : 's'})` : ''}`,
    `  throughput      ${r.inferencesPerSecond.toFixed(0)} inferences/s, latency ${r.latencyUs.toFixed(2)} us at ${r.clockMHz} MHz`,
    `  weight memory   ${(r.memory.parameterBits / 8 / 1024).toFixed(1)} KiB of parameters (${(r.memory.weightMemoryBits / 8 / 1024).toFixed(1)} KiB weight memory used) vs ${(r.memory.fp32Bits / 8 / 1024).toFixed(1)} KiB FP32: ${r.memory.savingVsFp32.toFixed(1)}x smaller`,
    `  layers          ${r.layers.map((l) => `${l.name} ${l.engine} ${l.M > 1 ? `${l.M}px ` : ''}${l.K}x${l.N} ${l.cycles} cyc ${(100 * l.utilization).toFixed(1)}%`).join('; ')}`,
    `  time            reference ${r.seconds.reference.toFixed(2)} s, TS accelerator ${r.seconds.accelerator.toFixed(2)} s${r.seconds.rtl !== undefined ? `, RTL ${r.seconds.rtl.toFixed(1)} s (build ${r.rtl?.buildCached ? 'cached' : `${r.rtl?.buildSeconds.toFixed(0)} s`}; ${r.rtl?.jobs} x ${r.rtl?.mode}, ${((r.rtl?.simCycles ?? 0) / Math.max(1e-9, r.rtl?.simSeconds ?? 1) / 1e3).toFixed(0)} k cycles/s)` : ''}`,
  ];
  return lines.join('\n') + '\n';
}
