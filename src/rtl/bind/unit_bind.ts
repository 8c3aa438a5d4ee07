import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../util/errors.js';
import { closest } from '../../util/suggest.js';
import { cacheRoot } from '../build.js';
import type { PortSpec, UnitSpec } from '../unit.js';
import { UNITS, unitNames } from '../units/index.js';
import { selectDesigns, verifySpec, type VerifyResult } from '../verify.js';
import { readRtlPorts, type RtlPort, type RtlSources } from './ports.js';
import { readConstants, readReset, Reader, type LaneOrder } from './spec.js';
import { boundCommand, type BoundJob } from './verify.js';

/**
 * A *unit binding*: a user's RTL that implements one of lowbit's registered units (mac_pe, mac_array in
 * os/ws/is, requantizer, xnor_popcount) cycle for cycle, under its own port names, clock, reset polarity
 * and lane order. bind.json: `{"unit": "mac_array", "clock": "clk", "reset": {"port": "reset", "active":
 * "high"}, "ports": {"h_i": {"port": "a_bus", "laneBits": 8, "order": "msb-first"}, "y_o": "y_bus", ...},
 * "constants": {...}, "parameters": {...}}` — every port of the unit (docs/verify.md lists them, e.g.
 * `lowbit verify --unit mac_array` ports) mapped to a user port of the same width and direction.
 * lowbit generates a SystemVerilog wrapper `lowbit_bind_wrap` with the unit's ports (clk_i, rst_ni, ...)
 * that instantiates the user's top, inverts an active-high reset, reorders lanes given `msb-first` with the
 * streaming operator `{<<laneBits{x}}`, and ties the constants; then the unit's own check runs on it:
 * its stimulus, its TS model, every output port every cycle (lowbit's timing contract: 2 reset cycles,
 * outputs sampled before the rising edge). `parameters` (and `--param`) go to the user's instance.
 * `"latency": D` states a different pipeline depth: the user's outputs in cycle t are compared with the
 * unit's in cycle t - D, every output port, every cycle. D > 0 (a deeper pipeline): the unit's reset
 * outputs while t < D, the run D cycles longer; D < 0 (shallower): the user's last -D cycles have no
 * unit cycle to compare with and are not compared.
 */
export interface UnitBinding {
  source: string;
  unit: string;
  clock: string;
  reset: { port: string; active: 'high' | 'low' };
  /** lowbit port -> user port with lane packing */
  ports: Record<string, { port: string; laneBits?: number; order: LaneOrder }>;
  constants: Record<string, bigint>;
  parameters: Record<string, string>;
  /** cycles the user's outputs come after the unit's (its pipeline is `latency` stages deeper; < 0 shallower) */
  latency: number;
}

export function parseUnitBinding(json: unknown, source: string): UnitBinding {
  const r: Reader = new Reader(source);
  const o = r.obj(json, '', 'unit');
  if (typeof o.unit !== 'string' || UNITS.find((u) => u.name === o.unit) === undefined) {
    r.fail('unit', `got ${JSON.stringify(o.unit)}; allowed: ${unitNames().join(', ')}`);
  }
  const reset = readReset(r, o.reset);
  if (reset.cycles !== 2) r.fail('reset.cycles', 'a unit binding runs the unit harness, which resets for 2 cycles; drop reset.cycles');
  const ports: UnitBinding['ports'] = {};
  if (o.ports === null || typeof o.ports !== 'object' || Array.isArray(o.ports)) r.fail('ports', 'expected an object mapping the unit\'s ports to yours, e.g. {"h_i": "a_bus"}');
  for (const [k, v] of Object.entries(o.ports as Record<string, unknown>)) {
    const w = `ports.${k}`;
    const po = r.obj(typeof v === 'string' ? { port: v } : v, w, 'unitPort');
    const port = r.port(po.port, `${w}.port`);
    const order = po.order === undefined ? 'lsb-first' : r.enumOf(po.order, `${w}.order (port ${port})`, ['lsb-first', 'msb-first'] as const);
    const laneBits = po.laneBits === undefined ? undefined : r.int(po.laneBits, `${w}.laneBits (port ${port})`, 1, 65536);
    if (order === 'msb-first' && laneBits === undefined) r.fail(`${w}.laneBits (port ${port})`, 'msb-first needs the lane width to reorder the lanes');
    ports[k] = { port, laneBits, order };
  }
  const parameters: Record<string, string> = {};
  if (o.parameters !== undefined) {
    if (o.parameters === null || typeof o.parameters !== 'object' || Array.isArray(o.parameters)) r.fail('parameters', 'expected an object {"NAME": value}');
    for (const [k, v] of Object.entries(o.parameters as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) r.fail(`parameters.${k}`, 'not a Verilog parameter name');
      if (typeof v !== 'number' && typeof v !== 'string') r.fail(`parameters.${k}`, `got ${JSON.stringify(v)}; allowed: a number or a Verilog constant string`);
      parameters[k] = String(v);
    }
  }
  const latency = o.latency === undefined ? 0 : r.int(o.latency, 'latency', -1000, 1000);
  return { source, unit: o.unit as string, clock: r.port(o.clock, 'clock'), reset: { port: reset.port, active: reset.active }, ports, constants: readConstants(r, o.constants), parameters, latency };
}

