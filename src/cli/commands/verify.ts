import type { ArgumentsCamelCase } from 'yargs';
import type { Args } from '../args/verify.js';
import { checkAlloc } from '../../util/budget.js';
import { CheckFailedError, InputError, checkInt } from '../../util/errors.js';
import { progress } from '../../util/progress.js';
import { runVerifyJobs } from '../../rtl/batch.js';
import { killFraction, runMutant, type MutantResult } from '../../rtl/mutate.js';
import { MUTATIONS } from '../../rtl/mutations.js';
import { formatSummary } from '../../rtl/report.js';
import { resolveUnit, selectDesigns, type VerifyJob, type VerifyResult } from '../../rtl/verify.js';
import { unitNames } from '../../rtl/units/index.js';
import { verilatorVersion } from '../../rtl/build.js';
import { verifyRtl } from './verify_rtl.js';
import { defaultJobs } from '../../workers/pool.js';
import { givenOn, notApplicable } from '../options.js';

/**
 * `lowbit verify`: co-simulate units' RTL (Verilator) against their TS models, bit- and cycle-exactly.
 * Exit 0 when everything matches, 1 on any mismatch (reports on stdout), 2 when Verilator is missing or
 * a build fails. `--mutate` runs the mutation catalogue instead and fails if a mutant survives.
 */

function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
}

/** Runs `lowbit verify` (its options: cli/args/verify.ts). */
export async function verifyHandler(argv: ArgumentsCamelCase<Args>): Promise<void> {
  const seed = checkInt('seed', argv.seed, 0, 2 ** 32 - 1);
  const cases = checkInt('--cases', argv.cases, 1, 10_000_000);
  checkAlloc(`verify --cases ${cases} (stimulus and expected traces, about 1 KiB a case)`, cases * 1024);
  const jobs = checkInt('--jobs', argv.jobs ?? defaultJobs(), 1, 256);
  if (argv.rtl !== undefined) {
    if (argv.unit !== undefined || argv.all === true || argv.mutate) throw new InputError('verify --rtl: checks your RTL through --bind; drop --unit/--all/--mutate (use --mutations FILE)');
    for (const o of ['jobs', 'in-process'] as const) notApplicable(`--${o}`, givenOn(o, argv[o]), 'verify --rtl runs one simulation process of your RTL');
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
}

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
