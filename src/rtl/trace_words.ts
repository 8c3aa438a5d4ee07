import { InputError, ToolError } from '../util/errors.js';
import { portWords } from './harness.js';
import type { Mismatch, Comparison } from './compare.js';
import { toBits, type TraceSignalSpec } from './unit.js';

/**
 * Traced registers as harness words (no VCD in the passing case; docs/verify.md, "Traced registers").
 *
 * A build that lists traced registers (`BuildRequest.traced`, paths below the top module) makes them
 * readable from C++ (a Verilator config file marks them `public_flat_rd`) and the generated port header
 * copies them, after the output ports, into each cycle's output vector at the same sample point as the
 * outputs (the low phase after the inputs are applied, as the VCD's time `10 * (t + 2)`). So a cycle's
 * output vector is `strideWords(outputs)` words of ports, then `ceil(w_k / 32)` words of each traced
 * register k in list order. The widths come from Verilator's own declarations after verilating
 * (`tracedWidths`), are stored with the build (build.json), and are never declared by hand.
 */

export interface TracedRegister {
  /** path below the top module, as in `TraceSignalSpec.vcd` (e.g. `acc_q` or `g_row[0].u_pe.acc_q`) */
  path: string;
  width: number;
}

/** Verilator's flat C++ name of a signal of the top module: `<top>__DOT__a__DOT__b`, `[i]` as `__BRA__i__KET__`. */
export function verilatorName(top: string, path: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_$]*(\[\d+\])?)*$/.test(path)) {
    throw new InputError(`trace signal ${JSON.stringify(path)}: expected a dotted path of Verilog identifiers (with [i] generate indices), e.g. g_row[0].u_pe.acc_q`);
  }
  return `${top}__DOT__${path.replace(/\./g, '__DOT__').replace(/\[/g, '__BRA__').replace(/\]/g, '__KET__')}`;
}

/** The Verilator config file that keeps the traced registers as public members (any module: the leaf name). */
export function tracedConfig(paths: string[]): string {
  const leaves = [...new Set(paths.map((p) => p.slice(p.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '')))];
  return ['`verilator_config', ...leaves.map((v) => `public_flat_rd -module "*" -var "${v}"`), ''].join('\n');
}

/** Header lines: the words of each traced register (by its C++ type: (sizeof + 3) / 4 = ceil(width / 32)). */
export function tracedWordsExpr(top: string, paths: string[]): string {
  return paths.map((p) => ` + (sizeof(Vtop___024root::${verilatorName(top, p)}) + 3) / 4`).join('');
}

/** Header lines of `lb_get_outputs` that copy the traced registers after the ports (from word `off`). */
export function tracedCopyLines(top: string, paths: string[], off: number): string[] {
  const lines: string[] = [];
  let at = `${off}`;
  for (const p of paths) {
    const n = verilatorName(top, p);
    lines.push(`  lb_get(m->rootp->${n}, w + ${at});  // traced ${p}`);
    at += ` + (sizeof(m->rootp->${n}) + 3) / 4`;
  }
  return lines;
}

/**
 * The traced registers' widths from Verilator's root class header (`Vtop___024root.h`, declarations such
 * as `IData/*31:0*\/ mac_pe__DOT__acc_q;`). A register Verilator did not keep is an error naming it.
 */
export function tracedWidths(unit: string, top: string, paths: string[], rootHeader: string): TracedRegister[] {
  return paths.map((path) => {
    const name = verilatorName(top, path);
    const m = new RegExp(`(?:[CSIQ]Data|VlWide<\\d+>)\\s*/\\*(\\d+):(\\d+)\\*/\\s*${name.replace(/\$/g, '\\$')};`).exec(rootHeader);
    if (m === null) {
      throw new ToolError(`${unit}: traced register ${path} (C++ ${name}) is not a packed member of Verilator's root class; check the path in traceSignals()`);
    }
    return { path, width: Number(m[1]) - Number(m[2]) + 1 };
  });
}

/** Words per cycle the traced registers add to the output vector. */
export function tracedWords(regs: readonly TracedRegister[]): number {
  let n = 0;
  for (const r of regs) n += portWords(r.width);
  return n;
}

/**
 * The traced registers against the model: register k in cycle t (its words at `t * stride + base +` the
 * words of the registers before it: in the simulator's output vectors, `stride` = ports' + traced words and
 * `base` = the ports' words) against
 * `trace[spec.model][t]` (signed or unsigned pattern of the register's width, else an error as `toBits`).
 * Same result as `compareTrace` on the VCD: the first bad cycle of each register counts, the lowest wins.
 */
export function compareTraceWords(
  unit: string,
  specs: TraceSignalSpec[],
  regs: readonly TracedRegister[],
  trace: Record<string, ArrayLike<number | bigint>> | undefined,
  words: Uint32Array,
  cycles: number,
  stride = tracedWords(regs),
  base = 0,
): Comparison {
  if (words.length < cycles * stride) throw new InputError(`${unit}: ${words.length} words of traced registers for ${cycles} cycles of ${stride} words`);
  let first: Mismatch | undefined;
  let bad = 0;
  let off = base;
  specs.forEach((spec, i) => {
    const { width } = regs[i];
    const exp = trace?.[spec.model];
    if (exp === undefined) throw new InputError(`${unit}: traceSignals() lists model key ${spec.model} but model() returned no trace.${spec.model}`);
    if (exp.length !== cycles) throw new InputError(`${unit}: model trace.${spec.model} has ${exp.length} values; expected ${cycles} (one per cycle)`);
    const n = portWords(width);
    const spanN = 2 ** width; // the range check below; exact for width <= 64
    for (let t = 0; t < cycles; t++) {
      const x = exp[t];
      const at = t * stride + off;
      // fast paths for exact numbers (the mismatch itself is found below, on BigInt)
      if (typeof x === 'number' && Number.isSafeInteger(x) && x >= -spanN / 2 && x < spanN) {
        if (n === 1) {
          if ((x < 0 ? x + spanN : x) === words[at]) continue;
        } else if (n === 2) {
          // x = q * 2^32 + lo with 0 <= lo < 2^32 (exact: a power-of-two division); the pattern's top word is q mod 2^(w-32)
          const q = Math.floor(x / 4294967296);
          if (x - q * 4294967296 === words[at] && (q < 0 ? q + 2 ** (width - 32) : q) === words[at + 1]) continue;
        }
      }
      const ev = toBits(typeof x === 'bigint' ? x : BigInt(x), width, `${unit}: model trace.${spec.model} in cycle ${t}`);
      let av = 0n;
      for (let k = n - 1; k >= 0; k--) av = (av << 32n) | BigInt(words[at + k]);
      if (av !== ev) {
        bad++;
        if (first === undefined || t < first.cycle) first = { kind: 'trace', cycle: t, signal: `${spec.vcd} (model: ${spec.model})`, width, signed: false, expected: ev, actual: av };
        break; // the first bad cycle of each register is enough
      }
    }
    off += n;
  });
  return { first, outputCycles: 0, badRegisters: bad, cycles };
}
