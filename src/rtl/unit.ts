import type { Design } from '../hw/design.js';
import { InputError } from '../util/errors.js';

/**
 * The interface between a hardware unit and the co-simulation machinery (docs/verify.md, "Adding a unit").
 *
 * Each unit adapter `src/rtl/units/<unit>.ts` exports one `UnitSpec`. The machinery (src/rtl/) builds the
 * unit's RTL with Verilator, drives it with the adapter's stimulus and compares the RTL's outputs (and the
 * listed internal registers, through the VCD) with the adapter's TS model, bit-exactly, cycle by cycle.
 *
 * Timing, shared by the harness (sim/harness.cpp) and every TS model:
 *  - reset: `rst_ni` is held low for 2 cycles with every input 0, then released (high) for good;
 *  - then for cycle t = 0 .. stimulus.length-1: set all inputs to `stimulus[t]`, evaluate, SAMPLE all
 *    outputs (and traced registers) into `outputs[t]`, then one rising edge of `clk_i`;
 *  - so the model's expected sequence is `for t: out[t] = model.outputs(); model.step(in[t])`, with the
 *    model starting in its reset state. Every output port is registered, so `out[t]` depends on state only.
 *
 * Values: every port value is a BigInt holding the port's bit pattern. Stimulus and model values may be
 * given either as the unsigned pattern `0 <= v < 2^width` or as a signed two's complement value
 * `-2^(width-1) <= v < 0`; anything outside `[-2^(width-1), 2^width)` is a bug and is rejected with an
 * error naming the port (it is never silently masked). Comparison is on the unsigned patterns.
 */

/** One port of the top module. `clk_i` and `rst_ni` are implicit and never listed. */
export interface PortSpec {
  /** Verilog port name, e.g. `a_i` or `acc_o` */
  name: string;
  dir: 'in' | 'out';
  /** width in bits, >= 1 (ports wider than 64 bits are supported) */
  width: number;
  /** display hint for reports: show the value as signed two's complement too */
  signed?: boolean;
}

/** A named Design a unit is verified on (`lowbit verify --unit X --design <label>`). */
export interface UnitDesign {
  label: string;
  design: Design;
}

/** A register compared through the VCD: its path below the top module and its key in `ModelRun.trace`. */
export interface TraceSignalSpec {
  /**
   * the signal's hierarchical name below the top module, dot-separated, e.g. `acc_q` or `g_row[0].u_pe.acc_q`
   * (as it appears in the VCD scopes, without the `TOP.<top>` prefix)
   */
  vcd: string;
  /** key in `ModelRun.trace` */
  model: string;
}

/** What the TS model produces for one stimulus. */
export interface ModelRun {
  /** `outputs[t][j]`: output port j (in `ports()` order, outputs only) sampled in cycle t */
  outputs: bigint[][];
  /** `trace[key][t]`: the register's value sampled in cycle t (same sample point as outputs) */
  trace?: Record<string, bigint[]>;
}

/**
 * Port data as harness words (the encoding of src/rtl/harness.ts): cycle t's vector is
 * `words[t * S .. (t + 1) * S)`, S = `strideWords(ports)`, each port `ceil(width / 32)` uint32 words of its
 * unsigned bit pattern, least significant first.
 */
export interface WordsModelRun {
  /** the model's outputs, `strideWords(outputs)` words per cycle, one vector per stimulus cycle */
  outputs: Uint32Array;
  /** `trace[key][t]`: as `ModelRun.trace`, numbers allowed where exact */
  trace?: Record<string, ArrayLike<number | bigint>>;
}

/**
 * The typed fast path of a unit (optional): stimulus and model on harness words instead of per-cycle BigInt
 * rows. The machinery uses it when present; `unitFromWords` (src/rtl/unit_words.ts) derives the BigInt
 * `stimulus` and `model` from it, so a unit has one implementation of each. Values above a port's width
 * are rejected exactly as in the BigInt form.
 */
export interface UnitWords {
  stimulus(design: Design, seed: number, cases: number): Uint32Array;
  model(design: Design, stimulus: Uint32Array, run?: { seed: number; cases: number }): WordsModelRun;
}

export interface UnitSpec {
  /** unit name: matches `hdl/<name>.sv`, `src/hw/<name>.ts` and `src/rtl/units/<name>.ts` */
  name: string;
  /** top module name */
  top: string;
  /** SystemVerilog files, relative to the repository root, packages first, top included (the units: hdl_manifest.ts) */
  hdlFiles(design: Design): string[];
  /** Verilator arguments this unit's RTL needs on every build (accel_top: its loop-unrolling limit) */
  verilatorArgs?: readonly string[];
  /** Verilog parameter overrides (passed as `-G<name>=<value>`), mapped mechanically from the Design */
  parameters(design: Design): Record<string, number | string | bigint>;
  /** the port list (inputs and outputs, any order; stimulus and outputs follow this order per direction) */
  ports(design: Design): PortSpec[];
  /** the Designs the tests and `lowbit verify --all` cover (at least one) */
  designs(): UnitDesign[];
  /**
   * Seeded stimulus: per-cycle input vectors, `stim[t][i]` = value of the i-th input port (in `ports()`
   * order, inputs only) in cycle t. Random plus directed corner cases; `cases` scales the length. Include
   * enough trailing cycles to drain any pipeline. Must be deterministic in (design, seed, cases).
   */
  stimulus(design: Design, seed: number, cases: number): bigint[][];
  /**
   * Runs the TS cycle-stepped model over the stimulus (from its reset state). `run` is the seed and case
   * count the stimulus was made with (a unit whose memories are drawn from the seed needs it).
   */
  model(design: Design, stimulus: bigint[][], run?: { seed: number; cases: number }): ModelRun;
  /**
   * Files the simulator reads from its working directory (name -> text), e.g. `$readmemh` memory images
   * drawn from the seed (accel_top); the harness then runs as a process in a fresh folder holding them.
   */
  workFiles?(design: Design, seed: number, cases: number): Record<string, string>;
  /** the typed fast path (optional; the built-in units have it): see `UnitWords` */
  words?: UnitWords;
  /** internal registers to compare with the VCD trace (optional) */
  traceSignals?(design: Design): TraceSignalSpec[];
}

/** The unsigned bit pattern of `v` in `width` bits; throws naming `what` if `v` does not fit. */
export function toBits(v: bigint, width: number, what: string): bigint {
  const span = 1n << BigInt(width);
  if (v >= 0n) {
    if (v < span) return v;
  } else if (v >= -(span >> 1n)) {
    return v + span;
  }
  throw new InputError(
    `${what}: value ${v} does not fit a ${width}-bit port; allowed: ${-(span >> 1n)}..${span - 1n} ` +
      '(signed or unsigned bit pattern)',
  );
}

/** The signed two's complement value of an unsigned `width`-bit pattern. */
export function fromBitsSigned(v: bigint, width: number): bigint {
  return v >= 1n << BigInt(width - 1) ? v - (1n << BigInt(width)) : v;
}

/** The input ports of a unit, in order. */
export function inputPorts(ports: PortSpec[]): PortSpec[] {
  return ports.filter((p) => p.dir === 'in');
}

/** The output ports of a unit, in order. */
export function outputPorts(ports: PortSpec[]): PortSpec[] {
  return ports.filter((p) => p.dir === 'out');
}
