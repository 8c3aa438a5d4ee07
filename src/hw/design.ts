import { readFileSync, existsSync } from 'node:fs';
import type { Overflow, Rounding } from '../arith/modes.js';
import { closest } from '../util/suggest.js';
import { ROUNDINGS } from '../arith/modes.js';
import { BINARY, clog2, formatBits, formatName, formatRange, formatSigned, intFormat, type IntFormat, type NumFormat } from '../arith/format.js';
import { InputError, badValue, checkEnum, checkInt, didYouMean } from '../util/errors.js';
import { PRESETS, PRESET_NAMES } from './presets.js';

/**
 * A Design describes one accelerator. It drives the TS hardware models, the RTL parameters, the cost
 * model and the reports (docs/architecture.md convention 2). Load with `loadDesign` / `parseDesign`, which validate
 * every field; derived quantities come from `deriveDesign`, computed once.
 */
export type Dataflow = 'os' | 'ws' | 'is';

/** The PE's weight datapath: a multiplier, or the multiplier-free shift PE (power-of-two weight codes). */
export type PeKind = 'multiplier' | 'shift';
export const PE_KINDS: readonly PeKind[] = ['multiplier', 'shift'];

/**
 * The Design JSON's spelling of an operand (or output) format: `{bits, signed}`. Range: signed
 * `[-2^(bits-1), 2^(bits-1) - 1]`, unsigned `[0, 2^bits - 1]` — except **1-bit signed, which is bipolar
 * {-1, +1}** (bit 1 = +1, FINN's convention; docs/arithmetic.md section 5), the format of XNOR-popcount
 * layers. 1-bit unsigned is {0, 1}. `parseDesign` turns it into a NumFormat (`fromJsonOperand`), so the
 * spelling's bipolar rule lives here only; `designToJson` writes it back.
 */
export interface OperandJson {
  /** operand width in bits, 1..16 */
  bits: number;
  /** two's complement when true (1 bit: bipolar ±1) */
  signed: boolean;
}

/** JSON spelling -> number format: 1-bit signed is binary ±1, any other an int format of its width. */
export function fromJsonOperand(o: OperandJson): NumFormat {
  return o.bits === 1 && o.signed ? BINARY : intFormat(o.bits, o.signed);
}

/** Number format -> JSON spelling (binary is `{bits: 1, signed: true}`). */
export function toJsonOperand(f: NumFormat): OperandJson {
  return { bits: formatBits(f), signed: formatSigned(f) };
}

export interface RequantConfig {
  /**
   * `double`: TFLite default multiplyByQuantizedMultiplier (SRDHM then RDBPOT, two roundings);
   * `single`: TFLite single-rounding variant (64-bit product, one rounding shift);
   * `shift`: power-of-two scaling only, `roundShift(acc, n, rounding)`.
   */
  mode: 'double' | 'single' | 'shift';
  /** rounding of the shift when `mode` is `shift` */
  rounding: Rounding;
  /** one multiplier/shift per output channel (`channel`) or one for the tensor (`tensor`) */
  granularity: 'channel' | 'tensor';
  /**
   * output format: an int of 1..16 bits or binary (±1). JSON: `outBits`, `outSigned` (the OperandJson
   * spelling, 1-bit signed = binary), or `out` in the NumFormat spelling.
   */
  out: NumFormat;
  /** output zero point added after scaling; within the output range (0 for a binary output) */
  zeroPoint: number;
  /** clamp the output at the zero point from below (fused ReLU) */
  relu: boolean;
}

export interface XnorConfig {
  /** XNOR/popcount lanes: bits of the ±1 vectors consumed per cycle, 1..1024 */
  bitsPerCycle: number;
  /** thresholds per channel for multi-threshold activation: 1 (bipolar sign) .. 255 */
  thresholds: number;
}

