import type { ArgumentsCamelCase } from 'yargs';
import type { SimArgs } from '../args/simulate.js';
import { formatRange, type NumFormat } from '../../arith/format.js';
import { deriveDesign, loadDesign, operandName, type Design } from '../../hw/design.js';
import { checkGemmRequest, simulateGemm } from '../../hw/gemm_schedule.js';
import { checkAlloc } from '../../util/budget.js';
import { checkNpyOut, given, notApplicable } from '../options.js';
import { gemmCycles } from '../../hw/cost.js';
import { CheckFailedError, InputError, badValue, checkInt } from '../../util/errors.js';
import { readNpy, writeNpy, type NpyArray } from '../../util/npy.js';
import { progress } from '../../util/progress.js';
import { Rng } from '../../util/rng.js';

/**
 * `lowbit simulate`: runs one GEMM `Y = A W` on a Design — the fast functional path (gemmInt values +
 * the analytic cycle count) or, with `--cycle-accurate`, the cycle-stepped systolic-array model.
 * `--check` runs both and fails (exit 1) unless Y and the cycle count agree exactly.
 */

export function designFromArgv(argv: { design: string; array?: string; dataflow?: string }): Design {
  return loadDesign(argv.design, { array: argv.array, dataflow: argv.dataflow });
}

/** Parses `M,K,N` (each 1..2^31). */
export function parseShape(name: string, s: string): { M: number; K: number; N: number } {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*$/.exec(s);
  if (!m) throw badValue(name, s, 'M,K,N — three positive integers, e.g. 64,784,256');
  const [M, K, N] = [1, 2, 3].map((i, j) => checkInt(`${name} ${'MKN'[j]}`, Number(m[i]), 1, 2 ** 31));
  return { M, K, N };
}

/** Uniform random operands over the format's range (bipolar: -1 / +1). */
export function randomOperand(rng: Rng, len: number, f: NumFormat): Int32Array {
  const { min: lo, max: hi } = formatRange(f);
  const x = new Int32Array(len);
  if (f.type === 'binary') for (let i = 0; i < len; i++) x[i] = rng.u32() & 1 ? 1 : -1;
  else for (let i = 0; i < len; i++) x[i] = rng.int(lo, hi);
  return x;
}

/** An operand read from .npy: 2-D, integer, every value in the Design's format. */
function operandFromNpy(path: string, role: 'activation' | 'weight', f: NumFormat): { data: Int32Array; rows: number; cols: number } {
  const a: NpyArray = readNpy(path);
  if (a.shape.length !== 2) throw new InputError(`${path}: expected a 2-D array, got shape (${a.shape.join(', ')})`);
  if (a.dtype === 'float32') throw new InputError(`${path}: expected integer ${role}s, got float32; quantize first`);
  const { min: lo, max: hi } = formatRange(f);
  const bipolar = f.type === 'binary';
  const data = new Int32Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const v = Number(a.data[i]);
    if (v < lo || v > hi || (bipolar && v === 0)) {
      const at = `[${Math.floor(i / a.shape[1])}, ${i % a.shape[1]}]`;
      throw new InputError(`${path}: value ${v} at ${at} is outside the design's ${role} format ${operandName(f)} (${bipolar ? '-1 or +1' : `${lo}..${hi}`})`);
    }
    data[i] = v;
  }
  return { data, rows: a.shape[0], cols: a.shape[1] };
}

