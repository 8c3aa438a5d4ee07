import { checkAlloc } from '../../util/budget.js';
import type { CommandModule } from 'yargs';
import { CheckFailedError, InputError, checkInt } from '../../util/errors.js';
import { progress } from '../../util/progress.js';
import { runVerifyJobs } from '../../rtl/batch.js';
import { killFraction, runMutant, type MutantResult } from '../../rtl/mutate.js';
import { MUTATIONS } from '../../rtl/mutations.js';
import { formatSummary } from '../../rtl/report.js';
import { resolveUnit, selectDesigns, type VerifyJob, type VerifyResult } from '../../rtl/verify.js';
import { unitNames } from '../../rtl/units/index.js';
import { verilatorVersion } from '../../rtl/build.js';
import { verifyRtl, type RtlArgs } from './verify_rtl.js';
import { defaultJobs } from '../../workers/pool.js';
import { given, notApplicable } from '../options.js';
import { DESCRIBE } from './list.js';

/**
 * `lowbit verify`: co-simulate units' RTL (Verilator) against their TS models, bit- and cycle-exactly.
 * Exit 0 when everything matches, 1 on any mismatch (reports on stdout), 2 when Verilator is missing or
 * a build fails. `--mutate` runs the mutation catalogue instead and fails if a mutant survives.
 */
interface Args extends Partial<Omit<RtlArgs, 'keepVcd' | 'json' | 'vcdDir' | 'design'>> {
  unit?: string;
  all?: boolean;
  design?: string;
  seed: number;
  cases: number;
  jobs?: number;
  keepVcd: boolean;
  vcdDir?: string;
  mutate: boolean;
  inProcess: boolean;
  json: boolean;
}

function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
}

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify',
  describe: DESCRIBE.verify,
  builder: (y) =>
    y
      .option('unit', { type: 'string', describe: 'unit name (or a path to a module exporting a UnitSpec)' })
      .option('all', { type: 'boolean', describe: 'every registered unit' })
      .option('design', { type: 'string', describe: "one of the unit's design labels, a preset or a JSON file (default: all the unit's designs)" })
      .option('seed', { type: 'number', default: 1, describe: 'stimulus seed' })
      .option('cases', { type: 'number', default: 200, describe: 'random cases per design (scales the stimulus length)' })
      .option('jobs', { type: 'number', describe: 'parallel builds/simulations (worker pool; default: the machine parallelism)' })
      .option('keep-vcd', { type: 'boolean', default: false, describe: 'keep the VCD of every run (always kept on a mismatch)' })
      .option('vcd-dir', { type: 'string', describe: 'folder for kept VCDs (default <cache>/vcd)' })
      .option('in-process', { type: 'boolean', default: false, describe: 'simulate in-process through the koffi shim instead of a harness process' })
      .option('mutate', { type: 'boolean', default: false, describe: 'run the RTL mutation catalogue and report the kill fraction' })
      .option('rtl', { type: 'string', array: true, describe: 'your RTL files (Verilog/SystemVerilog), checked against a golden model through --bind' })
      .option('include', { alias: 'I', type: 'string', array: true, describe: 'with --rtl: an include directory' })
      .option('define', { alias: 'D', type: 'string', array: true, describe: 'with --rtl: a preprocessor define NAME or NAME=VALUE' })
      .option('param', { type: 'string', array: true, describe: 'with --rtl: a top-level parameter override NAME=VALUE' })
      .option('top', { type: 'string', describe: 'with --rtl: the top module' })
      .option('bind', { type: 'string', describe: 'with --rtl: the port binding bind.json (schema/bind.schema.json)' })
      .option('mutations', { type: 'string', describe: 'with --rtl: a mutations.json of text mutations of your files; fails if one survives' })
      .option('vectors', { type: 'string', describe: 'with --rtl (stream binding): input transactions from a .json or .npy file instead of random ones' })
      .option('model', { type: 'string', describe: 'with --rtl and an accelerator binding: the network (models/NAME, a quantized .onnx or a shipped model); --cases is the image count' })
      .example('$0 verify --unit mac_pe --design int8 --cases 50', 'one unit on one design')
      .example('$0 verify --rtl dot8_core.sv --top dot8_core --bind bind.json --design int8', 'your own RTL against the mac_pe model')
      .example('$0 verify --rtl bnn_mlp.sv --top bnn_mlp --bind accel.json --model sfc-w1a1 --cases 200', 'your accelerator against a network, image by image')
      .example('$0 verify --all --jobs 2', 'every unit on all its designs')
      .example('$0 verify --unit requantizer --design int8 --seed 7 --cases 1000 --keep-vcd', 'one unit, one design, keep the waveform') as never,
  handler: async (argv) => {
    const seed = checkInt('seed', argv.seed, 0, 2 ** 32 - 1);
    const cases = checkInt('--cases', argv.cases, 1, 10_000_000);
    checkAlloc(`verify --cases ${cases} (stimulus and expected traces, about 1 KiB a case)`, cases * 1024);
    const jobs = checkInt('--jobs', argv.jobs ?? defaultJobs(), 1, 256);
    if (argv.rtl !== undefined) {
      if (argv.unit !== undefined || argv.all === true || argv.mutate) throw new InputError('verify --rtl: checks your RTL through --bind; drop --unit/--all/--mutate (use --mutations FILE)');
      for (const o of ['jobs', 'in-process']) notApplicable(`--${o}`, given(o), 'verify --rtl runs one simulation process of your RTL');
      return verifyRtl({ ...argv, rtl: argv.rtl }, seed, cases);
    }
    for (const o of ['top', 'bind', 'include', 'define', 'param', 'mutations', 'vectors', 'model'] as const) {
      if (argv[o] !== undefined) throw new InputError(`verify --${o} goes with --rtl FILE (your RTL); give --rtl or drop --${o}`);
    }
    if ((argv.unit === undefined) === (argv.all !== true)) {
      throw new InputError(`verify: name one --unit (${unitNames().join(', ') || 'none registered yet'}) or --all`);
    }
    const refs = argv.all === true ? unitNames() : [argv.unit!];
    if (refs.length === 0) throw new InputError('verify --all: no units are registered yet (src/rtl/units/index.ts)');
    verilatorVersion(); // exit 2 with the install command when Verilator is missing

    if (argv.mutate) return mutate(refs, seed, cases, argv);

    const list: VerifyJob[] = [];
    for (const ref of refs) {
      const spec = await resolveUnit(ref);
      for (const d of selectDesigns(spec, argv.design)) {
        list.push({ unit: ref, label: d.label, design: d.design, seed, cases, keepVcd: argv.keepVcd, vcdDir: argv.vcdDir, inProcess: argv.inProcess });
      }
    }
    const bar = progress('verify', list.length);
    let results: VerifyResult[];
    try {
      results = await runVerifyJobs(list, { jobs, onDone: (r) => bar.tick(1, { unit: r.unit, design: r.label }) });
    } finally {
      bar.stop();
    }
    const bad = results.filter((r) => !r.ok);
    if (argv.json) {
      process.stdout.write(`${JSON.stringify(jsonSafe({ ok: bad.length === 0, seed, cases, results }), null, 2)}\n`);
    } else {
      process.stdout.write(`${formatSummary(results)}\n`);
      for (const r of bad) process.stdout.write(`\n${r.report}\n`);
      process.stdout.write(`\n${results.length - bad.length} of ${results.length} checks match (seed ${seed}, ${cases} cases)\n`);
    }
    if (bad.length > 0) {
      throw new CheckFailedError(`verify: ${bad.length} of ${results.length} checks mismatch: ${bad.map((r) => `${r.unit}/${r.label}`).join(', ')}`);
    }
  },
};

