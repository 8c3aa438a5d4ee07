import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** One line naming the CPU, its core count and its vector extensions (benchmarks print it first). */
export function cpuLine(): string {
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = (/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(' ');
  } catch {
    // not Linux: the model name only
  }
  const vec = flags.filter((f) => /^(sse4_2|avx|avx2|fma|avx512\w*|amx\w*)$/.test(f));
  return `CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores; vector extensions: ${vec.join(' ') || 'unknown'}`;
}

/** CPU seconds of this process's waited-for children (and theirs), from /proc/self/stat (cutime + cstime). */
export function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields 16 and 17 of stat (1-based) are cutime, cstime; `rest` starts at field 3
  return (Number(rest[13]) + Number(rest[14])) / 100;
}