/** Checks the mapping against the unit's ports and the user's real ports; returns the wrapper's SystemVerilog. */
export function unitWrapper(b: UnitBinding, unitPorts: PortSpec[], user: RtlPort[], top: string, params: Record<string, string>): string {
  const fail = (where: string, msg: string): never => {
    throw new InputError(`${b.source}: ${where}: ${msg}`);
  };
  const byName = new Map(user.map((p) => [p.name, p]));
  const userPort = (name: string, where: string, dir: 'in' | 'out', width: number): void => {
    const p = byName.get(name);
    if (p === undefined) {
      const near = closest(name, user.map((q) => q.name));
      fail(where, `RTL port ${name} is not a port of ${top}${near !== undefined ? `; did you mean ${near}?` : ''} (its ports: ${user.map((q) => q.name).join(', ')})`);
    }
    if (p!.dir !== dir) fail(where, `RTL port ${name} is an ${p!.dir === 'in' ? 'input' : 'output'} of ${top}; the unit's port is an ${dir === 'in' ? 'input' : 'output'}`);
    if (p!.width !== width) fail(where, `RTL port ${name} is ${p!.width} bits wide; expected ${width}`);
  };
  const names = unitPorts.map((p) => p.name);
  for (const k of Object.keys(b.ports)) {
    if (!names.includes(k)) {
      const near = closest(k, names);
      fail(`ports.${k}`, `unit ${b.unit} has no port ${k}${near !== undefined ? `; did you mean ${near}?` : ''} (its ports: ${names.join(', ')})`);
    }
  }
  userPort(b.clock, 'clock', 'in', 1);
  userPort(b.reset.port, 'reset.port', 'in', 1);
  const used = new Set([b.clock, b.reset.port]);
  const conns = [`    .${b.clock}(clk_i)`, `    .${b.reset.port}(${b.reset.active === 'high' ? '!rst_ni' : 'rst_ni'})`];
  const decls = ['  input  logic clk_i,', '  input  logic rst_ni,'];
  const body: string[] = [];
  for (const p of unitPorts) {
    const m = b.ports[p.name];
    if (m === undefined) fail('ports', `unit ${b.unit} port ${p.name} (${p.dir === 'in' ? 'input' : 'output'}, ${p.width} bits on this design) is not mapped to a port of ${top}`);
    const where = `ports.${p.name} (port ${m!.port})`;
    if (used.has(m!.port)) fail(where, `RTL port ${m!.port} is mapped twice`);
    used.add(m!.port);
    userPort(m!.port, where, p.dir, p.width);
    if (m!.laneBits !== undefined && p.width % m!.laneBits !== 0) fail(where, `${p.width} bits are not a whole number of ${m!.laneBits}-bit lanes`);
    const range = p.width > 1 ? `[${p.width - 1}:0] ` : '';
    decls.push(`  ${p.dir === 'in' ? 'input ' : 'output'} logic ${range}${p.name},`);
    const reorder = m!.order === 'msb-first' && p.width > m!.laneBits!;
    if (p.dir === 'in') {
      conns.push(`    .${m!.port}(${reorder ? `{<<${m!.laneBits}{${p.name}}}` : p.name})`);
    } else if (reorder) {
      body.push(`  logic ${range}${p.name}_w;`, `  assign ${p.name} = {<<${m!.laneBits}{${p.name}_w}};`);
      conns.push(`    .${m!.port}(${p.name}_w)`);
    } else {
      conns.push(`    .${m!.port}(${p.name})`);
    }
  }
  for (const [k, v] of Object.entries(b.constants)) {
    const p = byName.get(k);
    if (p === undefined || p.dir !== 'in') fail(`constants.${k}`, `${k} is not an input port of ${top}`);
    if (used.has(k)) fail(`constants.${k}`, `port ${k} is also mapped`);
    const span = 1n << BigInt(p!.width);
    if (v >= span || v < -(span >> 1n)) fail(`constants.${k}`, `value ${v} does not fit the ${p!.width}-bit port ${k}`);
    used.add(k);
    conns.push(`    .${k}(${p!.width}'h${BigInt.asUintN(p!.width, v).toString(16)})`);
  }
  for (const p of user) {
    if (p.dir === 'in' && !used.has(p.name)) fail('constants', `RTL input port ${p.name} (${p.width} bits) of ${top} is not mapped; map it in "ports" or tie it off in "constants": {"${p.name}": 0}`);
  }
  decls[decls.length - 1] = decls[decls.length - 1].replace(/,$/, '');
  const ps = Object.keys(params).sort().map((k) => `.${k}(${params[k]})`);
  return [
    `// Generated by lowbit (src/rtl/bind/unit_bind.ts) from a unit binding: unit ${b.unit}'s ports onto ${top}. Do not edit.`,
    '`default_nettype none',
    'module lowbit_bind_wrap (',
    ...decls,
    ');',
    ...body,
    `  ${top} ${ps.length > 0 ? `#(${ps.join(', ')}) ` : ''}u_dut (`,
    conns.join(',\n'),
    '  );',
    'endmodule',
    '`default_nettype wire',
    '',
  ].join('\n');
}

