/**
 * CLI start-up benchmark: `npx tsx bench/startup.bench.ts [--reps N]` (run `npm run build` first).
 * `node -e 0` and `node dist/cli/main.js <command> --help` for every command, run alternately, medians of
 * wall clock and of CPU time (user + system, from /usr/bin/time when present: steadier on a shared machine),
 * each as a ratio of `node -e 0`. `<command> --help` loads what the command loads before it starts work:
 * main.ts loads only that command's module (src/cli/commands/list.ts); the target is <= 3x.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolveRepoPath } from '../src/rtl/paths.js';
import { COMMAND_LOADERS } from '../src/cli/commands/list.js';
import { cpuLine } from './cpu.js';

const i = process.argv.indexOf('--reps');
const REPS = i >= 0 ? Number(process.argv[i + 1]) : 7;
const main = resolveRepoPath('dist/cli/main.js');
if (!existsSync(main)) {
  process.stderr.write('startup bench: dist/cli/main.js is missing; run `npm run build` first\n');
  process.exit(2);
}
const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run: wall seconds and CPU seconds (NaN without /usr/bin/time). */
function once(args: string[]): { wall: number; cpu: number } {
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync(TIME, ['-f', 'LOWBIT_CPU %U %S', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}: ${r.stderr.slice(0, 300)}`);
  const m = /LOWBIT_CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

const cases: [string, string[]][] = [['lowbit --help', [main, '--help']], ...COMMAND_LOADERS.map((c): [string, string[]] => [`lowbit ${c.name} --help`, [main, c.name, '--help']])];
console.log('# lowbit CLI start-up vs `node -e 0`');
console.log(cpuLine());
console.log(`medians of ${REPS} runs, each command run right after a \`node -e 0\`${hasTime ? '' : ' (no /usr/bin/time: wall clock only)'}\n`);
console.log('| command | wall ms | x node -e 0 | CPU ms | x node -e 0 |');
console.log('|---|---|---|---|---|');
for (const [label, args] of cases) {
  const base = { wall: [] as number[], cpu: [] as number[] };
  const cmd = { wall: [] as number[], cpu: [] as number[] };
  for (let r = 0; r < REPS; r++) {
    const b = once(['-e', '0']);
    const c = once(args);
    base.wall.push(b.wall);
    base.cpu.push(b.cpu);
    cmd.wall.push(c.wall);
    cmd.cpu.push(c.cpu);
  }
  const [bw, cw, bc, cc] = [median(base.wall), median(cmd.wall), median(base.cpu), median(cmd.cpu)];
  console.log(`| ${label} | ${(cw * 1000).toFixed(0)} | ${(cw / bw).toFixed(2)} | ${(cc * 1000).toFixed(0)} | ${(cc / bc).toFixed(2)} |`);
}
