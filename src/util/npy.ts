/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0; https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 *
 *     "\x93NUMPY" major minor  HEADER_LEN (uint16 LE for v1, uint32 LE for v2/v3)  HEADER  DATA
 *
 * HEADER is a Python dict literal `{'descr': '<i4', 'fortran_order': False, 'shape': (3, 4), }` padded
 * with spaces and ended by `\n` so that DATA starts at a multiple of 64 bytes (latin-1 in v1/v2, UTF-8 in
 * v3). lowbit reads arrays of bool (read as Uint8Array 0/1), int8, uint8, int16, uint16, int32, int64, float32 and
 * float64, little- or big-endian, C or Fortran order (what `np.save(a.T)` writes), into little-endian C-order
 * typed arrays; anything else (other dtypes, a malformed header, truncated data) is an InputError naming the file
 * and the problem. Writes are little-endian C order, version 1.0 unless the header needs more than 65535
 * bytes, and atomic.
 */
import { InputError } from './errors.js';
import { readInputFile, writeFileAtomic } from './fsafe.js';

export type NpyDtype = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float32' | 'float64' | 'bool';
export type NpyData = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

export interface NpyArray {
  dtype: NpyDtype;
  /** dimensions, C order (last index fastest); `[]` is a scalar */
  shape: number[];
  data: NpyData;
}