/** Runs the unit's own check on the user's RTL through the generated wrapper. */
export async function verifyUnitBound(job: BoundJob, json: unknown): Promise<VerifyResult> {
  const cwd = job.cwd ?? process.cwd();
  const b = parseUnitBinding(json, job.bind);
  if (job.model !== undefined) throw new InputError(`verify --rtl: --model goes with an accelerator binding; ${job.bind} binds unit ${b.unit}: give --design`);
  const spec = UNITS.find((u) => u.name === b.unit)!;
  const [chosen] = selectDesigns(spec, job.design);
  const params = { ...b.parameters, ...job.params };
  const files = job.files.map((f) => job.fileOverride?.[f] ?? resolve(cwd, f));
  const src: RtlSources = { files, top: job.top, includeDirs: job.includeDirs.map((d) => resolve(cwd, d)), defines: job.defines, parameters: params };
  const text = unitWrapper(b, spec.ports(chosen.design), await readRtlPorts(src), job.top, params);
  const dir = join(cacheRoot(job.cacheDir), 'bind', `lowbit_bind_wrap-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
  const wrap = join(dir, 'lowbit_bind_wrap.sv');
  if (!existsSync(wrap)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(wrap, text);
  }
  const wrapped: UnitSpec = {
    ...spec,
    name: `${job.top}-as-${spec.name}`,
    top: 'lowbit_bind_wrap',
    hdlFiles: () => [...files, wrap],
    parameters: () => ({}),
    traceSignals: undefined, // internal registers are the user's own
  };
  const r = await verifySpec(
    wrapped,
    { unit: spec.name, label: chosen.label, design: chosen.design, seed: job.seed, cases: job.cases, keepVcd: job.keepVcd, vcdDir: job.vcdDir, cacheDir: job.cacheDir, buildJobs: job.buildJobs },
    { verilatorArgs: [...src.includeDirs.map((d) => `-I${d}`), ...src.defines.map((d) => `-D${d}`)], command: boundCommand(job), outputDelay: b.latency },
  );
  if (r.report !== undefined && b.latency !== 0) {
    const lines = r.report.split('\n');
    const rel = b.latency > 0 ? `t - ${b.latency} of ${spec.name} (its reset outputs before that)` : `t + ${-b.latency} of ${spec.name}`;
    lines.splice(1, 0, `  latency ${b.latency}: cycle t of ${job.top} is compared with cycle ${rel}`);
    r.report = lines.join('\n');
  }
  return r;
}
