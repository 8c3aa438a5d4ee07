import { createHash } from 'node:crypto';
import { badValue, didYouMean, InputError } from '../util/errors.js';
import { checkDataKey } from '../util/keys.js';
import { checkAlloc } from '../util/budget.js';
import { readInputText } from '../util/fsafe.js';

/**
 * A design space for `lowbit sweep`: a base Design (preset name or inline object), axes to combine, and
 * the quantization schemes (each a shipped or user model plus the operand formats it needs).
 *
 * ```json
 * {
 *   "base": "int8",
 *   "schemes": {
 *     "w8a8": { "model": "models/sfc-w8a8", "design": { "weight.bits": 8, "activation.bits": 8 } },
 *     "w1a1": { "model": "models/sfc-w1a1", "design": { "weight.bits": 1, "activation.bits": 1 } }
 *   },
 *   "axes": { "scheme": ["w8a8", "w1a1"], "array": ["8x8", "16x16"], "array.dataflow": ["os", "ws"], "clockMHz": [200, 400] },
 *   "seed": 1
 * }
 * ```
 * Every axis value combines with every other (a Cartesian product, in the order the axes are listed, the
 * last axis varying fastest). `array` takes the `RxC` shorthand; any other axis is a dotted path into the
 * Design JSON (`requant.mode`, `accumulator.bits`, ...). A point is identified by its index and by a
 * stable key (`scheme=w1a1,array=8x8,...`), which resume and merge use.
 */
export type AxisValue = string | number | boolean;

export interface SpaceScheme {
  model: string;
  /** dotted-path overrides applied to the Design for this scheme */
  design: Record<string, AxisValue>;
}

export interface Space {
  base: string | Record<string, unknown>;
  schemes: Record<string, SpaceScheme>;
  axes: [string, AxisValue[]][];
  seed: number;
  /** images evaluated per point with --accuracy (0 = the whole test set) */
  images: number;
}

export interface Point {
  index: number;
  key: string;
  values: Record<string, AxisValue>;
}

const TOP_FIELDS = ['base', 'schemes', 'axes', 'seed', 'images'];

export function parseSpace(json: unknown, source = 'space'): Space {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InputError(`${source}: expected a JSON object with "base" and "axes" (see docs: lowbit sweep)`);
  }
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!TOP_FIELDS.includes(k)) throw badValue(`${source}: field ${JSON.stringify(k)}`, k, `one of ${TOP_FIELDS.join(', ')}${didYouMean(k, TOP_FIELDS)}`);
  const base = o.base ?? 'int8';
  if (typeof base !== 'string' && (base === null || typeof base !== 'object' || Array.isArray(base))) {
    throw badValue(`${source}: base`, base, 'a preset name or a Design object');
  }
  const schemes: Record<string, SpaceScheme> = {};
  const rawSchemes = o.schemes ?? {};
  if (rawSchemes === null || typeof rawSchemes !== 'object' || Array.isArray(rawSchemes)) throw badValue(`${source}: schemes`, rawSchemes, 'an object of name -> {model, design}');
  for (const [name, s] of Object.entries(rawSchemes as Record<string, unknown>)) {
    checkDataKey(`${source}: schemes`, name);
    const so = s as Record<string, unknown> | null;
    if (so === null || typeof so !== 'object' || typeof so.model !== 'string') throw badValue(`${source}: schemes.${name}.model`, so?.model, 'a model directory path');
    const d = so.design ?? {};
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw badValue(`${source}: schemes.${name}.design`, d, 'an object of dotted Design paths -> values');
    for (const [p, v] of Object.entries(d)) {
      checkDataKey(`${source}: schemes.${name}.design`, p, true);
      checkAxisValue(`${source}: schemes.${name}.design.${p}`, v);
    }
    schemes[name] = { model: so.model, design: d as Record<string, AxisValue> };
  }
  const rawAxes = o.axes;
  if (rawAxes === null || typeof rawAxes !== 'object' || Array.isArray(rawAxes) || Object.keys(rawAxes as object).length === 0) {
    throw badValue(`${source}: axes`, rawAxes, 'a non-empty object of axis -> list of values');
  }
  const axes: [string, AxisValue[]][] = [];
  for (const [name, vals] of Object.entries(rawAxes as Record<string, unknown>)) {
    checkDataKey(`${source}: axes`, name, true);
    if (!Array.isArray(vals) || vals.length === 0) throw badValue(`${source}: axes.${name}`, vals, 'a non-empty list of values');
    vals.forEach((v, i) => checkAxisValue(`${source}: axes.${name}[${i}]`, v));
    if (new Set(vals.map(String)).size !== vals.length) throw badValue(`${source}: axes.${name}`, vals, 'distinct values');
    if (name === 'scheme') {
      for (const v of vals) if (!(String(v) in schemes)) throw badValue(`${source}: axes.scheme`, v, `a scheme defined in "schemes" (${Object.keys(schemes).join(', ') || 'none defined'})${didYouMean(v, Object.keys(schemes))}`);
    }
    if (name === 'array') for (const v of vals) if (typeof v !== 'string' || !/^\d+x\d+$/.test(v)) throw badValue(`${source}: axes.array`, v, 'RxC, e.g. "16x16"');
    axes.push([name, vals as AxisValue[]]);
  }
  const seed = o.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw badValue(`${source}: seed`, seed, 'an integer 0..2^32-1');
  const images = o.images ?? 0;
  if (typeof images !== 'number' || !Number.isInteger(images) || images < 0 || images > 10000) throw badValue(`${source}: images`, images, 'an integer 0..10000 (0 = all)');
  const space: Space = { base: base as Space['base'], schemes, axes, seed, images };
  // the points' indices and results are held in memory (about 1 KiB each)
  checkAlloc(`${source}: a space of ${spaceSize(space)} points`, spaceSize(space) * 1024);
  return space;
}