export interface Design {
  /** preset name or free text */
  name: string;
  /**
   * The systolic array: `rows` x `cols` PEs (1..1024 each) and its dataflow — `os` output stationary
   * (each PE keeps one Y element; A flows right, W down), `ws` weight stationary (W preloaded, A streams,
   * partial sums flow down), `is` input stationary (A preloaded, W streams). Optional `pe`: the PE's
   * weight datapath, `multiplier` (default: integer weights, w * a) or `shift` (multiplier-free: weights
   * are 0 or +-2^e, coded {nz, neg, e}; w * a = +-(a << e) by add/subtract/shift, see src/hw/pe_kind.ts).
   */
  array: { rows: number; cols: number; dataflow: Dataflow; pe?: PeKind };
  /** weight format: binary (±1) or an int of 1..16 bits (JSON: `{bits, signed}`, see OperandJson) */
  weight: NumFormat;
  /** activation (input) format: binary (±1) or an int of 1..16 bits */
  activation: NumFormat;
  /**
   * The PE accumulator: signed, `bits` 2..64; after EVERY add the sum is wrapped (`WRAP`: mod 2^bits) or
   * clamped (`SAT`) — see kernels/gemm_ref.ts for the exact rule. Optional `chunk: {length, wideBits}`:
   * chunked accumulation — this register sums `length` products at a time from 0 and each chunk's sum is
   * added into a `wideBits`-wide register (bits..64, same overflow mode) holding the bias and the result.
   * Optional `group: {multiplierBits}`: per-group weight scales (docs/model.md "Per-group weight scales")
   * in the accelerator — the array drains each weight group's partial sum acc_g, and one unsigned
   * `multiplierBits`-bit multiplier per array column (1..17; 17 holds every m in 0..2^16) adds
   * m[n][g] * acc_g into a 32-bit group accumulator per array PE (docs/accelerator.md "Per-group weight
   * scales"). Absent: grouped layers are refused.
   */
  accumulator: {
    bits: number;
    overflow: Extract<Overflow, 'WRAP' | 'SAT'>;
    chunk?: { length: number; wideBits: number };
    group?: { multiplierBits: number };
  };
  /** how accumulators are scaled back to the output format */
  requant: RequantConfig;
  /** the XNOR-popcount unit used by bipolar layers */
  xnor: XnorConfig;
  /** on-chip buffer sizes in bytes (0..2^40): weights, activations, outputs / partial sums */
  buffers: { weightBytes: number; activationBytes: number; outputBytes: number };
  /** clock frequency in MHz (0.001..100000) */
  clockMHz: number;
  /** off-chip bandwidth in bytes per cycle (0.001..65536) */
  offchipBytesPerCycle: number;
}

// ---------------------------------------------------------------------------------------------------
// Validation, loading, derived quantities
// ---------------------------------------------------------------------------------------------------

export const DATAFLOWS: readonly Dataflow[] = ['os', 'ws', 'is'];

/** Allowed range of each numeric field (inclusive), one table for the parser, the docs and the tests. */
export const DESIGN_LIMITS = {
  arrayDim: [1, 1024],
  operandBits: [1, 16],
  accBits: [2, 64],
  chunkLength: [1, 2 ** 31],
  groupMultiplierBits: [1, 17],
  outBits: [1, 16],
  bitsPerCycle: [1, 1024],
  thresholds: [1, 255],
  bufferBytes: [0, 2 ** 40],
  clockMHz: [0.001, 100000],
  offchipBytesPerCycle: [0.001, 65536],
} as const;

const OPERANDS = ['weight', 'activation'];

/** The keys of every object in a Design, for "unknown field" checks. */
const SHAPE: Record<string, readonly string[]> = {
  '': ['name', 'base', 'array', 'weight', 'activation', 'accumulator', 'requant', 'xnor', 'buffers', 'clockMHz',
    'offchipBytesPerCycle'],
  array: ['rows', 'cols', 'dataflow', 'pe'],
  weight: ['type', 'bits', 'signed'],
  activation: ['type', 'bits', 'signed'],
  'requant.out': ['type', 'bits', 'signed'],
  accumulator: ['bits', 'overflow', 'chunk', 'group'],
  'accumulator.chunk': ['length', 'wideBits'],
  'accumulator.group': ['multiplierBits'],
  requant: ['mode', 'rounding', 'granularity', 'outBits', 'outSigned', 'out', 'zeroPoint', 'relu'],
  xnor: ['bitsPerCycle', 'thresholds'],
  buffers: ['weightBytes', 'activationBytes', 'outputBytes'],
};

