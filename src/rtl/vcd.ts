import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { VcdParser, VcdScope } from 'vcd-stream/lib/web-vcd-parser.js';
import { InputError } from '../util/errors.js';
import { packageRoot } from '../util/package.js';

/**
 * vcd-stream 1.5.0's WASM parser, vendored in `vendor/vcd-stream/` (MIT, its LICENSE beside it): the
 * npm package's install script builds a native addon lowbit does not use. Loaded on the first VCD read
 * (start-up time of commands that never read one).
 */
const vendor = (): NodeJS.Require => createRequire(join(packageRoot(), 'vendor', 'vcd-stream', 'lib', 'index.js'));
const createVCD = (): Promise<unknown> => (vendor()('../out/vcd.js') as () => Promise<unknown>)();
const webVcdParser = (wasm: unknown): Promise<VcdParser> => (vendor()('./web-vcd-parser.js') as (w: unknown) => Promise<VcdParser>)(wasm);

/**
 * Reads value changes from a VCD file through vcd-stream's WASM parser (vendored, see above).
 *
 * - The file is fed synchronously in chunks of 32 KiB. The wrapper copies each chunk onto the WASM stack;
 *   measured here: 128 KiB chunks corrupt the module's heap (the next parser's `init` then fails with
 *   "memory access out of bounds"), 32 KiB chunks do not.
 * - Signals are named by their dotted scope path, e.g. `TOP.acc_fixture.acc_q`. Verilator gives several
 *   vars one id code when they always hold the same value; changes are stored per id code.
 * - Values are BigInt patterns with a mask of x/z bits (a mask != 0 means "not a known 0/1 value"; the
 *   parser does not widen `bx` to the bus, so any x at all is kept as mask != 0).
 * - Times are in the file's timescale unit (`timescale` gives seconds per unit). The parser clamps times
 *   at 2^32-1, so the harness uses 1 ns units; larger timestamps are rejected.
 * - A malformed file raises an InputError naming the file and the first bad line. Times going backwards
 *   and timestamps at the parser's limit are checked on the changes read: every change without `want`,
 *   the wanted signals' changes with it (the parser then calls back for those id codes only).
 */

export interface VcdSignal {
  /** dotted path, e.g. `TOP.acc_fixture.acc_q` */
  path: string;
  width: number;
  id: string;
}

/** Value changes of one id code, in time order. */
export interface VcdTrack {
  times: number[];
  values: bigint[];
  masks: bigint[];
}

export interface VcdData {
  file: string;
  /** seconds per time unit */
  timescale: number;
  /** every declared var by path */
  signals: Map<string, VcdSignal>;
  /** changes by id code (only the ids requested, or all when none were requested) */
  tracks: Map<string, VcdTrack>;
  /** the last timestamp seen */
  endTime: number;
}

const CHUNK = 32 * 1024;
const MAX_TIME = 2 ** 32 - 1;
let wasmPromise: Promise<unknown> | undefined;

function wasm(): Promise<unknown> {
  wasmPromise ??= createVCD();
  return wasmPromise;
}

/** Parses `timescale` text like `1ns`, `10 ps`, `1 s` into seconds. */
export function parseTimescale(file: string, text: string | undefined): number {
  const m = /^\s*(1|10|100)\s*(s|ms|us|ns|ps|fs)\s*$/.exec(text ?? '');
  if (!m) throw new InputError(`${file}: $timescale ${JSON.stringify(text ?? '')} is not one of 1/10/100 s|ms|us|ns|ps|fs`);
  const unit = { s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9, ps: 1e-12, fs: 1e-15 }[m[2] as 's'];
  return Number(m[1]) * unit;
}

function collectSignals(scope: VcdScope, prefix: string, out: Map<string, VcdSignal>): void {
  for (const item of scope.body) {
    if (item.kind === 'scope') {
      collectSignals(item, prefix === '' ? item.name : `${prefix}.${item.name}`, out);
    } else {
      const path = prefix === '' ? item.name : `${prefix}.${item.name}`;
      out.set(path, { path, width: item.size, id: item.link });
    }
  }
}

/** Feeds `data` to a parser, returning the parser's error code (0 = fine). The WASM wrapper reports
 * errors only through console.log, so it is captured for the duration of the (synchronous) call. */
function feed(p: VcdParser, data: Uint8Array): number {
  let code = 0;
  const log = console.log;
  console.log = (e: unknown) => {
    code = typeof e === 'number' ? e : -1;
  };
  try {
    (p as unknown as { _write(c: Uint8Array, enc: string, cb: () => void): void })._write(data, 'buffer', () => {});
  } finally {
    console.log = log;
  }
  return code;
}

/**
 * Reads a VCD. `want`: paths whose changes to keep (default: all). Unknown wanted paths raise an
 * InputError listing similar names.
 */
export function readVcd(file: string, want?: string[]): Promise<VcdData> {
  // one WASM parser instance serves the process and its heap is shared: two reads in flight corrupt each
  // other, so reads run one at a time
  const run = readQueue.then(() => readVcdNow(file, want));
  readQueue = run.catch(() => undefined);
  return run;
}

