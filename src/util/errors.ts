import { closest } from './suggest.js';

/**
 * Errors that carry the CLI exit code they map to (docs/architecture.md convention 10):
 * 0 ok, 1 a check failed (e.g. an RTL mismatch), 2 bad usage, bad input or a missing tool.
 */
export class LowbitError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: an argument, a config field or a file that is not what lowbit accepts. Exit 2. The message is
 * one line: control characters that came from the input (names in a file) are shown escaped. */
export class InputError extends LowbitError {
  constructor(message: string) {
    super(oneLine(message), 2);
  }
}

/** `s` with control characters (newlines included) escaped as in JSON, so it prints as one line. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An external tool (Verilator, Yosys, a C compiler) is missing or failed to build. Exit 2. */
export class ToolError extends LowbitError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A check ran and failed: a mismatch, an accuracy below its bar. Exit 1. */
export class CheckFailedError extends LowbitError {
  constructor(message: string) {
    super(message, 1);
  }
}

/**
 * The one way to reject a bad value: names the argument, the value and what is allowed.
 * `badValue('bits', 65, 'an integer 1..64')` -> "bits: got 65; allowed: an integer 1..64".
 */
export function badValue(name: string, value: unknown, allowed: string): InputError {
  return new InputError(`${name}: got ${formatValue(value)}; allowed: ${allowed}`);
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `[${v.length} items]`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v).slice(0, 80);
  return String(v);
}

/** Throws `badValue` unless `v` is an integer in [lo, hi]. */
export function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw badValue(name, v, `an integer ${lo}..${hi}`);
  }
  return v;
}

/** Throws `badValue` unless `v` is one of `allowed` (with "did you mean" for a near miss). */
export function checkEnum<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw badValue(name, v, `one of ${allowed.join(', ')}${didYouMean(v, allowed)}`);
  }
  return v as T;
}

/**
 * " (did you mean X?)" when a string `v` is near one of `allowed`, else "": the one "did you mean" of every
 * value a user types (names, presets, units, schemes, methods, formats). `show` turns the near name into
 * the whole suggestion when the name is part of a larger value (`frist=w8a8` -> `first=w8a8`).
 */
export function didYouMean(v: unknown, allowed: readonly string[], show: (near: string) => string = (n) => n): string {
  const near = typeof v === 'string' ? closest(v, allowed) : undefined;
  return near !== undefined ? ` (did you mean ${show(near)}?)` : '';
}

/** Throws `badValue` unless `v` is a finite number. */
export function checkFinite(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badValue(name, v, 'a finite number');
  return v;
}

/** Throws `badValue` naming the first element of `x` that is NaN or infinite. */
export function checkFiniteArray(name: string, x: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v !== 0) throw badValue(`${name}[${i}]`, v, 'a finite number (no NaN or infinity)');
  }
}

/** Throws `badValue` unless `s` is a finite scale > 0. */
export function checkScale(name: string, s: unknown): number {
  if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) throw badValue(name, s, 'a finite scale > 0');
  return s;
}
