import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileModel } from '../hw/accel_compile.js';
import { loadDesign } from '../hw/design.js';
import { loadQuantizedModel } from '../model/format.js';
import { writeReport, type Section } from '../report/index.js';
import type { AccelCapacity } from '../rtl/accel_top.js';
import { InputError } from '../util/errors.js';
import { runModel, type RunReport } from './run.js';

/**
 * The main job (`npm start` = `lowbit demo`): every shipped model on its default Design — the whole MNIST
 * test set through the integer reference and the TS accelerator model, a sample through the RTL — and a
 * report under `reports/main/` (accuracy, bit-exact agreement, cycles, throughput, memory against FP32,
 * plots). Models that share a Design share one Verilator build (memory capacity = the largest of them).
 */
export const SHIPPED: { model: string; design: string; pixelsOnRows?: boolean }[] = [
  { model: 'sfc-w1a1', design: 'binary-mnist' },
  { model: 'lfc-w1a1', design: 'binary-mnist' },
  { model: 'sfc-w4a4', design: 'int8-mnist' },
  // CNNs run with one output pixel of each conv layer per array row (batch = the array's rows)
  { model: 'cnn-w4a4', design: 'int8-mnist', pixelsOnRows: true },
  { model: 'cnn-w2a2', design: 'int8-mnist', pixelsOnRows: true },
  { model: 'cnn-w1a1', design: 'binary-mnist', pixelsOnRows: true },
];

export interface DemoOptions {
  modelsDir: string;
  out: string;
  images: number;
  rtlImages: number;
}

export async function runDemo(opts: DemoOptions): Promise<RunReport[]> {
  const present = SHIPPED.filter((s) => existsSync(join(opts.modelsDir, s.model, 'model.json')));
  if (present.length === 0) {
    throw new InputError(`no shipped models under ${opts.modelsDir} (${SHIPPED.map((s) => s.model).join(', ')}); train them with scripts/train-models.sh`);
  }
  const jobs = present.map((s) => {
    const d = loadDesign(s.design);
    return { ...s, m: loadQuantizedModel(join(opts.modelsDir, s.model)), d, batch: s.pixelsOnRows ? d.array.rows : 1 };
  });
  const capacity = new Map<string, AccelCapacity>();
  for (const j of jobs) {
    const p = compileModel(j.m, j.d, { batch: j.batch });
    const c = capacity.get(j.design) ?? {};
    capacity.set(j.design, {
      wDepth: Math.max(c.wDepth ?? 1, p.wDepth), pDepth: Math.max(c.pDepth ?? 1, p.pDepth),
      actWords: Math.max(c.actWords ?? 1, Math.ceil(p.actBits / 32)), outDepth: Math.max(c.outDepth ?? 1, p.outDepth),
      layers: Math.max(c.layers ?? 1, p.layers.length),
    });
  }
  const reports: RunReport[] = [];
  for (const j of jobs) {
    process.stderr.write(`demo: ${j.model} on ${j.design}\n`);
    reports.push(await runModel(j.m, j.d, { images: opts.images, rtl: opts.rtlImages > 0, rtlImages: opts.rtlImages, batch: j.batch, capacity: capacity.get(j.design) ?? {} }));
  }
  await writeReport(opts.out, demoReport(reports));
  return reports;
}

/** "N images per model went through the RTL, all agree" (or which did not), from the runs' RTL sections. */
function rtlSentence(rs: RunReport[]): string[] {
  const withRtl = rs.filter((r) => r.rtl !== undefined);
  if (withRtl.length === 0) return [];
  const parts = withRtl.map((r) => `${r.model} ${r.rtl!.images} images (${r.rtl!.agree === r.rtl!.images ? 'all agree' : `${r.rtl!.agree} agree`}, ${r.seconds.rtl?.toFixed(0)} s, ${r.rtl!.jobs} x ${r.rtl!.mode})`);
  return [`Through the RTL: ${parts.join('; ')}.`];
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : (100 * x).toFixed(2));