/**
 * Validates a JSON value as a Design. Every field is checked; an error names the field path
 * (`array.rows`), the value and the allowed range, prefixed by `source` (a file name) when given.
 * Unknown fields are rejected with a "did you mean" suggestion.
 *
 * `"base": "<preset>"` makes every field optional: missing fields come from that preset (objects are
 * merged one level deep, e.g. `{"base":"int8","array":{"rows":8}}` keeps `cols` and `dataflow`).
 * An operand is spelled `{bits, signed}` (OperandJson) or as its NumFormat (`{"type": "binary"}`,
 * `{"type": "int", "bits": 4, "signed": true}`, what JSON.stringify of a parsed Design writes); the
 * requantizer's output likewise as `outBits`/`outSigned` or as `out: <NumFormat>`.
 */
export function parseDesign(json: unknown, source?: string): Design {
  try {
    return parseInner(json);
  } catch (e) {
    if (e instanceof InputError && source !== undefined) throw new InputError(`${source}: ${e.message}`);
    throw e;
  }
}

function parseInner(json: unknown): Design {
  const root = obj(json, 'design');
  checkKeys(root, '');
  let src: Record<string, unknown> = root;
  if (root.base !== undefined) {
    const base = PRESETS[checkEnum('base', root.base, PRESET_NAMES)];
    src = designToJson(base);
    for (const [k, v] of Object.entries(root)) {
      if (k === 'base') continue;
      const b = src[k];
      // an operand given as a NumFormat (with `type`) replaces the base's
      src[k] = isObj(v) && isObj(b) && !(OPERANDS.includes(k) && 'type' in v) ? { ...b, ...v } : v;
      // a requant output given as `out` replaces the base's outBits/outSigned (designToJson's spelling)
      if (k === 'requant' && isObj(v) && isObj(b) && 'out' in v) {
        const { outBits: _b, outSigned: _s, ...rest } = src[k] as Record<string, unknown>;
        src[k] = rest;
      }
    }
  }
  const sub = (key: string): Record<string, unknown> => {
    const o = obj(src[key], key);
    checkKeys(o, key);
    return o;
  };
  const L = DESIGN_LIMITS;
  const a = sub('array');
  const operand = (key: 'weight' | 'activation'): NumFormat => {
    const o = sub(key);
    if (o.type === undefined) {
      return fromJsonOperand({ bits: checkInt(`${key}.bits`, o.bits, ...L.operandBits), signed: bool(o.signed, `${key}.signed`) });
    }
    return numFormatJson(o, key, L.operandBits, 'an operand format of the array');
  };
  const acc = sub('accumulator');
  const rq = sub('requant');
  const requantOut = (): NumFormat => {
    if (rq.out === undefined) {
      return fromJsonOperand({ bits: checkInt('requant.outBits', rq.outBits, ...L.outBits), signed: bool(rq.outSigned, 'requant.outSigned') });
    }
    if (rq.outBits !== undefined || rq.outSigned !== undefined) throw new InputError('requant: the output format is given twice; give outBits/outSigned or out, not both');
    const o = obj(rq.out, 'requant.out');
    checkKeys(o, 'requant.out');
    return numFormatJson(o, 'requant.out', L.outBits, 'an output format of a Design');
  };
  const xn = sub('xnor');
  const buf = sub('buffers');
  const d: Design = {
    name: str(src.name, 'name'),
    array: {
      rows: checkInt('array.rows', a.rows, ...L.arrayDim),
      cols: checkInt('array.cols', a.cols, ...L.arrayDim),
      dataflow: checkEnum('array.dataflow', a.dataflow, DATAFLOWS),
    },
    weight: operand('weight'),
    activation: operand('activation'),
    accumulator: {
      bits: checkInt('accumulator.bits', acc.bits, ...L.accBits),
      overflow: checkEnum('accumulator.overflow', acc.overflow, ['WRAP', 'SAT'] as const),
    },
    requant: {
      mode: checkEnum('requant.mode', rq.mode, ['double', 'single', 'shift'] as const),
      rounding: checkEnum('requant.rounding', rq.rounding, ROUNDINGS),
      granularity: checkEnum('requant.granularity', rq.granularity, ['channel', 'tensor'] as const),
      out: requantOut(),
      zeroPoint: 0,
      relu: bool(rq.relu, 'requant.relu'),
    },
    xnor: {
      bitsPerCycle: checkInt('xnor.bitsPerCycle', xn.bitsPerCycle, ...L.bitsPerCycle),
      thresholds: checkInt('xnor.thresholds', xn.thresholds, ...L.thresholds),
    },
    buffers: {
      weightBytes: checkInt('buffers.weightBytes', buf.weightBytes, ...L.bufferBytes),
      activationBytes: checkInt('buffers.activationBytes', buf.activationBytes, ...L.bufferBytes),
      outputBytes: checkInt('buffers.outputBytes', buf.outputBytes, ...L.bufferBytes),
    },
    clockMHz: num(src.clockMHz, 'clockMHz', ...L.clockMHz),
    offchipBytesPerCycle: num(src.offchipBytesPerCycle, 'offchipBytesPerCycle', ...L.offchipBytesPerCycle),
  };
  if (a.pe !== undefined) d.array.pe = checkEnum('array.pe', a.pe, PE_KINDS);
  if (acc.chunk !== undefined) {
    const ch = obj(acc.chunk, 'accumulator.chunk');
    checkKeys(ch, 'accumulator.chunk');
    d.accumulator.chunk = {
      length: checkInt('accumulator.chunk.length', ch.length, ...L.chunkLength),
      wideBits: checkInt('accumulator.chunk.wideBits', ch.wideBits, d.accumulator.bits, L.accBits[1]),
    };
  }
  if (acc.group !== undefined) {
    const gr = obj(acc.group, 'accumulator.group');
    checkKeys(gr, 'accumulator.group');
    d.accumulator.group = { multiplierBits: checkInt('accumulator.group.multiplierBits', gr.multiplierBits, ...L.groupMultiplierBits) };
  }
  // a binary output has no zero point: its values are -1 and +1
  const { min: zlo, max: zhi } = d.requant.out.type === 'binary' ? { min: 0, max: 0 } : formatRange(d.requant.out);
  d.requant.zeroPoint = checkInt('requant.zeroPoint', rq.zeroPoint, zlo, zhi);
  return d;
}

