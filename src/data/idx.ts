/**
 * IDX files (LeCun's MNIST container): a big-endian header, then the raw data.
 *
 *   bytes 0-1  zero
 *   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 *   byte  3    number of dimensions d
 *   4*d bytes  each dimension as a big-endian uint32
 *   then       prod(dims) elements, big-endian for multi-byte types
 *
 * uint8/int8 data (all of MNIST) is returned as a view on the file's buffer, with no copy. Multi-byte
 * types are converted from big-endian into a fresh native-endian array (one copy is unavoidable).
 */
import { gunzipSync } from 'node:zlib';
import { readInputFile } from '../util/fsafe.js';
import { InputError } from '../util/errors.js';

/** The IDX element types by their type code. */
export const IDX_TYPES = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
} as const;

export type IdxType = (typeof IDX_TYPES)[keyof typeof IDX_TYPES];
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX tensor: its element type, its dimensions and the data (row-major). */
export interface IdxTensor {
  type: IdxType;
  dims: number[];
  data: IdxData;
}

const ELEM_BYTES: Record<IdxType, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };

/**
 * Parses an IDX buffer. `source` names the file in error messages. Checks the magic number (two zero
 * bytes, a known type code), the dimension count and that the file length equals header + data exactly.
 */
export function parseIdx(buf: Uint8Array, source = '<buffer>'): IdxTensor {
  if (buf.length < 4) throw new InputError(`${source}: not an IDX file: ${buf.length} bytes, the header needs at least 4`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new InputError(
      `${source}: not an IDX file: magic starts 0x${hex(buf[0]!)}${hex(buf[1]!)}, expected 0x0000 ` +
        `(gzip files start 0x1f8b: decompress them first with gunzip)`,
    );
  }
  const type = (IDX_TYPES as Record<number, IdxType>)[buf[2]!];
  if (type === undefined) {
    throw new InputError(`${source}: IDX type code 0x${hex(buf[2]!)}; allowed: 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e`);
  }
  const nd = buf[3]!;
  if (nd < 1) throw new InputError(`${source}: IDX dimension count 0; allowed: 1..255`);
  const headerBytes = 4 + 4 * nd;
  if (buf.length < headerBytes) {
    throw new InputError(`${source}: truncated IDX header: ${buf.length} bytes, ${nd} dimensions need ${headerBytes}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < nd; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const eb = ELEM_BYTES[type];
  const expected = headerBytes + count * eb;
  if (buf.length !== expected) {
    throw new InputError(
      `${source}: IDX size mismatch: dims [${dims.join(', ')}] of ${type} need ${expected} bytes, the file has ${buf.length}`,
    );
  }
  const off = buf.byteOffset + headerBytes;
  let data: IdxData;
  if (type === 'uint8') data = new Uint8Array(buf.buffer, off, count);
  else if (type === 'int8') data = new Int8Array(buf.buffer, off, count);
  else {
    const dv = new DataView(buf.buffer, off, count * eb);
    if (type === 'int16') {
      const a = new Int16Array(count);
      for (let i = 0; i < count; i++) a[i] = dv.getInt16(2 * i, false);
      data = a;
    } else if (type === 'int32') {
      const a = new Int32Array(count);
      for (let i = 0; i < count; i++) a[i] = dv.getInt32(4 * i, false);
      data = a;
    } else if (type === 'float32') {
      const a = new Float32Array(count);
      for (let i = 0; i < count; i++) a[i] = dv.getFloat32(4 * i, false);
      data = a;
    } else {
      const a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = dv.getFloat64(8 * i, false);
      data = a;
    }
  }
  return { type, dims, data };
}

/** Reads and parses an IDX file (gzip-compressed when the name ends in .gz); errors name the file. */
export function readIdx(path: string): IdxTensor {
  const buf = readInputFile(path, 'IDX file');
  if (!path.endsWith('.gz')) return parseIdx(buf, path);
  let raw: Buffer;
  try {
    raw = gunzipSync(buf);
  } catch (e) {
    throw new InputError(`${path}: not a gzip file (${(e as Error).message})`);
  }
  return parseIdx(raw, path);
}

/** Encodes a tensor as IDX bytes (big-endian), the inverse of `parseIdx`. Used by tests and tools. */
export function encodeIdx(t: IdxTensor): Uint8Array {
  const code = Number(Object.entries(IDX_TYPES).find(([, v]) => v === t.type)![0]);
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new InputError(`encodeIdx: data length ${t.data.length} != product of dims [${t.dims.join(', ')}] = ${count}`);
  }
  const eb = ELEM_BYTES[t.type];
  const out = new Uint8Array(4 + 4 * t.dims.length + count * eb);
  const dv = new DataView(out.buffer);
  out[2] = code;
  out[3] = t.dims.length;
  t.dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  const o = 4 + 4 * t.dims.length;
  for (let i = 0; i < count; i++) {
    const v = t.data[i]!;
    if (t.type === 'uint8') dv.setUint8(o + i, v);
    else if (t.type === 'int8') dv.setInt8(o + i, v);
    else if (t.type === 'int16') dv.setInt16(o + 2 * i, v, false);
    else if (t.type === 'int32') dv.setInt32(o + 4 * i, v, false);
    else if (t.type === 'float32') dv.setFloat32(o + 4 * i, v, false);
    else dv.setFloat64(o + 8 * i, v, false);
  }
  return out;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