function checkAxisValue(name: string, v: unknown): void {
  if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
    throw badValue(name, v, 'a string, number or boolean');
  }
}

export function loadSpace(path: string): Space {
  const text = readInputText(path, '--space');
  try {
    return parseSpace(JSON.parse(text), `space file ${path}`);
  } catch (e) {
    if (e instanceof SyntaxError) throw new InputError(`space file ${path}: not valid JSON (${e.message})`);
    throw e;
  }
}

/** Number of points: the product of the axis lengths. */
export function spaceSize(s: Space): number {
  return s.axes.reduce((n, [, v]) => n * v.length, 1);
}

/** The point at `index` (mixed-radix decoding, last axis fastest). */
export function pointAt(s: Space, index: number): Point {
  const values: Record<string, AxisValue> = {};
  let rest = index;
  for (let a = s.axes.length - 1; a >= 0; a--) {
    const [name, vals] = s.axes[a];
    values[name] = vals[rest % vals.length];
    rest = Math.floor(rest / vals.length);
  }
  const ordered: Record<string, AxisValue> = {};
  for (const [name] of s.axes) ordered[name] = values[name];
  return { index, key: s.axes.map(([n]) => `${n}=${ordered[n]}`).join(','), values: ordered };
}

/** Indices of shard `i` of `n` (0-based i): every n-th point starting at i, so shards are balanced. */
export function shardIndices(s: Space, i: number, n: number): number[] {
  const out: number[] = [];
  for (let k = i; k < spaceSize(s); k += n) out.push(k);
  return out;
}

/** A hash of the space (stable JSON), stored with results so merge and resume refuse mixed spaces. */
export function spaceHash(s: Space): string {
  return createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 16);
}

/** Parses `I/N` (1-based on the command line, like Slurm array indices shown to people). */
export function parseShard(text: string): { i: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) throw badValue('--shard', text, 'I/N with 1 <= I <= N, e.g. 2/8');
  return { i: i - 1, n };
}

/** The Design JSON for a point: base Design JSON with scheme overrides, then axis overrides, applied. */
export function applyPoint(baseJson: Record<string, unknown>, s: Space, p: Point): Record<string, unknown> {
  const d = structuredClone(baseJson);
  const scheme = p.values.scheme !== undefined ? s.schemes[String(p.values.scheme)] : undefined;
  for (const [path, v] of Object.entries(scheme?.design ?? {})) setPath(d, path, v);
  for (const [axis, v] of Object.entries(p.values)) {
    if (axis === 'scheme') continue;
    if (axis === 'array') {
      const [r, c] = String(v).split('x').map(Number);
      setPath(d, 'array.rows', r);
      setPath(d, 'array.cols', c);
    } else setPath(d, axis, v);
  }
  return d;
}

function setPath(obj: Record<string, unknown>, path: string, v: AxisValue): void {
  const parts = path.split('.');
  let cur: Record<string, unknown> = obj;
  const bad = (): Error => badValue(`axis ${path}`, path, `a dotted path into the Design (e.g. array.dataflow, requant.mode), scheme or array${didYouMean(path, ['scheme', 'array', ...leafPaths(obj)])}`);
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(cur, part) ? cur[part] : undefined;
    if (next === null || typeof next !== 'object') throw bad();
    cur = next as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (!Object.hasOwn(cur, last)) throw bad();
  cur[last] = v;
}

/** The dotted paths of the leaves of a Design object (`array.rows`, `requant.mode`, ...). */
function leafPaths(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
}