/**
 * A format in the NumFormat spelling (`{"type": "binary"}` or `{"type": "int", bits, signed}`, what
 * JSON.stringify of a parsed Design writes) at `path`; int widths within `bits`. A 1-bit signed int
 * ({-1, 0}) is refused (it is not `role`): a Design's 1-bit signed format is binary.
 */
function numFormatJson(o: Record<string, unknown>, path: string, bits: readonly [number, number], role: string): NumFormat {
  if (checkEnum(`${path}.type`, o.type, ['int', 'binary'] as const) === 'binary') {
    if (o.bits !== undefined || o.signed !== undefined) throw new InputError(`${path}: a binary format has no bits or signed; give {"type": "binary"} alone`);
    return BINARY;
  }
  const b = checkInt(`${path}.bits`, o.bits, ...bits);
  const signed = bool(o.signed, `${path}.signed`);
  if (b === 1 && signed) throw new InputError(`${path}: a 1-bit signed int ({-1, 0}) is not ${role}; use {"type": "binary"} for ±1`);
  return intFormat(b, signed);
}

/**
 * Loads a Design from a preset name or a JSON file path, then applies command-line overrides:
 * `array: 'RxC'` (e.g. `'8x32'`) and `dataflow: 'os'|'ws'|'is'`. The result is validated again.
 */
