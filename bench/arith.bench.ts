/**
 * Throughput of the arith kernels, each beside a reference implementation run in the same process:
 *   npx tsx bench/arith.bench.ts [--quick]
 * Prints elements/s (median of several runs) for the kernel and the reference and their ratio.
 */
import {
  castFixed, castFixedArray, encodeMinifloatArray, MINIFLOAT_FORMATS, minifloatTable, multiplyByQuantizedMultiplierArray,
  packBits, xnorDot, type FixedFormat, type MinifloatFormat, type RequantVariant,
} from '../src/arith/index.js';
import { Rng } from '../src/util/rng.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;

/** Median elements/s of `fn` (which processes `n` elements per call) over RUNS timed runs after a warm-up. */
function rate(n: number, fn: () => void): number {
  fn();
  const r: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    r.push(n / dt);
  }
  r.sort((a, b) => a - b);
  return r[r.length >> 1];
}

const rows: [string, number, string, number][] = [];
function row(name: string, kernel: number, refName: string, ref: number): void {
  rows.push([name, kernel, refName, ref]);
  console.error(`${name}: done`);
}

const rng = new Rng(1234);
const N = quick ? 20_000 : 200_000;

// ---- castFixed: <24,8> accumulator raw values -> <8,4> with RND_CONV + SAT ----
{
  const from: FixedFormat = { bits: 24, intBits: 8, signed: true };
  const to: FixedFormat = { bits: 8, intBits: 4, signed: true };
  const src = new Int32Array(N).map(() => rng.int(-(2 ** 23), 2 ** 23 - 1));
  const out = new Int32Array(N);
  const k = rate(N, () => castFixedArray(src, from, to, 'RND_CONV', 'SAT', out));
  const nRef = N / 10;
  const ref = rate(nRef, () => {
    for (let i = 0; i < nRef; i++) out[i] = Number(castFixed(BigInt(src[i]), from, to, 'RND_CONV', 'SAT'));
  });
  row('castFixedArray <24,8> -> <8,4> RND_CONV SAT', k, 'castFixed (BigInt) per element', ref);
}

// ---- multiplyByQuantizedMultiplier batch, per-channel, both variants ----
for (const variant of ['double', 'single'] as RequantVariant[]) {
  const C = 64;
  const x = new Int32Array(N).map(() => rng.int(-(2 ** 24), 2 ** 24));
  const M = new Int32Array(C).map(() => rng.int(2 ** 30, 2 ** 31 - 1));
  const sh = new Int32Array(C).map(() => rng.int(-12, -4));
  const out = new Int32Array(N);
  const k = rate(N, () => multiplyByQuantizedMultiplierArray(x, M, sh, variant, out));
  const nRef = N / 10;
  const ref = rate(nRef, () => {
    for (let i = 0; i < nRef; i++) {
      const c = i % C;
      const m = BigInt(M[c]);
      if (variant === 'single') {
        const ts = BigInt(31 - sh[c]);
        out[i] = Number((BigInt(x[i]) * m + (1n << (ts - 1n))) >> ts);
      } else {
        const ab = BigInt(x[i]) * m;
        const t = Number((ab + (ab >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n));
        const e = -sh[c];
        const mask = (1 << e) - 1;
        out[i] = (t >> e) + ((t & mask) > (mask >> 1) + (t < 0 ? 1 : 0) ? 1 : 0);
      }
    }
  });
  row(`multiplyByQuantizedMultiplierArray ${variant}`, k, 'BigInt formula per element', ref);
}

// ---- minifloat encode, each format, vs a binary search over the sorted value table ----
{
  const src = new Float32Array(N).map(() => rng.normal() * 2 ** rng.int(-12, 12));
  for (const fmt of MINIFLOAT_FORMATS) {
    const out = new Uint16Array(N);
    const opts = { saturate: false, rounding: 'RND_CONV' } as const;
    const k = rate(N, () => encodeMinifloatArray(src, fmt, opts, out));
    const search = sortedSearch(fmt);
    const ref = rate(N, () => {
      for (let i = 0; i < N; i++) out[i] = search(src[i]);
    });
    row(`encodeMinifloatArray ${fmt}`, k, 'binary search of the value table', ref);
  }
}

// ---- xnorDot, 1024-bit vectors, vs a ±1 Int8Array dot product ----
{
  const n = 1024;
  const reps = quick ? 2000 : 20000;
  const a = Float32Array.from({ length: n }, () => rng.normal());
  const w = Float32Array.from({ length: n }, () => rng.normal());
  const pa = packBits(a);
  const pw = packBits(w);
  const sa = Int8Array.from(a, (v) => (v >= 0 ? 1 : -1));
  const sw = Int8Array.from(w, (v) => (v >= 0 ? 1 : -1));
  let sink = 0;
  const k = rate(n * reps, () => {
    for (let r = 0; r < reps; r++) sink += xnorDot(pa, pw, n);
  });
  const ref = rate(n * reps, () => {
    for (let r = 0; r < reps; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += sa[i] * sw[i];
      sink += s;
    }
  });
  if (sink === 0.5) console.error(sink);
  row('xnorDot (1024 bits), elements = bits', k, '±1 Int8Array dot', ref);
}

function sortedSearch(fmt: MinifloatFormat): (x: number) => number {
  const t = minifloatTable(fmt);
  const codes = Array.from(t.keys()).filter((c) => Number.isFinite(t[c]) && t[c] >= 0 && !Object.is(t[c], -0));
  codes.sort((p, q) => t[p] - t[q]);
  const vals = Float64Array.from(codes, (c) => t[c]);
  const half = t.length / 2;
  return (x: number) => {
    const a = Math.abs(x);
    let lo = 0;
    let hi = vals.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (vals[mid] < a) lo = mid + 1;
      else hi = mid;
    }
    let c = codes[lo];
    if (lo > 0) {
      const dl = a - vals[lo - 1];
      const dh = vals[lo] - a;
      if (dl < dh || (dl === dh && codes[lo - 1] % 2 === 0)) c = codes[lo - 1];
    }
    return x < 0 ? c + half : c;
  };
}

const fmt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)} M/s` : `${(v / 1e3).toFixed(1)} k/s`);
console.log(`arith kernels, median of ${RUNS} runs (elements per second), Node ${process.version}`);
console.log('| kernel | elements/s | reference | elements/s | ratio |');
console.log('|---|---:|---|---:|---:|');
for (const [name, k, refName, ref] of rows) {
  console.log(`| ${name} | ${fmt(k)} | ${refName} | ${fmt(ref)} | ${(k / ref).toFixed(1)}x |`);
}
