import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy, readNpy, writeNpy, type NpyData } from '../../src/util/npy.js';
import { InputError } from '../../src/util/errors.js';
import { inputErrorMessage as err } from './helpers/input_error.js';

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Bytes as NumPy 2.4 `np.save` writes them (header padded to 64 bytes). */
function numpyFile(dict: string, data: number[], major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const hlen = Math.ceil((pre + dict.length + 1) / 64) * 64 - pre;
  const head = [0x93, ...enc('NUMPY'), major, 0, ...(major === 1 ? [hlen & 255, hlen >> 8] : [hlen & 255, hlen >> 8, 0, 0])];
  return Uint8Array.from([...head, ...enc(dict.padEnd(hlen - 1, ' ') + '\n'), ...data]);
}

// np.save(b, np.array([[1,-2,3],[4,5,-6]], dtype='<i2')) — bytes printed by NumPy 2.4.6
const I16_2x3 = numpyFile("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }",
  [1, 0, 0xfe, 0xff, 3, 0, 4, 0, 5, 0, 0xfa, 0xff]);


describe('npy read', () => {
  it('reads NumPy bytes (v1)', () => {
    expect(I16_2x3.length).toBe(128 + 12);
    const a = parseNpy(I16_2x3);
    expect(a.dtype).toBe('int16');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data as Int16Array)).toEqual([1, -2, 3, 4, 5, -6]);
  });
  it('reads v2 and v3 headers, scalars, 1-D shapes, \'|i1\' and \'<f4\'', () => {
    const v2 = parseNpy(numpyFile("{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", [255, 1, 128], 2));
    expect([v2.dtype, v2.shape, Array.from(v2.data as Int8Array)]).toEqual(['int8', [3], [-1, 1, -128]]);
    const v3 = parseNpy(numpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0xc0, 0x3f], 3));
    expect([v3.dtype, Array.from(v3.data as Float32Array)]).toEqual(['float32', [1.5]]);
    const sc = parseNpy(numpyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", [7, 0, 0, 0]));
    expect([sc.shape, Array.from(sc.data as Int32Array)]).toEqual([[], [7]]);
    const i64 = parseNpy(numpyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", [0xfe, 255, 255, 255, 255, 255, 255, 255]));
    expect(i64.data[0]).toBe(-2n);
    const f64 = parseNpy(numpyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0, 0, 0, 0xf8, 0x3f]));
    expect([f64.dtype, Array.from(f64.data as Float64Array)]).toEqual(['float64', [1.5]]);
    const b1 = parseNpy(numpyFile("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [1, 0, 1]));
    expect([b1.dtype, Array.from(b1.data as Uint8Array)]).toEqual(['bool', [1, 0, 1]]);
    const u2 = parseNpy(numpyFile("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", [0xff, 0xff]));
    expect([u2.dtype, Array.from(u2.data as Uint16Array)]).toEqual(['uint16', [65535]]);
    const u8 = parseNpy(numpyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4), }", []));
    expect([u8.dtype, u8.shape, u8.data.length]).toEqual(['uint8', [0, 4], 0]);
  });
  it('reads Fortran-order and big-endian arrays (np.save of a.T, np.asfortranarray, astype(\'>f4\')) into C order', () => {
    // bytes printed by NumPy 2.4.6; the values are the C-order ravel of the array saved
    const f2x3 = parseNpy(numpyFile("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }", [1, 0, 4, 0, 254, 255, 5, 0, 3, 0, 250, 255]));
    expect([f2x3.dtype, f2x3.shape, Array.from(f2x3.data as Int16Array)]).toEqual(['int16', [2, 3], [1, -2, 3, 4, 5, -6]]);
    // np.save of the transpose of the C-order 2x3 above: same bytes as I16_2x3's data, shape (3, 2)
    const t = parseNpy(numpyFile("{'descr': '<i2', 'fortran_order': True, 'shape': (3, 2), }", [1, 0, 254, 255, 3, 0, 4, 0, 5, 0, 250, 255]));
    expect([t.shape, Array.from(t.data as Int16Array)]).toEqual([[3, 2], [1, 4, -2, 5, 3, -6]]);
    const be = parseNpy(numpyFile("{'descr': '>i2', 'fortran_order': False, 'shape': (2, 3), }", [0, 1, 255, 254, 0, 3, 0, 4, 0, 5, 255, 250]));
    expect([be.dtype, Array.from(be.data as Int16Array)]).toEqual(['int16', [1, -2, 3, 4, 5, -6]]);
    // np.asfortranarray((np.arange(12).reshape(2, 3, 2) - 5.5).astype('>f4'))
    const f3 = parseNpy(numpyFile("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3, 2), }", [192, 176, 0, 0, 63, 0, 0, 0, 192, 96, 0, 0, 64, 32, 0, 0, 191, 192, 0, 0, 64, 144, 0, 0, 192, 144, 0, 0, 63, 192, 0, 0, 192, 32, 0, 0, 64, 96, 0, 0, 191, 0, 0, 0, 64, 176, 0, 0]));
    expect([f3.dtype, f3.shape, Array.from(f3.data as Float32Array)]).toEqual(['float32', [2, 3, 2], [-5.5, -4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5]]);
    const i64 = parseNpy(numpyFile("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", [255, 255, 255, 255, 255, 255, 255, 254, 0, 0, 0, 0, 0, 1, 17, 112]));
    expect(Array.from(i64.data as BigInt64Array)).toEqual([-2n, 70000n]);
    const b1 = parseNpy(numpyFile("{'descr': '|b1', 'fortran_order': True, 'shape': (2, 2), }", [1, 0, 0, 1]));
    expect([b1.dtype, Array.from(b1.data as Uint8Array)]).toEqual(['bool', [1, 0, 0, 1]]);
  });
  it('rejects bad files with the file name and the problem', () => {
    const f = 'x.npy';
    const h = (dict: string, data: number[] = []): string => err(() => parseNpy(numpyFile(dict, data), f));
    expect(err(() => parseNpy(enc('PK\x03\x04 not npy'), f))).toBe('x.npy: a zip archive (.npz, numpy.savez), not a .npy file; save the one array with numpy.save(path, array)');
    expect(err(() => parseNpy(enc('1.0,2.0\n3.0,4.0\n'), f))).toBe('x.npy: not a .npy file (no \\x93NUMPY magic)');
    expect(h("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 1), }", [0, 0, 0, 1])).toBe('x.npy: truncated data: shape (2, 1) int32 needs 8 bytes, file has 4');
    expect(h("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", [0, 0])).toContain("x.npy: unsupported dtype '<f2'");
    expect(h("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }")).toContain("unsupported dtype '<U3'");
    expect(h("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", [1, 0, 0, 0, 2])).toBe(
      'x.npy: truncated data: shape (2) int32 needs 8 bytes, file has 5');
    expect(h("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", [1, 0, 0, 0, 2])).toBe('x.npy: 1 unexpected bytes after the data');
    expect(h("{'descr': '<i4', 'shape': (1,), }", [1, 0, 0, 0])).toContain("malformed .npy header (missing or non-boolean 'fortran_order')");
    expect(h("{'descr': '<i4', 'fortran_order': False, 'shape': (1.5,), }")).toContain('malformed .npy header (shape (1.5,)');
    expect(h("['descr', '<i4']")).toContain('malformed .npy header (not a dict literal)');
    expect(h("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'x': True}")).toContain("unknown key 'x'");
    const bad = I16_2x3.slice();
    bad[6] = 4;
    expect(err(() => parseNpy(bad, f))).toBe('x.npy: .npy format version 4.0 is not supported; allowed: 1.0, 2.0, 3.0');
    expect(err(() => parseNpy(I16_2x3.subarray(0, 40), f))).toBe('x.npy: truncated .npy header (the header declares 118 bytes after the 10-byte preamble, the file has 40 bytes)');
    expect(err(() => readNpy('/nonexistent/a.npy'))).toBe('.npy file /nonexistent/a.npy: does not exist; give an existing file');
  });
});