export function loadDesign(presetOrPath: string, overrides: { array?: string; dataflow?: string } = {}): Design {
  let d: Design;
  if (Object.prototype.hasOwnProperty.call(PRESETS, presetOrPath)) {
    d = structuredClone(PRESETS[presetOrPath as keyof typeof PRESETS]);
  } else if (existsSync(presetOrPath)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(presetOrPath, 'utf8'));
    } catch (e) {
      throw new InputError(`${presetOrPath}: not valid JSON (${(e as Error).message})`);
    }
    d = parseDesign(json, presetOrPath);
  } else {
    throw badValue('design', presetOrPath, `a preset (${PRESET_NAMES.join(', ')}) or an existing JSON file${didYouMean(presetOrPath, PRESET_NAMES)}`);
  }
  if (overrides.array !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(overrides.array);
    if (!m) throw badValue('array', overrides.array, 'ROWSxCOLS, e.g. 16x16');
    d.array.rows = checkInt('array rows', Number(m[1]), ...DESIGN_LIMITS.arrayDim);
    d.array.cols = checkInt('array cols', Number(m[2]), ...DESIGN_LIMITS.arrayDim);
  }
  if (overrides.dataflow !== undefined) d.array.dataflow = checkEnum('dataflow', overrides.dataflow, DATAFLOWS);
  return d;
}

// --- small validators --------------------------------------------------------------------------------

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (!isObj(v)) throw badValue(path, v, 'an object');
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) throw badValue(path, v, 'a non-empty string');
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw badValue(path, v, 'true or false');
  return v;
}

function num(v: unknown, path: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw badValue(path, v, `a number ${lo}..${hi}`);
  return v;
}

function checkKeys(o: Record<string, unknown>, path: string): void {
  const allowed = SHAPE[path];
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    const near = closest(k, allowed);
    const where = path === '' ? k : `${path}.${k}`;
    throw new InputError(`${where}: unknown field${near ? `; did you mean "${near}"?` : ''} (allowed: ${allowed.join(', ')})`);
  }
}

// --- derived quantities -------------------------------------------------------------------------------

/** A Design operand's name: `int8`, `uint4`, `bipolar` (binary ±1). */
export function operandName(f: NumFormat): string {
  return f.type === 'binary' ? 'bipolar' : formatName(f);
}

/** A Design in its JSON spelling: what `parseDesign` reads back to an equal Design. */
export function designToJson(d: Design): Record<string, unknown> {
  const { out, ...rq } = structuredClone(d.requant);
  const o = toJsonOperand(out);
  const { mode, rounding, granularity, ...rest } = rq;
  return {
    ...structuredClone(d), weight: toJsonOperand(d.weight), activation: toJsonOperand(d.activation),
    requant: { mode, rounding, granularity, outBits: o.bits, outSigned: o.signed, ...rest },
  };
}

/** [min, max] of a number format, as the derived ranges below are written. */
function rangePair(f: NumFormat): [number, number] {
  const r = formatRange(f);
  return [r.min, r.max];
}

/** Smallest two's-complement width holding every integer in [lo, hi]. */
export function signedBitsFor(lo: bigint, hi: bigint): number {
  let b = 1;
  while (lo < -(1n << BigInt(b - 1)) || hi > (1n << BigInt(b - 1)) - 1n) b++;
  return b;
}