export function demoReport(rs: RunReport[]): { title: string; generated: string; sections: Section[]; data: unknown } {
  const summary: Section = {
    heading: 'Summary',
    paragraphs: [
      'Each shipped model runs the MNIST test set on the TS model of the accelerator (`src/hw/accel_top.ts`) beside the integer reference inference (`integerInference`, the definition), and the first images on the RTL (`hdl/accel_top.sv`) in Verilator. "bit-exact" means every logit of every image is identical, and for the RTL every output port in every cycle (per image: outputs, cycle counts and a hash of every port in every cycle, src/rtl/accel_tx.ts).',
      ...rtlSentence(rs),
    ],
    table: {
      columns: ['model', 'design', 'images', 'acc. reference %', 'acc. TS model %', 'acc. RTL %', 'ref == TS', 'TS == RTL', 'cycles TS', 'cycles RTL', 'inferences/s', 'latency us', 'weights KiB', 'FP32 KiB', 'saving'],
      rows: rs.map((r) => [
        r.model, r.design, r.images, pct(r.accuracy.reference), pct(r.accuracy.accelerator),
        r.accuracy.rtl === undefined ? '-' : `${pct(r.accuracy.rtl)} (${r.rtl?.images})`,
        r.agreement.referenceVsAccelerator === 1 ? 'bit-exact' : 'DIFFERS',
        r.agreement.acceleratorVsRtl === undefined ? '-' : r.agreement.acceleratorVsRtl === 1 ? 'bit-exact' : 'DIFFERS',
        r.cyclesPerInference, r.rtlCycles ?? '-', Math.round(r.inferencesPerSecond), r.latencyUs.toFixed(1),
        (r.memory.parameterBits / 8192).toFixed(1), (r.memory.fp32Bits / 8192).toFixed(1), `${r.memory.savingVsFp32.toFixed(1)}x`,
      ]),
    },
    charts: [
      {
        id: 'memory', title: 'Parameter memory: model formats vs FP32 (KiB)', mark: 'bar',
        data: rs.flatMap((r) => [
          { model: r.model, format: 'quantized', KiB: r.memory.parameterBits / 8192 },
          { model: r.model, format: 'FP32', KiB: r.memory.fp32Bits / 8192 },
        ]),
        x: { field: 'model', type: 'nominal' }, y: { field: 'KiB' }, group: 'format',
      },
      {
        id: 'throughput', title: 'Accuracy vs throughput on the modelled accelerator', mark: 'point',
        data: rs.map((r) => ({ model: r.model, 'inferences/s': r.inferencesPerSecond, 'accuracy %': 100 * r.accuracy.accelerator })),
        x: { field: 'inferences/s', scale: 'log' }, y: { field: 'accuracy %' }, color: 'model', tooltip: ['model'],
      },
    ],
  };
  const layers: Section = {
    heading: 'Cycles, utilization and memory per layer',
    paragraphs: ['Engines: `mac` the systolic array (output stationary), `xnor` the XNOR-popcount unit, `serial` its bit-serial AND path for multi-bit inputs, `pool` the max-pooling unit. A conv layer is M output pixels (of which `rows` at a time on the array rows) of a K-element patch times N outputs; utilization = useful MACs (bit-ops on the XNOR unit, elements on the pooling unit) over the engine\'s capacity in the layer\'s cycles; weight bits are the layer\'s share of the weight memory, input bits its input map in the activation buffer. Formulas in the lowbit docs, accelerator.md.'],
    table: {
      columns: ['model', 'layer', 'engine', 'M pixels', 'rows', 'K x N', 'cycles', 'utilization %', 'weight bits', 'input bits'],
      rows: rs.flatMap((r) => r.layers.map((l) => [r.model, l.name, l.engine, l.M, l.rows, `${l.K} x ${l.N}`, l.cycles, (100 * l.utilization).toFixed(1), l.weightBits, l.activationBits])),
    },
    charts: [{
      id: 'layer-cycles', title: 'Cycles per layer', mark: 'bar',
      data: rs.flatMap((r) => r.layers.map((l) => ({ model: r.model, layer: `${l.name} (${l.engine})`, cycles: l.cycles }))),
      x: { field: 'layer', type: 'nominal' }, y: { field: 'cycles' }, group: 'model',
    }],
  };
  const timing: Section = {
    heading: 'Run time',
    table: {
      columns: ['model', 'reference s', 'TS model s', 'RTL s (images)', 'RTL build'],
      rows: rs.map((r) => [r.model, r.seconds.reference.toFixed(2), r.seconds.accelerator.toFixed(2), r.seconds.rtl === undefined ? '-' : `${r.seconds.rtl.toFixed(1)} (${r.rtl?.images})`, r.rtl ? (r.rtl.buildCached ? 'cached' : `${r.rtl.buildSeconds.toFixed(0)} s`) : '-']),
    },
  };
  return { title: 'lowbit main job: shipped models on the accelerator', generated: `generated by lowbit demo, ${new Date().toISOString()}`, sections: [summary, layers, timing], data: rs };
}
