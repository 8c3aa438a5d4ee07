import { badValue, checkEnum, checkInt, InputError } from '../util/errors.js';
import { packRows, unpackRows } from './memimage.js';
import type { TensorFormat } from './types.js';

/**
 * Weight blobs: raw little-endian arrays, no header (the manifest names dtype and count).
 * dtype by format: binary -> `bits` (one bit per value, 1 = +1, value k in 32-bit LE word k>>5 at bit k&31,
 * the last word zero-padded); int of 1..8 bits -> int8/uint8; 9..16 -> int16/uint16; 17..32 -> int32.
 * Biases and thresholds are int32.
 */
export type BlobDtype = 'bits' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32';
export const BLOB_DTYPES: readonly BlobDtype[] = ['bits', 'int8', 'uint8', 'int16', 'uint16', 'int32'];

/** Reference to a blob in the manifest. */
export interface BlobRef {
  file: string;
  dtype: BlobDtype;
  /** number of values */
  count: number;
}

/** The blob dtype that stores a tensor format. */
export function dtypeFor(f: TensorFormat): BlobDtype {
  if (f.type === 'binary') return 'bits';
  if (f.bits <= 8) return f.signed ? 'int8' : 'uint8';
  if (f.bits <= 16) return f.signed ? 'int16' : 'uint16';
  return 'int32';
}

/** Bytes a blob of `count` values of `dtype` occupies. */
export function blobBytes(dtype: BlobDtype, count: number): number {
  switch (dtype) {
    case 'bits':
      return Math.ceil(count / 32) * 4;
    case 'int8':
    case 'uint8':
      return count;
    case 'int16':
    case 'uint16':
      return 2 * count;
    case 'int32':
      return 4 * count;
  }
}

/** Encodes values to blob bytes (little-endian). */
export function encodeBlob(values: Int32Array, dtype: BlobDtype): Uint8Array {
  const buf = new Uint8Array(blobBytes(dtype, values.length));
  const dv = new DataView(buf.buffer);
  const n = values.length;
  switch (dtype) {
    case 'bits': {
      const img = packRows(values, 1, n, { type: 'binary' }, 32);
      img.words.forEach((w, i) => dv.setUint32(4 * i, Number(w), true));
      break;
    }
    case 'int8':
      for (let i = 0; i < n; i++) dv.setInt8(i, values[i]!);
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) dv.setUint8(i, values[i]!);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) dv.setInt16(2 * i, values[i]!, true);
      break;
    case 'uint16':
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, values[i]!, true);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) dv.setInt32(4 * i, values[i]!, true);
      break;
  }
  return buf;
}

/** Decodes blob bytes; throws an InputError naming `file` when the size is not exactly right. */
export function decodeBlob(bytes: Uint8Array, ref: BlobRef, file: string): Int32Array {
  const want = blobBytes(ref.dtype, ref.count);
  if (bytes.length !== want) {
    throw new InputError(
      `${file}: got ${bytes.length} bytes; allowed: exactly ${want} bytes (${ref.count} x ${ref.dtype})` +
        (bytes.length < want ? ' — the blob is truncated' : ' — the blob is too long'),
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = ref.count;
  const out = new Int32Array(n);
  switch (ref.dtype) {
    case 'bits': {
      const words: bigint[] = [];
      for (let i = 0; i < want / 4; i++) words.push(BigInt(dv.getUint32(4 * i, true)));
      const fmt: TensorFormat = { type: 'binary' };
      return unpackRows({ wordBits: 32, elementBits: 1, perWord: 32, rows: 1, rowLength: n, wordsPerRow: words.length, words }, fmt);
    }
    case 'int8':
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) out[i] = dv.getUint8(i);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      break;
    case 'uint16':
      for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      break;
  }
  return out;
}

/** Parses a blob reference from the manifest. */
export function parseBlobRef(name: string, v: unknown): BlobRef {
  if (v === null || typeof v !== 'object') throw badValue(name, v, '{file, dtype, count}');
  const o = v as Record<string, unknown>;
  // the same rule the saver's names obey: relative, '/'-separated, no '.', '..' or empty component
  if (typeof o.file !== 'string' || !isInsideName(o.file)) throw badValue(`${name}.file`, o.file, 'a relative file name inside the model folder');
  return {
    file: o.file,
    dtype: checkEnum(`${name}.dtype`, o.dtype, BLOB_DTYPES),
    count: checkInt(`${name}.count`, o.count, 0, 2 ** 31 - 1),
  };
}

/** A relative path that stays inside its folder: '/'-separated parts, none empty, '.' or '..', no '\\' or NUL. */
export function isInsideName(file: string): boolean {
  if (file === '' || file.startsWith('/') || /[\\\0]/.test(file)) return false;
  return file.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}
