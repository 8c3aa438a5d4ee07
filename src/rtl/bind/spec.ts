import { InputError } from '../../util/errors.js';
import { readInputText } from '../../util/fsafe.js';
import { closest } from '../../util/suggest.js';

/**
 * A port binding (`bind.json`): how a user's RTL top module maps onto one of lowbit's golden models,
 * so `lowbit verify --rtl ... --bind bind.json` can drive and check it without a harness. The JSON Schema
 * of the file is `schema/bind.schema.json` (shipped); `parseBinding` applies the same rules and names the
 * field (`inputs[0].fields.a.order`) and, where there is one, the RTL port in every error.
 *
 * Terms. A *stream* is a group of ports that moves one *transaction* per handshake: the handshake happens
 * at a rising clock edge when `valid` (driven by the producer) and `ready` (driven by the consumer) are
 * both 1 in the cycle before it; a stream without `ready` is always ready (every stream has a `valid`). A *field* is one port of a stream holding one model operand:
 * `lanes` elements of `laneBits` bits each, lane 0 in the least significant bits (`order: "lsb-first"`)
 * or in the most significant ones (`"msb-first"`), two's complement when `signed`.
 * Input transaction k of the model is the k-th transaction of every input stream (a join); output
 * transaction k of the model is the k-th of every output stream.
 */

/** The transaction-level golden models a binding can name (src/rtl/bind/models.ts). */
export const BIND_MODELS = ['mac_pe', 'gemm', 'xnor_popcount', 'bit_serial', 'requantizer', 'accelerator'] as const;
export type BindModelName = (typeof BIND_MODELS)[number];

export type LaneOrder = 'lsb-first' | 'msb-first';

export interface FieldBinding {
  /** the model operand, e.g. `a` */
  operand: string;
  /** the RTL port */
  port: string;
  /** elements in the port; default: what the port width and laneBits give */
  lanes?: number;
  /** bits per element; default: the model's format for the operand */
  laneBits?: number;
  /** two's complement elements; default: the model's format */
  signed?: boolean;
  order: LaneOrder;
}

export interface StreamBinding {
  /** `inputs[0]`, for messages */
  where: string;
  valid?: string;
  ready?: string;
  fields: FieldBinding[];
}

export type Timing = { mode: 'transaction' } | { mode: 'cycle'; latency: number };

export interface Binding {
  /** the file it came from (messages) */
  source: string;
  model: BindModelName;
  clock: string;
  reset: { port: string; active: 'high' | 'low'; cycles: number };
  inputs: StreamBinding[];
  outputs: StreamBinding[];
  /** model `accelerator`: the parameter image's stream (fields `addr`, `data`; src/rtl/bind/param_image.ts) */
  load?: StreamBinding;
  /** input ports held at a constant value (anything else the DUT has besides the bound ports) */
  constants: Record<string, bigint>;
  timing: Timing;
  /** stimulus shaping: probability that an input stream offers a transaction in a cycle it has one; that an output stream is ready */
  validRate: number;
  readyRate: number;
  /** beats per model transaction group (e.g. beats per dot product when `last` is bound): [min, max] */
  beats: [number, number];
}

/** The allowed keys of every object in a binding (schema/bind.schema.json lists the same; a test checks it). */
export const BIND_KEYS: Record<string, readonly string[]> = {
  '': ['$schema', 'model', 'clock', 'reset', 'load', 'inputs', 'outputs', 'constants', 'timing', 'stimulus'],
  reset: ['port', 'active', 'cycles'],
  stream: ['valid', 'ready', 'fields'],
  field: ['port', 'lanes', 'laneBits', 'signed', 'order'],
  timing: ['mode', 'latency'],
  stimulus: ['validRate', 'readyRate', 'beats'],
  unit: ['$schema', 'unit', 'clock', 'reset', 'ports', 'constants', 'parameters', 'latency'],
  unitPort: ['port', 'laneBits', 'order'],
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Field-naming JSON reader shared by the binding parsers (stream bindings here, unit bindings in unit_bind.ts). */
export class Reader {
  constructor(readonly source: string) {}

  fail(where: string, msg: string): never {
    throw new InputError(`${this.source}: ${where}: ${msg}`);
  }

  obj(v: unknown, where: string, shape: string): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(where || 'top level', 'expected a JSON object');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!BIND_KEYS[shape].includes(k)) {
        const near = closest(k, BIND_KEYS[shape]);
        this.fail(where ? `${where}.${k}` : k, `unknown field${near !== undefined ? `; did you mean ${near}?` : ''} (allowed: ${BIND_KEYS[shape].join(', ')})`);
      }
    }
    return o;
  }

  port(v: unknown, where: string): string {
    if (typeof v !== 'string' || !IDENT.test(v)) this.fail(where, `got ${JSON.stringify(v)}; allowed: an RTL port name`);
    return v;
  }

  int(v: unknown, where: string, lo: number, hi: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) this.fail(where, `got ${JSON.stringify(v)}; allowed: an integer ${lo}..${hi}`);
    return v;
  }

  rate(v: unknown, where: string): number {
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) this.fail(where, `got ${JSON.stringify(v)}; allowed: a number in (0, 1]`);
    return v;
  }

  enumOf<T extends string>(v: unknown, where: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(where, `got ${JSON.stringify(v)}; allowed: ${allowed.join(', ')}`);
    return v as T;
  }
}

