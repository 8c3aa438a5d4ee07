/**
 * Number formats: one tagged type for every layer (the QuantizedModel's tensor formats, the Design's
 * operands, the quantizers' targets, the accelerator's lanes).
 *   int     `{type: 'int', bits, signed}`: bits 1..64, two's complement when signed, else unsigned;
 *           range [-2^(bits-1), 2^(bits-1) - 1] or [0, 2^bits - 1] (docs/arithmetic.md section 1);
 *   binary  `{type: 'binary'}`: the two values -1 and +1, one bit each, bit 1 = +1 (FINN;
 *           docs/arithmetic.md section 5). Its range is [-1, 1], of which only ±1 occur.
 * The tag is the `type` field of a tensor format in model.json. A 1-bit signed int is {-1, 0} — not
 * binary; the Design JSON spells binary as a 1-bit signed operand, converted once by `fromJsonOperand` (hw/design.ts).
 */
export type NumFormat = { type: 'int'; bits: number; signed: boolean } | { type: 'binary' };

/** The int variant: the format of arith's integer operations (castInt, wrapInt, ... in int.ts). */
export type IntFormat = Extract<NumFormat, { type: 'int' }>;

export const BINARY: NumFormat = { type: 'binary' };

export function intFormat(bits: number, signed: boolean): IntFormat {
  return { type: 'int', bits, signed };
}

/**
 * Inclusive integer range of a format: the one place it is computed. `narrow` drops the most negative
 * code of a signed int format (the symmetric range [-(2^(bits-1) - 1), 2^(bits-1) - 1]).
 * Bounds past 2^53 are the nearest doubles (formats wider than 53 bits).
 */
export function formatRange(f: NumFormat, narrow = false): { min: number; max: number } {
  if (f.type === 'binary') return { min: -1, max: 1 };
  if (!f.signed) return { min: 0, max: 2 ** f.bits - 1 };
  const h = 2 ** (f.bits - 1);
  return { min: narrow ? -(h - 1) : -h, max: h - 1 };
}

/** The narrowest int format holding [lo, hi] (signed when lo < 0; 32 bits when none of 1..32 does). */
export function smallestIntFormat(lo: number, hi: number): IntFormat {
  const signed = lo < 0;
  for (let b = 1; b <= 32; b++) {
    const r = formatRange(intFormat(b, signed));
    if (lo >= r.min && hi <= r.max) return intFormat(b, signed);
  }
  return intFormat(32, signed);
}

/** Whether the format holds negative values: a signed int, or binary (-1). */
export function formatSigned(f: NumFormat): boolean {
  return f.type === 'binary' || f.signed;
}

/** Storage bits of one value: `bits`, 1 for binary. */
export function formatBits(f: NumFormat): number {
  return f.type === 'binary' ? 1 : f.bits;
}

/**
 * The integer code a format stores per value (packed images, accelerator ports): an int format is its own
 * code; binary stores its bit (1 = +1, 0 = -1), a 1-bit unsigned code.
 */
export function codeFormat(f: NumFormat): IntFormat {
  return f.type === 'binary' ? intFormat(1, false) : f;
}

/** Human-readable format name: "int4", "uint8", "binary". */
export function formatName(f: NumFormat): string {
  return f.type === 'binary' ? 'binary' : `${f.signed ? 'int' : 'uint'}${f.bits}`;
}

/** ceil(log2 n) for an integer n >= 1, exactly (the address width of n words; 0 for n = 1). */
export function clog2(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`internal: clog2 of ${n}`);
  let b = 0;
  while (2 ** b < n) b++;
  return b;
}