/**
 * Quantities derived from a Design, computed here once (docs/architecture.md convention 2).
 * - `productRange`/`productBits`: exact range of `w * a` over the operand ranges, and the signed width
 *   that holds it (signed x signed W,A bits: W + A; bipolar x bipolar: 2).
 * - `accBitsNeeded(K)`: smallest signed accumulator width that holds every sum of K products, computed
 *   exactly from `K * productRange`. It never exceeds the textbook rule `accBitsRule(K) = W + A +
 *   ceil(log2 K)` (+1 when both operands are unsigned, since the accumulator is signed) and equals it for
 *   signed x signed operands when K is a power of two.
 * - `maxExactK`: the largest K for which the design's accumulator can never overflow (capped at 2^40).
 * - `weightsPerWord`: weights packed per 32-bit word (`floor(32 / weight.bits)`, no element straddles a
 *   word), `packedWordsPerRow(K) = ceil(K / weightsPerWord)`.
 * - `xnor`: both operands bipolar (1-bit signed = ±1), so layers may run on the XNOR-popcount unit.
 * - `peakMacsPerCycle = rows * cols` (the systolic array, which runs every format, bipolar included);
 *   `peakOpsPerSecond = 2 * peakMacsPerCycle * clockMHz * 1e6`; `xnorMacsPerCycle = xnor.bitsPerCycle`
 *   (the XNOR-popcount unit: one ±1 MAC per lane per cycle).
 * With `k` given, the K-dependent fields are filled in for that K.
 */
export interface DerivedDesign {
  pes: number;
  xnor: boolean;
  weightRange: [number, number];
  activationRange: [number, number];
  outRange: [number, number];
  productRange: [number, number];
  productBits: number;
  accFormat: IntFormat;
  accBitsNeeded(k: number): number;
  accBitsRule(k: number): number;
  maxExactK: number;
  weightsPerWord: number;
  packedWordsPerRow(k: number): number;
  peakMacsPerCycle: number;
  peakOpsPerSecond: number;
  xnorMacsPerCycle: number;
  k?: number;
  /** for `k`: accBitsNeeded(k) */
  accBitsForK?: number;
  /** for `k`: true when a sum of k products can overflow the accumulator */
  overflowPossible?: boolean;
  /** for `k`: packedWordsPerRow(k) */
  wordsPerRow?: number;
}

export function deriveDesign(d: Design, k?: number): DerivedDesign {
  const w = rangePair(d.weight);
  const a = rangePair(d.activation);
  const corners = [w[0] * a[0], w[0] * a[1], w[1] * a[0], w[1] * a[1]];
  const pLo = Math.min(...corners);
  const pHi = Math.max(...corners);
  const accBitsNeeded = (kk: number): number => {
    checkInt('K', kk, 1, 2 ** 40);
    return signedBitsFor(BigInt(pLo) * BigInt(kk), BigInt(pHi) * BigInt(kk));
  };
  // largest K with K*range inside the accumulator: binary search on the monotone accBitsNeeded
  let lo = 0;
  let hi = 2 ** 40;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (accBitsNeeded(mid) <= d.accumulator.bits) lo = mid;
    else hi = mid - 1;
  }
  const xnor = d.weight.type === 'binary' && d.activation.type === 'binary';
  const weightsPerWord = Math.floor(32 / formatBits(d.weight));
  const packedWordsPerRow = (kk: number): number => Math.ceil(checkInt('K', kk, 0, 2 ** 40) / weightsPerWord);
  const peakMacsPerCycle = d.array.rows * d.array.cols;
  const out: DerivedDesign = {
    pes: d.array.rows * d.array.cols,
    xnor,
    weightRange: w,
    activationRange: a,
    outRange: rangePair(d.requant.out),
    productRange: [pLo, pHi],
    productBits: signedBitsFor(BigInt(pLo), BigInt(pHi)),
    accFormat: intFormat(d.accumulator.bits, true),
    accBitsNeeded,
    accBitsRule: (kk: number): number =>
      formatBits(d.weight) + formatBits(d.activation) + clog2(checkInt('K', kk, 1, 2 ** 40)) +
      (formatSigned(d.weight) || formatSigned(d.activation) ? 0 : 1),
    maxExactK: lo,
    weightsPerWord,
    packedWordsPerRow,
    peakMacsPerCycle,
    peakOpsPerSecond: 2 * peakMacsPerCycle * d.clockMHz * 1e6,
    xnorMacsPerCycle: d.xnor.bitsPerCycle,
  };
  if (k !== undefined) {
    out.k = k;
    out.accBitsForK = accBitsNeeded(k);
    out.overflowPossible = out.accBitsForK > d.accumulator.bits;
    out.wordsPerRow = packedWordsPerRow(k);
  }
  return out;
}