/** `reset`: {port, active, cycles (default 2)}. */
export function readReset(r: Reader, v: unknown): Binding['reset'] {
  const ro = r.obj(v, 'reset', 'reset');
  return {
    port: r.port(ro.port, 'reset.port'),
    active: r.enumOf(ro.active, `reset.active (port ${String(ro.port)})`, ['high', 'low'] as const),
    cycles: ro.cycles === undefined ? 2 : r.int(ro.cycles, 'reset.cycles', 1, 1000),
  };
}

/** `constants`: {"port": integer or decimal/0x-hex string}. */
export function readConstants(r: Reader, v: unknown): Record<string, bigint> {
  const constants: Record<string, bigint> = {};
  if (v === undefined) return constants;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) r.fail('constants', 'expected an object {"port": value}');
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    r.port(k, `constants.${k}`);
    if (typeof x === 'number' && Number.isSafeInteger(x)) constants[k] = BigInt(x);
    else if (typeof x === 'string' && /^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(x)) constants[k] = x.startsWith('-') ? -BigInt(x.slice(1)) : BigInt(x);
    else r.fail(`constants.${k} (port ${k})`, `got ${JSON.stringify(x)}; allowed: an integer or a decimal/0x-hex string`);
  }
  return constants;
}

function readStream(r: Reader, v: unknown, where: string): StreamBinding {
  const o = r.obj(v, where, 'stream');
  const s: StreamBinding = { where, fields: [] };
  if (o.valid !== undefined) s.valid = r.port(o.valid, `${where}.valid`);
  if (o.ready !== undefined) s.ready = r.port(o.ready, `${where}.ready`);
  const f = o.fields;
  if (f === null || typeof f !== 'object' || Array.isArray(f) || Object.keys(f).length === 0) {
    r.fail(`${where}.fields`, 'expected an object mapping model operands to ports, e.g. {"a": {"port": "a_data"}}');
  }
  for (const [operand, fv] of Object.entries(f as Record<string, unknown>)) {
    const fw = `${where}.fields.${operand}`;
    const fo = r.obj(typeof fv === 'string' ? { port: fv } : fv, fw, 'field');
    const field: FieldBinding = { operand, port: r.port(fo.port, `${fw}.port`), order: 'lsb-first' };
    if (fo.lanes !== undefined) field.lanes = r.int(fo.lanes, `${fw}.lanes (port ${field.port})`, 1, 65536);
    if (fo.laneBits !== undefined) field.laneBits = r.int(fo.laneBits, `${fw}.laneBits (port ${field.port})`, 1, 64);
    if (fo.signed !== undefined) {
      if (typeof fo.signed !== 'boolean') r.fail(`${fw}.signed (port ${field.port})`, `got ${JSON.stringify(fo.signed)}; allowed: true, false`);
      field.signed = fo.signed;
    }
    if (fo.order !== undefined) field.order = r.enumOf(fo.order, `${fw}.order (port ${field.port})`, ['lsb-first', 'msb-first'] as const);
    s.fields.push(field);
  }
  return s;
}