describe('npy write', () => {
  it('writes exactly the bytes NumPy writes', () => {
    expect(Array.from(encodeNpy({ data: Int16Array.from([1, -2, 3, 4, 5, -6]), shape: [2, 3] }))).toEqual(Array.from(I16_2x3));
    const sc = numpyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", [7, 0, 0, 0]);
    expect(Array.from(encodeNpy({ data: Int32Array.of(7), shape: [] }))).toEqual(Array.from(sc));
  });
  it('round-trips every dtype through a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-npy-'));
    const cases: [NpyData, number[]][] = [
      [Int8Array.of(-128, 0, 127), [3]],
      [Uint8Array.of(0, 255, 7, 8), [2, 2]],
      [Int16Array.of(-32768, 32767), [1, 2]],
      [Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 5, 6, 7, 8), [1, 2, 3]],
      [BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n), [2]],
      [Float32Array.of(0.1, -3.5, Infinity), [3, 1]],
    ];
    for (const [data, shape] of cases) {
      const p = join(dir, `${data.constructor.name}.npy`);
      writeNpy(p, { data, shape });
      const r = readNpy(p);
      expect(r.shape).toEqual(shape);
      expect(r.data).toEqual(data);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('uses a v2 header when the shape does not fit v1, and rejects mismatched shapes', () => {
    const shape = new Array(25000).fill(1);
    const b = encodeNpy({ data: Int8Array.of(3), shape });
    expect(b[6]).toBe(2);
    expect((12 + (b[8] | (b[9] << 8) | (b[10] << 16))) % 64).toBe(0);
    expect(parseNpy(b).shape.length).toBe(25000);
    expect(err(() => encodeNpy({ data: Int8Array.of(1, 2), shape: [3] }))).toBe('npy: shape (3) does not match 2 elements');
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-npy-'));
    expect(() => writeNpy(join(dir, 'a.npy'), { data: Int8Array.of(1, 2), shape: [3] })).toThrow(InputError);
    expect(existsSync(join(dir, 'a.npy'))).toBe(false);
    writeFileSync(join(dir, 'b.npy'), encodeNpy({ data: Float32Array.of(1), shape: [1] }));
    expect(readNpy(join(dir, 'b.npy')).dtype).toBe('float32');
  });
});
