import type { Design } from '../../hw/design.js';
import { InputError } from '../../util/errors.js';
import { closest } from '../../util/suggest.js';
import { BIND_MODEL_TABLE } from './model_table.js';
import type { BindModel } from './models.js';
import type { RtlPort } from './ports.js';
import type { Binding, LaneOrder, StreamBinding } from './spec.js';

/**
 * A binding checked against the RTL's real port list and the model's operand formats under a Design:
 * every width known, every lane count fixed. All the checks that need no simulation happen here, each
 * failing with one line naming the bind.json field and the RTL port.
 */
export interface ResolvedField {
  operand: string;
  port: string;
  width: number;
  lanes: number;
  laneBits: number;
  signed: boolean;
  order: LaneOrder;
}

export interface ResolvedStream {
  where: string;
  valid?: string;
  ready?: string;
  fields: ResolvedField[];
}

export interface ResolvedBinding {
  binding: Binding;
  model: BindModel;
  ins: ResolvedStream[];
  outs: ResolvedStream[];
  /** model accelerator: the parameter image's load stream (fields addr, data: one unsigned word each) */
  load?: ResolvedStream;
  /** lanes of every bound operand */
  lanes: Record<string, number>;
  /** the bound operands */
  bound: Set<string>;
  constants: { port: string; width: number; value: bigint }[];
}