let readQueue: Promise<unknown> = Promise.resolve();

async function readVcdNow(file: string, want?: string[]): Promise<VcdData> {
  const mod = await wasm();
  const p = await webVcdParser(mod);
  const signals = new Map<string, VcdSignal>();
  const tracks = new Map<string, VcdTrack>();
  let wantedIds: Set<string> | undefined;
  let headerDone = false;
  let problem: string | undefined;
  let lastTime = 0;
  p.on('$enddefinitions', () => {
    headerDone = true;
    collectSignals(p.info.wires, '', signals);
    if (want !== undefined) {
      wantedIds = new Set();
      for (const w of want) {
        const s = signals.get(w);
        if (s === undefined) {
          const leaf = w.split('.').pop() ?? w;
          const near = [...signals.keys()].filter((k) => k.endsWith(`.${leaf}`) || k.includes(leaf)).slice(0, 6);
          problem = `signal ${w} is not declared${near.length > 0 ? `; similar: ${near.join(', ')}` : ''}`;
          continue;
        }
        wantedIds.add(s.id);
      }
      // the parser calls back (and converts values to BigInt) only for these id codes: with every change of
      // every signal, the conversion and the callbacks were ~3/4 of a traced verify's time
      for (const id of wantedIds) p.change.on(id, (time, cmd, value, mask) => onChange(id, time, cmd, value, mask));
    }
  });
  const onChange = (id: string, time: bigint | number, cmd: number, value?: bigint, mask?: bigint): void => {
    const t = Number(time);
    if (t < lastTime && problem === undefined) problem = `time goes backwards (#${t} after #${lastTime})`;
    if (t >= MAX_TIME && problem === undefined) problem = `timestamp #${t} reaches the parser's 2^32-1 limit`;
    lastTime = t;
    if (wantedIds !== undefined && !wantedIds.has(id)) return;
    let tr = tracks.get(id);
    if (tr === undefined) {
      tr = { times: [], values: [], masks: [] };
      tracks.set(id, tr);
    }
    let v: bigint;
    let m: bigint;
    if (cmd === 14 || cmd === 15) {
      v = BigInt(cmd - 14);
      m = 0n;
    } else if (cmd >= 16 && cmd <= 28) {
      v = 0n;
      m = 1n;
    } else {
      v = value ?? 0n;
      m = mask ?? 0n;
    }
    const n = tr.times.length;
    if (n > 0 && tr.times[n - 1] === t) {
      // Verilator dumps a reused id code once per alias at the same time: keep the last
      tr.values[n - 1] = v;
      tr.masks[n - 1] = m;
    } else {
      tr.times.push(t);
      tr.values.push(v);
      tr.masks.push(m);
    }
  };
  if (want === undefined) p.change.any(onChange);

  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new InputError(`${file}: VCD file not found`);
  }
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(Math.min(CHUNK, Math.max(1, size)));
  let pos = 0;
  try {
    while (pos < size) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      const code = feed(p, buf.subarray(0, n));
      if (code !== 0) {
        const line = await locateError(file, pos, n);
        throw new InputError(`${file}:${line}: malformed VCD (parser error ${code}) at line ${line}`);
      }
      if (problem !== undefined) throw new InputError(`${file}: ${problem}`);
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  if (!headerDone) throw new InputError(`${file}: malformed VCD: no $enddefinitions (empty or truncated header)`);
  if (problem !== undefined) throw new InputError(`${file}: ${problem}`);
  // with wanted signals the callbacks see only their changes: the parser's own time is the last timestamp
  const endTime = want === undefined ? lastTime : Math.max(lastTime, Number(p.getTime()));
  return { file, timescale: parseTimescale(file, p.info.timescale), signals, tracks, endTime };
}

/** Finds the first line at which the parser fails, re-parsing the failing chunk one line at a time. */
async function locateError(file: string, chunkPos: number, chunkLen: number): Promise<number> {
  const p = await webVcdParser(await wasm());
  const fd = openSync(file, 'r');
  try {
    const buf = new Uint8Array(CHUNK);
    let lines = 1;
    let pos = 0;
    while (pos < chunkPos) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, chunkPos - pos), pos);
      const part = buf.subarray(0, n);
      feed(p, part);
      for (const b of part) if (b === 10) lines++;
      pos += n;
    }
    const n = readSync(fd, buf, 0, chunkLen, chunkPos);
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buf[i] !== 10 && i !== n - 1) continue;
      if (feed(p, buf.slice(start, i + 1)) !== 0) return lines;
      lines++;
      start = i + 1;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

/** The value of a track at `time` (the last change at or before it), or undefined before its first change. */
export function valueAt(tr: VcdTrack, time: number, hint = { i: 0 }): { value: bigint; mask: bigint } | undefined {
  const { times } = tr;
  let i = hint.i < times.length && times[hint.i] <= time ? hint.i : 0;
  if (times.length === 0 || times[0] > time) return undefined;
  while (i + 1 < times.length && times[i + 1] <= time) i++;
  hint.i = i;
  return { value: tr.values[i], mask: tr.masks[i] };
}
