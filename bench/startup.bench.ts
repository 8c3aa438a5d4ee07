/**
 * Start-up benchmark: `npx tsx bench/startup.bench.ts [--reps N]` (run `npm run build` first).
 * Each case runs right after a `node -e 0` (alternating, so both see the same machine load); medians of
 * wall clock and of CPU time (user + system, from /usr/bin/time when present: steadier on a shared
 * machine), each as a ratio of `node -e 0`'s median. The target is <= 3x for every row.
 * Cases: `lowbit --help` and `--version`; every command with `--help` (loads what the command loads before
 * it starts work, and lays out its help) and with an unknown option (loads the command and parses its
 * options, then exits 2 before any work); the library entry, `import('lowbit')` (dist/index.js).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolveRepoPath } from '../src/rtl/paths.js';
import { COMMAND_LOADERS } from '../src/cli/commands/list.js';
import { cpuLine } from './cpu.js';

const i = process.argv.indexOf('--reps');
const REPS = i >= 0 ? Number(process.argv[i + 1]) : 7;
const main = resolveRepoPath('dist/cli/main.js');
const lib = resolveRepoPath('dist/index.js');
if (!existsSync(main) || !existsSync(lib)) {
  process.stderr.write('startup bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run: wall seconds and CPU seconds (NaN without /usr/bin/time); `status` is the expected exit code. */
function once(args: string[], status: number): { wall: number; cpu: number } {
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync(TIME, ['-f', 'LOWBIT_CPU %U %S', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== status) throw new Error(`node ${args.join(' ')} exited with ${r.status}, expected ${status}: ${r.stderr.slice(0, 300)}`);
  const m = /LOWBIT_CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

type Case = [label: string, args: string[], status: number];
const cases: Case[] = [
  ['lowbit --help', [main, '--help'], 0],
  ['lowbit --version', [main, '--version'], 0],
  ['import lowbit (library entry)', ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(lib).href)})`], 0],
  ...COMMAND_LOADERS.flatMap((c): Case[] => [
    [`lowbit ${c.name} --help`, [main, c.name, '--help'], 0],
    [`lowbit ${c.name} --no-such-option`, [main, c.name, '--no-such-option'], 2],
  ]),
];
console.log('# lowbit start-up vs `node -e 0`');
console.log(cpuLine());
console.log(`medians of ${REPS} runs, each case run right after a \`node -e 0\`${hasTime ? '' : ' (no /usr/bin/time: wall clock only)'}\n`);
console.log('| case | wall ms | x node -e 0 | CPU ms | x node -e 0 |');
console.log('|---|---|---|---|---|');
let worst = 0;
for (const [label, args, status] of cases) {
  const base = { wall: [] as number[], cpu: [] as number[] };
  const cmd = { wall: [] as number[], cpu: [] as number[] };
  for (let r = 0; r < REPS; r++) {
    const b = once(['-e', '0'], 0);
    const c = once(args, status);
    base.wall.push(b.wall);
    base.cpu.push(b.cpu);
    cmd.wall.push(c.wall);
    cmd.cpu.push(c.cpu);
  }
  const [bw, cw, bc, cc] = [median(base.wall), median(cmd.wall), median(base.cpu), median(cmd.cpu)];
  worst = Math.max(worst, cw / bw);
  console.log(`| ${label} | ${(cw * 1000).toFixed(0)} | ${(cw / bw).toFixed(2)} | ${(cc * 1000).toFixed(0)} | ${(cc / bc).toFixed(2)} |`);
}
console.log(`\nworst wall ratio ${worst.toFixed(2)}x node -e 0 (target <= 3x)`);
