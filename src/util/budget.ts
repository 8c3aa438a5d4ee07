import { totalmem } from 'node:os';
import { InputError, badValue } from './errors.js';

/**
 * The memory budget: every allocation whose size a user controls (GEMM shapes, layer widths, sweep
 * spaces, verify cases, files read whole) is checked with `checkAlloc` before it is made, so a too-large
 * request is one line naming the size and the option instead of a V8 crash or a machine in swap.
 * Default: half of the machine's RAM, capped at 16 GiB; `--max-memory SIZE` (CLI) or
 * `setMemoryBudget` (library) changes it.
 */
let budget = process.env.LOWBIT_MAX_MEMORY ? parseSize('LOWBIT_MAX_MEMORY', process.env.LOWBIT_MAX_MEMORY) : defaultBudget();

export function defaultBudget(): number {
  return Math.min(Math.floor(totalmem() / 2), 16 * 2 ** 30);
}

export function memoryBudget(): number {
  return budget;
}

/** Sets the budget for this thread and for worker threads started later (through LOWBIT_MAX_MEMORY). */
export function setMemoryBudget(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes <= 0) throw badValue('--max-memory', bytes, 'a positive size, e.g. 512M or 8G');
  budget = bytes;
  process.env.LOWBIT_MAX_MEMORY = String(Math.floor(bytes));
}

/** Throws InputError if `what` would need more than the budget (`bytes` may be Infinity or NaN: refused). */
export function checkAlloc(what: string, bytes: number): void {
  if (!(bytes <= budget)) {
    throw new InputError(`${what} needs ${Number.isFinite(bytes) ? formatBytes(bytes) : 'an unbounded amount of memory'}; the memory budget is ${formatBytes(budget)} (raise it with --max-memory, e.g. --max-memory 8G, or ask for less)`);
  }
}

/** Throws InputError unless `count` items (e.g. sweep points, verify cases) fit `limit` items. */
export function checkCount(what: string, count: number, limit: number, option: string): void {
  if (!(count <= limit)) throw new InputError(`${what}: ${Number.isFinite(count) ? count.toExponential(3) : count} items; allowed: at most ${limit} (${option})`);
}

/** Parses a size: bytes, or a number with K/M/G/T (powers of 1024), e.g. "512M", "8G", "1.5G". */
export function parseSize(name: string, text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text > 0) return Math.floor(text);
    throw badValue(name, text, 'a positive size, e.g. 512M or 8G');
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  const v = m ? Number(m[1]) * 1024 ** ' kmgt'.indexOf(m[2].toLowerCase() || ' ') : NaN;
  if (!m || !Number.isFinite(v) || v < 1) throw badValue(name, text, 'a positive size in bytes or with K, M, G, T (e.g. 512M, 8G)');
  return Math.floor(v);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const u = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${u[i]}`;
}