const DTYPES: Record<NpyDtype, { descr: string; size: number; make: (buf: ArrayBuffer, n: number) => NpyData }> = {
  int8: { descr: '|i1', size: 1, make: (b, n) => new Int8Array(b, 0, n) },
  uint8: { descr: '|u1', size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  int16: { descr: '<i2', size: 2, make: (b, n) => new Int16Array(b, 0, n) },
  uint16: { descr: '<u2', size: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  int32: { descr: '<i4', size: 4, make: (b, n) => new Int32Array(b, 0, n) },
  int64: { descr: '<i8', size: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  float32: { descr: '<f4', size: 4, make: (b, n) => new Float32Array(b, 0, n) },
  float64: { descr: '<f8', size: 8, make: (b, n) => new Float64Array(b, 0, n) },
  /** numpy bool: one byte 0/1, read as a Uint8Array */
  bool: { descr: '|b1', size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The dtype of a typed array lowbit can write. */
export function npyDtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  throw new InputError(`npy: cannot write a ${(data as object).constructor.name}; allowed: Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, BigInt64Array, Float32Array, Float64Array`);
}

/** The dtype of a header's `descr` and whether its bytes are big-endian (`>`; `=` is this machine's order, little). */
function descrToDtype(descr: string, file: string): { dtype: NpyDtype; bigEndian: boolean } {
  const m = /^([<>|=])([iufb])(\d+)$/.exec(descr);
  if (m) {
    const [, order, kind, size] = m;
    const dt = (Object.keys(DTYPES) as NpyDtype[]).find((d) => DTYPES[d].descr.slice(1) === kind + size);
    if (dt) return { dtype: dt, bigEndian: order === '>' && DTYPES[dt].size > 1 };
  }
  throw new InputError(`${file}: unsupported dtype '${descr}'; allowed: bool, int8, uint8, int16, uint16, int32, int64, float32, float64`);
}

/** Reverses the bytes of each `size`-byte element in place (big-endian to little-endian). */
function swapBytes(b: Uint8Array, size: number): void {
  for (let o = 0; o < b.length; o += size) {
    for (let i = o, j = o + size - 1; i < j; i++, j--) { const t = b[i]!; b[i] = b[j]!; b[j] = t; }
  }
}

/**
 * Fortran-order bytes (first index fastest) to C order (last index fastest): the element at C index
 * (i0, .., i{n-1}) is at Fortran offset sum_k i_k * prod_{j<k} shape[j].
 */
function fortranToC(src: Uint8Array, shape: number[], size: number): Uint8Array {
  const n = shape.length;
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(src.length);
  if (count === 0) return out;
  const fStride = new Array<number>(n);
  for (let k = 0, s = 1; k < n; k++) { fStride[k] = s; s *= shape[k]!; }
  const idx = new Array<number>(n).fill(0);
  let f = 0;
  for (let c = 0; c < count; c++) {
    for (let j = 0; j < size; j++) out[c * size + j] = src[f * size + j]!;
    // next C index: increment the last dimension, carrying leftwards
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) { f += fStride[k]!; break; }
      f -= (shape[k]! - 1) * fStride[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** Parses the header dict literal (the subset NumPy writes: strings, True/False, tuples of ints). */
function parseHeader(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const bad = (why: string): InputError => new InputError(`${file}: malformed .npy header (${why}): ${JSON.stringify(text.trim().slice(0, 120))}`);
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) throw bad('not a dict literal');
  const fields = new Map<string, string>();
  const re = /\s*['"]([a-z_]+)['"]\s*:\s*('[^']*'|"[^"]*"|True|False|\([^)]*\))\s*(,|$)/y;
  const body = t.slice(1, -1);
  re.lastIndex = 0;
  while (re.lastIndex < body.length && body.slice(re.lastIndex).trim() !== '') {
    const m = re.exec(body);
    if (!m) throw bad(`cannot parse at "${body.slice(re.lastIndex, re.lastIndex + 20)}"`);
    fields.set(m[1], m[2]);
  }
  for (const k of fields.keys()) if (!['descr', 'fortran_order', 'shape'].includes(k)) throw bad(`unknown key '${k}'`);
  const descr = fields.get('descr');
  const fo = fields.get('fortran_order');
  const sh = fields.get('shape');
  if (descr === undefined || !/^['"]/.test(descr)) throw bad("missing or non-string 'descr'");
  if (fo !== 'True' && fo !== 'False') throw bad("missing or non-boolean 'fortran_order'");
  if (sh === undefined || !sh.startsWith('(')) throw bad("missing or non-tuple 'shape'");
  const inner = sh.slice(1, -1).trim();
  const shape = inner === '' ? [] : inner.replace(/,\s*$/, '').split(',').map((s) => s.trim().replace(/L$/, ''));
  if (!shape.every((s) => /^\d+$/.test(s))) throw bad(`shape ${sh} is not a tuple of non-negative integers`);
  return { descr: descr.slice(1, -1), fortran: fo === 'True', shape: shape.map(Number) };
}

/** Decodes `.npy` bytes; `file` names the source in errors. The data is copied into an aligned array. */
export function parseNpy(bytes: Uint8Array, file = '<npy buffer>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    // a zip (PK\x03\x04) is what numpy.savez / savez_compressed write: several arrays in one file
    if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4) throw new InputError(`${file}: a zip archive (.npz, numpy.savez), not a .npy file; save the one array with numpy.save(path, array)`);
    throw new InputError(`${file}: not a .npy file (no \\x93NUMPY magic)`);
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw new InputError(`${file}: .npy format version ${major}.${bytes[7]} is not supported; allowed: 1.0, 2.0, 3.0`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new InputError(`${file}: truncated .npy header`);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = 8 + lenBytes;
  if (bytes.length < start + hlen) throw new InputError(`${file}: truncated .npy header (the header declares ${hlen} bytes after the ${start}-byte preamble, the file has ${bytes.length} bytes)`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));
  const h = parseHeader(text, file);
  const { dtype, bigEndian } = descrToDtype(h.descr, file);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const size = DTYPES[dtype].size;
  const off = start + hlen;
  const have = bytes.length - off;
  if (have < count * size) {
    throw new InputError(`${file}: truncated data: shape (${h.shape.join(', ')}) ${dtype} needs ${count * size} bytes, file has ${have}`);
  }
  if (have > count * size) throw new InputError(`${file}: ${have - count * size} unexpected bytes after the data`);
  const raw = new Uint8Array(count * size); // a copy in its own aligned buffer (a Buffer's slice would be a view)
  raw.set(bytes.subarray(off, off + count * size));
  if (bigEndian) swapBytes(raw, size);
  const c = h.fortran && h.shape.length > 1 ? fortranToC(raw, h.shape, size) : raw;
  const buf = c.buffer as ArrayBuffer;
  return { dtype, shape: h.shape, data: DTYPES[dtype].make(buf, count) };
}

/** Reads a `.npy` file. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readInputFile(path, '.npy file'), path);
}

/** Encodes an array as `.npy` bytes (version 1.0, or 2.0 for headers over 65535 bytes). */
export function encodeNpy(arr: { data: NpyData; shape: number[] }): Uint8Array {
  const dtype = npyDtypeOf(arr.data);
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (!arr.shape.every((d) => Number.isInteger(d) && d >= 0) || count !== arr.data.length) {
    throw new InputError(`npy: shape (${arr.shape.join(', ')}) does not match ${arr.data.length} elements`);
  }
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  const dict = `{'descr': '${DTYPES[dtype].descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const padded = (pre: number): number => Math.ceil((pre + dict.length + 1) / 64) * 64 - pre;
  const major = padded(10) <= 65535 ? 1 : 2;
  const pre = major === 1 ? 10 : 12;
  const hlen = padded(pre);
  const header = dict + ' '.repeat(hlen - dict.length - 1) + '\n';
  const out = new Uint8Array(pre + hlen + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, hlen, true);
  else dv.setUint32(8, hlen, true);
  for (let i = 0; i < hlen; i++) out[pre + i] = header.charCodeAt(i);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), pre + hlen);
  return out;
}

/** Writes a `.npy` file atomically. */
export function writeNpy(path: string, arr: { data: NpyData; shape: number[] }): void {
  writeFileAtomic(path, encodeNpy(arr));
}
