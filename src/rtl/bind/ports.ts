import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, ToolError } from '../../util/errors.js';
import { verilatorCommand, verilatorVersion } from '../build.js';
import { runTool } from '../proc.js';

/**
 * The port list of a user's top module, read from Verilator itself (`verilator --xml-only`, with the same
 * files, include dirs, defines and parameters as the build), so a binding is checked against the real
 * widths before anything is simulated. Only ports of a plain packed vector type (`logic [N-1:0]`, `wire`,
 * `bit`, signed or not) are supported; an unpacked array, struct or interface port is rejected naming it.
 */
export interface RtlPort {
  name: string;
  dir: 'in' | 'out';
  width: number;
}

export interface RtlSources {
  /** absolute paths of the RTL files */
  files: string[];
  top: string;
  includeDirs: string[];
  /** `NAME` or `NAME=VALUE` (passed as -D) */
  defines: string[];
  /** Verilog parameter overrides (-G) */
  parameters: Record<string, string>;
}

/** The Verilator arguments that select the sources: -I, -D, -G (the build adds its own on top). */
export function sourceArgs(src: RtlSources): string[] {
  return [
    ...src.includeDirs.map((d) => `-I${d}`),
    ...src.defines.map((d) => `-D${d}`),
    ...Object.keys(src.parameters).sort().map((k) => `-G${k}=${src.parameters[k]}`),
  ];
}

/** Parses Verilator's XML for the top module's ports. */
export function parsePortsXml(xml: string, top: string): RtlPort[] {
  const mod = /<module\b[^>]*\bname="([^"]+)"[^>]*\btopModule="1"[^>]*>([\s\S]*?)<\/module>/.exec(xml);
  if (mod === null) throw new ToolError(`verilator --xml-only: no top module ${top} in its output`);
  const types = new Map<string, { width: number } | { kind: string }>();
  for (const m of xml.matchAll(/<(\w+)\b([^>]*)\bid="(\d+)"([^>]*)\/?>/g)) {
    const attrs = m[2] + m[4];
    if (m[1] === 'basicdtype') {
      const l = /\bleft="(-?\d+)"/.exec(attrs);
      const r = /\bright="(-?\d+)"/.exec(attrs);
      types.set(m[3], { width: l && r ? Math.abs(Number(l[1]) - Number(r[1])) + 1 : 1 });
    } else if (m[1].endsWith('dtype')) {
      types.set(m[3], { kind: m[1].replace(/dtype$/, '') });
    }
  }
  const ports: RtlPort[] = [];
  for (const v of mod[2].matchAll(/<var\b([^>]*)\/?>/g)) {
    const a = v[1];
    const dir = /\bdir="(\w+)"/.exec(a)?.[1];
    if (dir === undefined) continue;
    const name = /\bname="([^"]+)"/.exec(a)![1];
    if (dir !== 'input' && dir !== 'output') throw new InputError(`top ${top}: port ${name} is ${dir}; lowbit drives only input and output ports`);
    const t = types.get(/\bdtype_id="(\d+)"/.exec(a)?.[1] ?? '');
    if (t === undefined || !('width' in t)) {
      throw new InputError(`top ${top}: port ${name} has a ${t && 'kind' in t ? t.kind : 'non-vector'} type; bind a top whose ports are plain packed vectors (wrap the module if needed)`);
    }
    ports.push({ name, dir: dir === 'input' ? 'in' : 'out', width: t.width });
  }
  return ports;
}

/** Runs `verilator --xml-only` on the sources and returns the top module's ports (errors: ToolError, exit 2). */
export async function readRtlPorts(src: RtlSources): Promise<RtlPort[]> {
  verilatorVersion();
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-ports-'));
  try {
    const out = join(dir, 'top.xml');
    const args = ['--xml-only', '--xml-output', out, '-Mdir', dir, '-Wno-fatal', '--top-module', src.top, ...sourceArgs(src), ...src.files];
    const res = await runTool(verilatorCommand(), args);
    if (res.code !== 0) {
      const errs = (res.stderr + res.stdout).split('\n').filter((l) => /%Error/.test(l));
      throw new ToolError(`verilator could not read the RTL (top ${src.top}): ${(errs[0] ?? res.stderr.trim().split('\n')[0] ?? '').trim()}${errs.length > 1 ? ` (+${errs.length - 1} more errors)` : ''}`);
    }
    return parsePortsXml(readFileSync(out, 'utf8'), src.top);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