/** Validates a parsed bind.json (every field; unknown fields rejected with a suggestion). */
export function parseBinding(json: unknown, source = 'bind.json'): Binding {
  const r: Reader = new Reader(source);
  const o = r.obj(json, '', '');
  const model = r.enumOf(o.model, 'model', BIND_MODELS);
  const clock = r.port(o.clock, 'clock');
  const reset = readReset(r, o.reset);
  const list = (v: unknown, where: string): StreamBinding[] => {
    if (!Array.isArray(v) || v.length === 0) r.fail(where, 'expected a non-empty array of streams');
    if (v.length > 8) r.fail(where, `got ${v.length} streams; allowed: at most 8`);
    return v.map((s, i) => readStream(r, s, `${where}[${i}]`));
  };
  const inputs = list(o.inputs, 'inputs');
  const outputs = list(o.outputs, 'outputs');
  for (const s of inputs) if (s.valid === undefined) r.fail(`${s.where}.valid`, 'an input stream needs a valid port (it says which cycles carry a transaction)');
  for (const s of outputs) if (s.valid === undefined) r.fail(`${s.where}.valid`, 'an output stream needs a valid port (it says which cycles carry a result)');
  let load: StreamBinding | undefined;
  if (model === 'accelerator') {
    if (o.load === undefined) r.fail('load', 'model accelerator needs the load stream of the parameter image: {"valid": ..., "ready": ..., "fields": {"addr": ..., "data": ...}}');
    load = readStream(r, o.load, 'load');
    if (load.valid === undefined) r.fail('load.valid', 'the load stream needs a valid port');
    for (const f of load.fields) {
      if (f.operand !== 'addr' && f.operand !== 'data') r.fail(`load.fields.${f.operand}`, 'allowed: addr, data (the word address and the word)');
      if (f.lanes !== undefined || f.laneBits !== undefined || f.signed !== undefined || f.order !== 'lsb-first') r.fail(`load.fields.${f.operand} (port ${f.port})`, 'a load field is one unsigned word: give only its port');
    }
    for (const k of ['addr', 'data']) if (!load.fields.some((f) => f.operand === k)) r.fail(`load.fields.${k}`, `bind ${k} to an RTL input port`);
  } else if (o.load !== undefined) {
    r.fail('load', 'only model accelerator takes a load stream');
  }
  const constants = readConstants(r, o.constants);
  let timing: Timing = { mode: 'transaction' };
  if (o.timing !== undefined) {
    const to = r.obj(o.timing, 'timing', 'timing');
    const mode = r.enumOf(to.mode, 'timing.mode', ['transaction', 'cycle'] as const);
    if (mode === 'cycle') {
      if (to.latency === undefined) r.fail('timing.latency', 'cycle mode needs the latency in cycles (input handshake edge to the output valid cycle)');
      timing = { mode, latency: r.int(to.latency, 'timing.latency', 1, 10000) };
    } else if (to.latency !== undefined) {
      r.fail('timing.latency', 'a latency is only stated in cycle mode (timing.mode "cycle"); transaction mode measures it');
    }
  }
  let validRate = 0.8;
  let readyRate = 0.7;
  let beats: [number, number] = [1, 4];
  if (o.stimulus !== undefined) {
    const so = r.obj(o.stimulus, 'stimulus', 'stimulus');
    if (so.validRate !== undefined) validRate = r.rate(so.validRate, 'stimulus.validRate');
    if (so.readyRate !== undefined) readyRate = r.rate(so.readyRate, 'stimulus.readyRate');
    if (so.beats !== undefined) {
      if (!Array.isArray(so.beats) || so.beats.length !== 2) r.fail('stimulus.beats', 'expected [min, max]');
      const lo = r.int(so.beats[0], 'stimulus.beats[0]', 1, 1 << 20);
      beats = [lo, r.int(so.beats[1], 'stimulus.beats[1]', lo, 1 << 20)];
    }
  }
  if (timing.mode === 'cycle') {
    readyRate = 1; // cycle mode states exact output cycles: no backpressure
    for (const s of outputs) if (s.ready !== undefined && o.stimulus !== undefined && (o.stimulus as Record<string, unknown>).readyRate !== undefined) {
      r.fail('stimulus.readyRate', 'cycle mode holds every output ready (exact output cycles); drop readyRate or use transaction mode');
    }
  }
  const seen = new Map<string, string>();
  const claim = (port: string | undefined, where: string): void => {
    if (port === undefined) return;
    const prev = seen.get(port);
    if (prev !== undefined) r.fail(where, `port ${port} is already bound at ${prev}`);
    seen.set(port, where);
  };
  claim(clock, 'clock');
  claim(reset.port, 'reset.port');
  for (const s of [...inputs, ...outputs, ...(load !== undefined ? [load] : [])]) {
    claim(s.valid, `${s.where}.valid`);
    claim(s.ready, `${s.where}.ready`);
    for (const f of s.fields) claim(f.port, `${s.where}.fields.${f.operand}.port`);
  }
  for (const k of Object.keys(constants)) claim(k, `constants.${k}`);
  return { source, model, clock, reset, inputs, outputs, load, constants, timing, validRate, readyRate, beats };
}

/** Reads a bind.json file as JSON (errors name the file). */
export function readBindingJson(path: string): unknown {
  // a regular file of at most 16 MiB (never a device such as /dev/zero, read forever)
  const text = readInputText(path, '--bind', { maxBytes: 16 * 2 ** 20 });
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads and validates a stream binding file. */
export function loadBinding(path: string): Binding {
  return parseBinding(readBindingJson(path), path);
}

/** A unit binding (`"unit": ...`, src/rtl/bind/unit_bind.ts) rather than a stream binding (`"model": ...`). */
export function isUnitBinding(json: unknown): boolean {
  return json !== null && typeof json === 'object' && 'unit' in json;
}
