/**
 * Sub-byte integer packing (docs/arithmetic.md section 3, ONNX int4/int2 layout): `8 / bits` elements per byte,
 * **the first element in the lowest bits** (int4: element 2k in the low nibble of byte k, 2k+1 in the high
 * nibble). Values are stored as their low `bits` bits (two's complement for signed types); unpacking
 * sign-extends when `signed`. A trailing partial byte has its unused high bits 0.
 */
import { badValue } from '../util/errors.js';
import { formatRange, intFormat } from './format.js';

/** Element widths that pack evenly into bytes. */
export type PackBits = 1 | 2 | 4 | 8;

function checkBits(bits: number): void {
  if (bits !== 1 && bits !== 2 && bits !== 4 && bits !== 8) throw badValue('bits', bits, '1, 2, 4 or 8');
}

/** Bytes needed for n elements of `bits` bits. */
export function packedBytes(n: number, bits: PackBits): number {
  checkBits(bits);
  return Math.ceil((n * bits) / 8);
}

/**
 * Packs integers of `bits` bits, lowest bits first. Each value must fit the signed or unsigned range
 * of `bits` bits. `out` (optional) must hold `packedBytes(n, bits)` bytes; those bytes are overwritten.
 */
export function packSubByte(values: ArrayLike<number>, bits: PackBits, signed: boolean, out?: Uint8Array): Uint8Array {
  checkBits(bits);
  const n = values.length;
  const nb = packedBytes(n, bits);
  const o = out ?? new Uint8Array(nb);
  if (o.length < nb) throw badValue('out.length', o.length, `at least ${nb} bytes for ${n} ${bits}-bit values`);
  const { min: lo, max: hi } = formatRange(intFormat(bits, signed));
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  o.fill(0, 0, nb);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) throw badValue(`values[${i}]`, v, `an integer ${lo}..${hi}`);
    o[(i / per) | 0] |= (v & mask) << ((i % per) * bits);
  }
  return o;
}

/** Unpacks n elements of `bits` bits (lowest bits first), sign-extending when `signed`. */
export function unpackSubByte<T extends Int8Array | Uint8Array | Int32Array>(
  bytes: Uint8Array, n: number, bits: PackBits, signed: boolean, out: T,
): T {
  checkBits(bits);
  if (!Number.isInteger(n) || n < 0 || packedBytes(n, bits) > bytes.length) {
    throw badValue('n', n, `an integer 0..${Math.floor((bytes.length * 8) / bits)} (${bytes.length} bytes of ${bits}-bit values)`);
  }
  if (out.length < n) throw badValue('out.length', out.length, `at least n (${n})`);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const sh = 32 - bits;
  for (let i = 0; i < n; i++) {
    const u = (bytes[(i / per) | 0] >>> ((i % per) * bits)) & mask;
    out[i] = signed ? (u << sh) >> sh : u;
  }
  return out;
}