/** `model` replaces the table's model (the accelerator's, made from its network); `on` names what gives the formats. */
export function resolveBinding(b: Binding, design: Design, ports: RtlPort[], top: string, given?: { model: BindModel; on: string }): ResolvedBinding {
  const on = given?.on ?? `design ${design.name}`;
  const fail = (where: string, msg: string): never => {
    throw new InputError(`${b.source}: ${where}: ${msg}`);
  };
  const byName = new Map(ports.map((p) => [p.name, p]));
  const rtl = (name: string, where: string, dir: 'in' | 'out', width?: number): RtlPort => {
    const p = byName.get(name);
    if (p === undefined) {
      const near = closest(name, ports.map((q) => q.name));
      fail(where, `RTL port ${name} is not a port of ${top}${near !== undefined ? `; did you mean ${near}?` : ''} (its ports: ${ports.map((q) => q.name).join(', ')})`);
    }
    if (p!.dir !== dir) fail(where, `RTL port ${name} is an ${p!.dir === 'in' ? 'input' : 'output'} of ${top}; this field needs an ${dir === 'in' ? 'input' : 'output'}`);
    if (width !== undefined && p!.width !== width) fail(where, `RTL port ${name} is ${p!.width} bits wide; expected ${width}`);
    return p!;
  };
  if (b.model === 'accelerator' && given === undefined) throw new InputError(`${b.source}: model: an accelerator binding checks a network: give --model (a models/NAME folder or a shipped model)`);
  const model = given?.model ?? BIND_MODEL_TABLE[b.model as Exclude<typeof b.model, 'accelerator'>];
  if (given === undefined) model.checkDesign?.(design);
  rtl(b.clock, 'clock', 'in', 1);
  rtl(b.reset.port, 'reset.port', 'in', 1);

  const lanes: Record<string, number> = {};
  const bound = new Set<string>();
  const resolveStreams = (list: StreamBinding[], dir: 'in' | 'out'): ResolvedStream[] =>
    list.map((s) => {
      // an input stream's valid is driven by lowbit (an RTL input), its ready by the RTL; outputs the reverse
      if (s.valid !== undefined) rtl(s.valid, `${s.where}.valid`, dir, 1);
      if (s.ready !== undefined) rtl(s.ready, `${s.where}.ready`, dir === 'in' ? 'out' : 'in', 1);
      const fields = s.fields.map((f): ResolvedField => {
        const where = `${s.where}.fields.${f.operand}`;
        const def = model.operands.find((o) => o.name === f.operand && o.dir === dir);
        if (def === undefined) {
          const names = model.operands.filter((o) => o.dir === dir).map((o) => o.name);
          const near = closest(f.operand, names);
          fail(where, `model ${model.name} has no ${dir === 'in' ? 'input' : 'result'} operand ${f.operand}${near !== undefined ? `; did you mean ${near}?` : ''} (allowed: ${names.join(', ')})`);
        }
        if (bound.has(f.operand)) fail(where, `operand ${f.operand} is bound twice`);
        bound.add(f.operand);
        const p = rtl(f.port, `${where}.port`, dir);
        const fmt = def!.format(design);
        const tag = `${where} (port ${f.port}, ${p.width} bits)`;
        if (f.laneBits !== undefined && f.laneBits !== fmt.bits) fail(tag, `laneBits ${f.laneBits}, but ${model.name} on ${on} has ${fmt.bits}-bit ${def!.describe}; set laneBits ${fmt.bits} or choose the ${given === undefined ? 'design' : 'model'} whose format the RTL has`);
        if (f.signed !== undefined && f.signed !== fmt.signed) fail(tag, `signed ${f.signed}, but ${model.name} on ${on} has ${fmt.signed ? 'signed' : 'unsigned'} ${def!.describe}`);
        const n = f.lanes ?? p.width / fmt.bits;
        if (!Number.isInteger(n) || n * fmt.bits !== p.width) {
          fail(tag, `the port must hold a whole number of ${fmt.bits}-bit lanes${f.lanes !== undefined ? ` (lanes ${f.lanes} x ${fmt.bits} = ${f.lanes * fmt.bits} bits)` : ''}; fix the port width or laneBits/lanes`);
        }
        const want = def!.lanes;
        if (want !== 'any' && 'fixed' in want && n !== want.fixed) fail(tag, `${f.operand} has ${want.fixed} lane(s) of ${fmt.bits} bits, i.e. a ${want.fixed * fmt.bits}-bit port`);
        lanes[f.operand] = n;
        return { operand: f.operand, port: f.port, width: p.width, lanes: n, laneBits: fmt.bits, signed: fmt.signed, order: f.order };
      });
      return { where: s.where, valid: s.valid, ready: s.ready, fields };
    });
  const ins = resolveStreams(b.inputs, 'in');
  const outs = resolveStreams(b.outputs, 'out');
  let load: ResolvedStream | undefined;
  if (b.load !== undefined) {
    const l = b.load;
    rtl(l.valid!, 'load.valid', 'in', 1);
    if (l.ready !== undefined) rtl(l.ready, 'load.ready', 'out', 1);
    const fields = l.fields.map((f): ResolvedField => {
      const p = rtl(f.port, `load.fields.${f.operand}.port`, 'in');
      return { operand: f.operand, port: f.port, width: p.width, lanes: 1, laneBits: p.width, signed: false, order: 'lsb-first' };
    });
    load = { where: 'load', valid: l.valid, ready: l.ready, fields };
  }
  for (const o of model.operands) {
    if (!o.optional && !bound.has(o.name)) fail(o.dir === 'in' ? 'inputs' : 'outputs', `model ${model.name} needs operand ${o.name} (${o.describe}) bound to an RTL port`);
    const want = o.lanes;
    if (bound.has(o.name) && want !== 'any' && 'sameAs' in want && lanes[o.name] !== lanes[want.sameAs]) {
      const f = [...ins, ...outs].flatMap((s) => s.fields.map((x) => ({ s, x }))).find((e) => e.x.operand === o.name)!;
      fail(`${f.s.where}.fields.${o.name} (port ${f.x.port}, ${f.x.width} bits)`, `${lanes[o.name]} lanes, but ${want.sameAs} has ${lanes[want.sameAs]}; both operands of a dot product have the same lanes`);
    }
  }
  const badLanes = model.checkLanes?.(lanes);
  if (badLanes !== undefined) fail('fields', badLanes);
  const constants = Object.entries(b.constants).map(([port, value]) => {
    const p = rtl(port, `constants.${port}`, 'in');
    const span = 1n << BigInt(p.width);
    if (value >= span || value < -(span >> 1n)) fail(`constants.${port}`, `value ${value} does not fit the ${p.width}-bit port ${port}`);
    return { port, width: p.width, value: BigInt.asUintN(p.width, value) };
  });
  const used = new Set<string>([b.clock, b.reset.port, ...constants.map((c) => c.port)]);
  for (const s of [...ins, ...outs, ...(load !== undefined ? [load] : [])]) {
    for (const n of [s.valid, s.ready, ...s.fields.map((f) => f.port)]) if (n !== undefined) used.add(n);
  }
  for (const p of ports) {
    if (p.dir === 'in' && !used.has(p.name)) fail('constants', `RTL input port ${p.name} (${p.width} bits) of ${top} is not bound; bind it in a stream or tie it off in "constants": {"${p.name}": 0}`);
  }
  return { binding: b, model, ins, outs, load, lanes, bound, constants };
}

/** Packs a transaction field's lane values into the port's bit pattern. */
export function packField(f: ResolvedField, values: bigint[]): bigint {
  let v = 0n;
  const lb = BigInt(f.laneBits);
  for (let i = 0; i < f.lanes; i++) {
    const pos = f.order === 'lsb-first' ? i : f.lanes - 1 - i;
    v |= BigInt.asUintN(f.laneBits, values[i]) << (BigInt(pos) * lb);
  }
  return v;
}

/** Unpacks a port's bit pattern into lane values (signed when the field is). */
export function unpackField(f: ResolvedField, bits: bigint): bigint[] {
  const lb = BigInt(f.laneBits);
  const out: bigint[] = new Array(f.lanes);
  for (let i = 0; i < f.lanes; i++) {
    const pos = f.order === 'lsb-first' ? i : f.lanes - 1 - i;
    const raw = BigInt.asUintN(f.laneBits, bits >> (BigInt(pos) * lb));
    out[i] = f.signed ? BigInt.asIntN(f.laneBits, raw) : raw;
  }
  return out;
}
