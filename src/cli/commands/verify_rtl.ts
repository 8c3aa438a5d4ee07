import { CheckFailedError, InputError } from '../../util/errors.js';
import { loadMutations, runBoundMutant, type BoundMutantResult } from '../../rtl/bind/mutate.js';
import { formatBoundSummary } from '../../rtl/bind/report.js';
import type { BoundJob } from '../../rtl/bind/verify.js';
import { runBinding } from '../../rtl/bind/dispatch.js';
import { formatSummary } from '../../rtl/report.js';

/**
 * `lowbit verify --rtl top.sv [...] --top NAME --bind bind.json --design D`: the user's RTL against a
 * golden model through a port binding (src/rtl/bind/). Exit 0 match, 1 mismatch (report on stdout),
 * 2 bad binding / missing port / wrong width / failed build. `--mutations FILE` runs text mutations of the
 * user's files instead and fails if one survives.
 */
export interface RtlArgs {
  rtl: string[];
  include?: string[];
  define?: string[];
  param?: string[];
  top?: string;
  bind?: string;
  design?: string;
  model?: string;
  mutations?: string;
  vectors?: string;
  keepVcd: boolean;
  vcdDir?: string;
  json: boolean;
}

function jsonLine(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Set ? [...x] : x), 2);
}

export async function verifyRtl(a: RtlArgs, seed: number, cases: number): Promise<void> {
  const need = (v: string | undefined, opt: string, what: string): string => {
    if (v === undefined || v === '') throw new InputError(`verify --rtl: give ${opt} (${what})`);
    return v;
  };
  const params: Record<string, string> = {};
  for (const p of a.param ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(p);
    if (m === null) throw new InputError(`--param ${p}: expected NAME=VALUE (a Verilog parameter override, e.g. --param LANES=8)`);
    params[m[1]] = m[2];
  }
  for (const d of a.define ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/.test(d)) throw new InputError(`-D ${d}: expected NAME or NAME=VALUE (a preprocessor define)`);
  }
  const job: BoundJob = {
    files: a.rtl,
    top: need(a.top, '--top NAME', 'the top module of the RTL'),
    includeDirs: a.include ?? [],
    defines: a.define ?? [],
    params,
    bind: need(a.bind, '--bind bind.json', 'the port binding; docs/verify.md shows one'),
    design: a.model === undefined ? need(a.design, '--design D', 'a preset such as int8 or a design JSON file: the formats the model uses') : a.design,
    model: a.model,
    seed,
    cases,
    keepVcd: a.keepVcd,
    vcdDir: a.vcdDir,
    vectors: a.vectors,
  };
  if (a.mutations !== undefined) {
    const list = loadMutations(a.mutations);
    const results: BoundMutantResult[] = [];
    for (const m of list) {
      const r = await runBoundMutant(job, m);
      results.push(r);
      const first = r.outcome?.first;
      const where = first !== undefined ? ` (first bad: ${first})` : '';
      if (!a.json) process.stdout.write(`${r.killed ? 'killed  ' : 'SURVIVED'} ${m.id.padEnd(26)} ${r.how}${where}  ${m.description}\n`);
    }
    const killed = results.filter((r) => r.killed).length;
    if (a.json) {
      process.stdout.write(`${jsonLine({ killed, total: results.length, mutants: results.map((r) => ({ id: r.mutation.id, killed: r.killed, how: r.how, first: r.outcome?.first })) })}\n`);
    } else {
      process.stdout.write(`\nkill fraction ${killed}/${results.length} = ${((100 * killed) / results.length).toFixed(1)}%\n`);
    }
    if (killed < results.length) throw new CheckFailedError(`verify --mutations: ${results.length - killed} mutant(s) survived`);
    return;
  }
  const o = await runBinding(job);
  if (o.kind === 'unit') {
    const r = o.result;
    if (a.json) process.stdout.write(`${jsonLine(r)}\n`);
    else process.stdout.write(`${formatSummary([r])}\n${r.report !== undefined ? `\n${r.report}\n` : ''}`);
    if (!r.ok) throw new CheckFailedError(`verify: ${job.top} does not match ${r.unit} (first mismatch: ${o.first})`);
    return;
  }
  const r = o.result;
  if (a.json) {
    const { inputs: _i, run: _r, resolved: _b, load, ...rest } = r;
    // the parameter image as its layout (regions) and size, not its words
    const image = load !== undefined ? { doneCycle: load.doneCycle, image: { dataBits: load.image.dataBits, words: load.image.words.length, regions: load.image.regions } } : undefined;
    process.stdout.write(`${jsonLine({ ...rest, load: image })}\n`);
  } else {
    process.stdout.write(`${formatBoundSummary(r)}\n`);
    if (r.report !== undefined) process.stdout.write(`\n${r.report}\n`);
  }
  if (!r.ok) throw new CheckFailedError(`verify: ${r.top} does not match model ${r.model} (first mismatch: output transaction ${r.comparison.first!.txn})`);
}