async function mutate(refs: string[], seed: number, cases: number, argv: Args): Promise<void> {
  const chosen = MUTATIONS.filter((m) => refs.includes(m.unit));
  if (chosen.length === 0) throw new InputError(`verify --mutate: no mutations for ${refs.join(', ')} in src/rtl/mutations.ts`);
  const bar = progress('mutants', chosen.length);
  const results: MutantResult[] = [];
  try {
    for (const m of chosen) {
      results.push(await runMutant(m, { seed, cases, vcdDir: argv.vcdDir, designs: argv.design === undefined ? undefined : [argv.design] }));
      bar.tick(1, { mutant: m.id });
    }
  } finally {
    bar.stop();
  }
  const k = killFraction(results);
  if (argv.json) {
    const rows = results.map((r) => ({ id: r.mutation.id, unit: r.mutation.unit, description: r.mutation.description, killed: r.killed, how: r.how, firstMismatch: r.result?.mismatch }));
    process.stdout.write(`${JSON.stringify(jsonSafe({ ...k, mutants: rows }), null, 2)}\n`);
  } else {
    for (const r of results) {
      const where = r.result?.mismatch ? ` (${r.result.label}: cycle ${r.result.mismatch.cycle}, ${r.result.mismatch.signal})` : '';
      process.stdout.write(`${r.killed ? 'killed  ' : 'SURVIVED'} ${r.mutation.id.padEnd(28)} ${r.how}${where}  ${r.mutation.description}\n`);
    }
    process.stdout.write(`\nkill fraction ${k.killed}/${k.total} = ${(100 * k.fraction).toFixed(1)}%\n`);
  }
  if (k.killed < k.total) throw new CheckFailedError(`verify --mutate: ${k.total - k.killed} mutant(s) survived`);
}
