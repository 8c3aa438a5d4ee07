import type { Argv } from 'yargs';
import { badValue, InputError } from '../util/errors.js';
import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { checkOutputDir, checkOutputFile, sameFile, within, type DirOutput } from '../util/fsafe.js';

/**
 * Validation of command-line option values, shared by every command: each helper
 * takes the option's name as the user types it (`--epochs`) and throws the one-line InputError (exit 2)
 * naming the value and what is allowed. yargs parses a `number` option such as `--epochs abc` to NaN and
 * `--lr 1e999` to Infinity; these helpers refuse both. For a value from a list, `checkEnum` (util/errors.ts)
 * adds "did you mean".
 */

/** An integer in [lo, hi] (undefined passes through, for optional options). */
export function optInt<T extends number | undefined>(name: string, v: T, lo: number, hi: number): T {
  if (v === undefined) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw badValue(name, v, `an integer ${lo}..${hi}`);
  return v;
}

/** A finite number in [lo, hi], or in (lo, hi] / [lo, hi) / (lo, hi) with `open`. */
export function optNum<T extends number | undefined>(name: string, v: T, lo: number, hi: number, open: { lo?: boolean; hi?: boolean } = {}): T {
  if (v === undefined) return v;
  const ok = typeof v === 'number' && Number.isFinite(v) && (open.lo ? v > lo : v >= lo) && (open.hi ? v < hi : v <= hi);
  if (!ok) throw badValue(name, v, `a finite number ${open.lo ? '>' : '>='} ${lo} and ${open.hi ? '<' : '<='} ${hi}`);
  return v;
}

/** A comma-separated list of integers in [lo, hi], e.g. `--hidden 256,256`. */
export function optIntList(name: string, text: string, lo: number, hi: number): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const vals = parts.map(Number);
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p)) || vals.some((v) => !Number.isSafeInteger(v) || v < lo || v > hi)) {
    throw badValue(name, text, `comma-separated integers ${lo}..${hi}, e.g. 256,256`);
  }
  return vals;
}

/** Refuses `name` when it was given but does not apply (`why` says when it does; `fix` what to do instead). */
export function notApplicable(name: string, given: boolean, why: string, fix = 'remove it'): void {
  if (given) throw new InputError(`${name} does not apply here: ${why}; ${fix}`);
}

/** Refuses giving both `a` and `b`. */
export function conflicting(a: string, b: string, bothGiven: boolean, hint = ''): void {
  if (bothGiven) throw new InputError(`${a} and ${b} cannot be used together${hint ? `: ${hint}` : ''}`);
}

/** The `--force` option of a command that writes a folder or file (replace what lowbit did not write). */
export function withForce<T>(y: Argv<T>): Argv<T> {
  return y.option('force', { type: 'boolean', default: false, describe: 'replace --out even if it is not an earlier lowbit output of this kind (never one of the inputs)' }) as Argv<T>;
}

/** A command's input files and folders by option (`--checkpoint` -> path; an array option gives several). */
export type Inputs = Record<string, string | readonly string[] | undefined>;

/** Every (option, path) pair of `inputs` that exists (a missing one cannot be lost; a shipped model's name is not a path). */
function inputPaths(inputs: Inputs): [string, string][] {
  return Object.entries(inputs).flatMap(([opt, given]) => (given === undefined ? [] : typeof given === 'string' ? [given] : given).filter((p) => existsSync(p)).map((p): [string, string] => [opt, p]));
}

/**
 * Checks an output folder before the (possibly long) work starts (see fsafe.ts): never one of the command's
 * `inputs` nor a folder holding one (replacing it would delete the input), even with `force`.
 */
export function checkOutDir(dir: string | undefined, out: DirOutput, inputs: Inputs = {}): void {
  if (dir === undefined) return;
  const option = out.option ?? '--out';
  for (const [opt, input] of inputPaths(inputs)) {
    if (sameFile(dir, input)) throw new InputError(`${option} ${dir}: is the ${opt} folder or file; writing there would replace your input; choose another path`);
    if (within(input, dir)) throw new InputError(`${option} ${dir}: holds the ${opt} ${input}; replacing the folder would delete your input; choose another path`);
  }
  checkOutputDir(dir, out);
}

let rawArgs: readonly string[] = [];

/** Records the command line (main.ts does) so that `given` can tell a typed option from a default. */
export function setRawArgs(argv: readonly string[]): void {
  rawArgs = argv;
}

/** Was `--name` (or `--name=..`, `--no-name`) typed on the command line, rather than left to its default? */
export function given(name: string): boolean {
  const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return rawArgs.some((a) => {
    if (a === '--') return false;
    const flag = a.split('=')[0];
    return flag === `--${kebab}` || flag === `--no-${kebab}` || flag === `--${name}`;
  });
}

/**
 * Was `--name` typed asking for something? A boolean option typed as its "off" spelling (`--no-area`,
 * `--area=false`) asks for nothing, so it is harmless where the option does not apply; `value` is the
 * parsed value.
 */
export function givenOn(name: string, value: unknown): boolean {
  return given(name) && value !== false;
}

/** A kind of single-file output: the name's extension, what the file is (for messages), how to recognise one. */
export interface FileKind {
  ext: string;
  format: string;
  isOurs: (text: string) => boolean;
}

/** `.npy` outputs (infer, simulate): replaced only when they hold NumPy's magic. */
export const NPY_FILE: FileKind = { ext: '.npy', format: 'NumPy .npy files', isOurs: (t) => t.startsWith('\x93NUMPY') || t.startsWith('\uFFFDNUMPY') };

/**
 * Checks a single-file output before the work starts: its name must end in `kind.ext` (the name is how the
 * user's tools tell the format; matched without case), it must not be one of the command's input files
 * (`inputs`: option -> path; writing there would replace the input, even with `force`), and it must be
 * missing, an existing output of this kind (replaced) or `force`d; never another file.
 */
export function checkFileOut(path: string | undefined, option: string, kind: FileKind, force = false, inputs: Inputs = {}): void {
  if (path === undefined) return;
  if (path === '') throw new InputError(`${option}: empty; give a file name ending in ${kind.ext}`);
  if (/[\\/]$/.test(path) || isFolder(path)) {
    throw new InputError(`${option} ${path}: is a folder; give a file name ending in ${kind.ext} (e.g. ${join(path, `out${kind.ext}`)})`);
  }
  if (!path.toLowerCase().endsWith(kind.ext)) {
    const ext = extname(path);
    throw new InputError(`${option} ${path}: lowbit writes ${kind.format}; give a name ending in ${kind.ext} (e.g. ${ext ? path.slice(0, -ext.length) : path}${kind.ext})`);
  }
  for (const [opt, input] of inputPaths(inputs)) {
    if (sameFile(path, input)) throw new InputError(`${option} ${path}: is the ${opt} file; writing there would replace your input; choose another path`);
  }
  checkOutputFile(path, option, kind.isOurs, force);
}

/** `checkFileOut` for a `.npy` output. */
export function checkNpyOut(path: string | undefined, option: string, force = false, inputs: Inputs = {}): void {
  checkFileOut(path, option, NPY_FILE, force, inputs);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // missing or unreachable: the write reports it
  }
}