/** FNV-1a (32-bit) of the bytes of a typed array: a short fingerprint of Y. */
export function fnv1a(x: ArrayBufferView): string {
  const b = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Runs `lowbit simulate` (its options: cli/args/simulate.ts). */
export function simulateHandler(argv: ArgumentsCamelCase<SimArgs>): void {
  const design = designFromArgv(argv);
  checkInt('--seed', argv.seed, 0, 2 ** 32 - 1);
  notApplicable('--seed', given('seed') && argv.random === undefined, 'it seeds --random operands');
  checkNpyOut(argv.out, '--out', argv.force, { '-a': argv.a, '-w': argv.w });
  let A: Int32Array, W: Int32Array, M: number, K: number, N: number;
  let source: Record<string, unknown>;
  if (argv.random !== undefined) {
    ({ M, K, N } = parseShape('random', argv.random));
    checkGemmRequest(design, M, K, N, argv['cycle-accurate'] || argv.check);
    // operands A, W (int32) and output Y, times 2 for the kernel's working copies and the heap's slack:
    // measured peak RSS above node's start was 1.45-1.89x A+W+Y (docs/reliability.md)
    checkAlloc(`--random ${argv.random} (operands A, W, output Y and working copies)`, 2 * (4 * (M * K + K * N) + (design.accumulator.bits > 32 ? 8 : 4) * M * N));
    const seed = checkInt('seed', argv.seed, 0, 2 ** 32 - 1);
    const rng = new Rng(seed);
    A = randomOperand(rng, M * K, design.activation);
    W = randomOperand(rng, K * N, design.weight);
    source = { random: [M, K, N], seed };
  } else {
    const a = operandFromNpy(argv.a!, 'activation', design.activation);
    const w = operandFromNpy(argv.w!, 'weight', design.weight);
    if (a.cols !== w.rows) throw new InputError(`${argv.a} is ${a.rows}x${a.cols} but ${argv.w} is ${w.rows}x${w.cols}: A's columns must equal W's rows (K)`);
    [A, W, M, K, N] = [a.data, w.data, a.rows, a.cols, w.cols];
    source = { a: argv.a, w: argv.w };
    if (M === 0 || K === 0 || N === 0) throw new InputError(`${argv.a}, ${argv.w}: empty matrices (M=${M}, K=${K}, N=${N})`);
  }
  const total = gemmCycles(design, M, K, N).cycles;
  const bar = argv['cycle-accurate'] || argv.check ? progress('simulate (cycles)', total) : undefined;
  const onCycle = (t: number): void => {
    if ((t & 4095) === 4095) bar?.tick(4096);
  };
  const run = simulateGemm(design, A, W, M, K, N, { cycleAccurate: argv['cycle-accurate'], onCycle });
  let check: Record<string, unknown> | undefined;
  if (argv.check) {
    const other = simulateGemm(design, A, W, M, K, N, { cycleAccurate: !argv['cycle-accurate'], onCycle });
    let mismatches = 0;
    for (let i = 0; i < M * N; i++) if (run.Y[i] !== other.Y[i]) mismatches++;
    check = { yMismatches: mismatches, cyclesFunctional: argv['cycle-accurate'] ? other.cycles : run.cycles,
      cyclesCycleAccurate: argv['cycle-accurate'] ? run.cycles : other.cycles };
    if (mismatches > 0 || run.cycles !== other.cycles) {
      throw new CheckFailedError(`simulate --check: the cycle-accurate and functional paths disagree: ${mismatches} of ${M * N} outputs differ, cycles ${check.cyclesCycleAccurate} vs ${check.cyclesFunctional}`);
    }
  }
  bar?.stop();
  if (argv.out) writeNpy(argv.out, { data: run.Y, shape: [M, N] });
  const dd = deriveDesign(design, K);
  const s = run.stats;
  const result = {
    design: design.name, array: `${design.array.rows}x${design.array.cols}`, dataflow: design.array.dataflow,
    weight: operandName(design.weight), activation: operandName(design.activation),
    accumulator: { ...design.accumulator, bitsNeeded: dd.accBitsForK, overflowPossible: dd.overflowPossible },
    M, K, N, source, cycleAccurate: argv['cycle-accurate'], cycles: run.cycles,
    utilization: s.utilization, latencySeconds: s.latencySeconds, boundBy: s.boundBy, macsPerSecond: s.macsPerSecond,
    y: { dtype: run.Y instanceof BigInt64Array ? 'int64' : 'int32', shape: [M, N], fnv1a: fnv1a(run.Y) },
    ...(argv.out ? { out: argv.out } : {}),
    ...(check ? { check } : {}),
  };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const lines = [
    `design       ${design.name}: ${result.array} ${result.dataflow}, ${result.weight} x ${result.activation}, acc ${design.accumulator.bits}-bit ${design.accumulator.overflow}` +
      ` (K=${K} needs ${dd.accBitsForK} bits${dd.overflowPossible ? ': overflow possible' : ''})`,
    `gemm         M=${M} K=${K} N=${N} (${argv.random !== undefined ? `random, seed ${argv.seed}` : `${argv.a} x ${argv.w}`})`,
    `cycles       ${run.cycles} (${argv['cycle-accurate'] ? 'cycle-accurate model' : 'functional path, analytic count'})`,
    `utilization  ${(100 * s.utilization).toFixed(2)} %`,
    `latency      ${(s.latencySeconds * 1e6).toFixed(3)} us at ${design.clockMHz} MHz (${s.boundBy} bound), ${(s.macsPerSecond / 1e9).toFixed(3)} GMAC/s`,
    `Y            ${M}x${N} ${result.y.dtype}, fnv1a ${result.y.fnv1a}${argv.out ? `, written to ${argv.out}` : ''}`,
  ];
  if (check) lines.push(`check        cycle-accurate and functional paths agree: Y identical, ${run.cycles} cycles`);
  process.stdout.write(lines.join('\n') + '\n');
}
