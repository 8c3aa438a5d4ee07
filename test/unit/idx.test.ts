import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIdx, encodeIdx, readIdx } from '../../src/data/idx.js';
import { InputError } from '../../src/util/errors.js';

describe('IDX', () => {
  it('round-trips every element type', () => {
    const cases = [
      { type: 'uint8' as const, data: Uint8Array.from([0, 1, 255, 7, 8, 9]) },
      { type: 'int8' as const, data: Int8Array.from([-128, 127, 0, -1, 5, 6]) },
      { type: 'int16' as const, data: Int16Array.from([-32768, 32767, 0, -1, 258, 6]) },
      { type: 'int32' as const, data: Int32Array.from([-2147483648, 2147483647, 0, -1, 65536, 6]) },
      { type: 'float32' as const, data: Float32Array.from([1.5, -2.25, 0, 3e38, 1e-40, 6]) },
      { type: 'float64' as const, data: Float64Array.from([1.5, -2.25, 0, 1e300, 5e-324, 6]) },
    ];
    for (const c of cases) {
      const t = parseIdx(encodeIdx({ type: c.type, dims: [2, 3], data: c.data }), c.type);
      expect(t.type).toBe(c.type);
      expect(t.dims).toEqual([2, 3]);
      expect(Array.from(t.data)).toEqual(Array.from(c.data));
    }
  });

  it('returns uint8 data as a view without a copy', () => {
    const buf = encodeIdx({ type: 'uint8', dims: [4], data: Uint8Array.from([1, 2, 3, 4]) });
    const t = parseIdx(buf);
    expect(t.data.buffer).toBe(buf.buffer);
    expect(t.data.byteOffset).toBe(8);
  });

  it('reads big-endian dims as in the MNIST header', () => {
    const buf = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 10, 20, 30, 40]);
    const t = parseIdx(buf);
    expect(t.dims).toEqual([1, 2, 2]);
    expect(Array.from(t.data)).toEqual([10, 20, 30, 40]);
  });

  it('rejects bad magic, unknown type codes and wrong sizes with the file name', () => {
    const good = encodeIdx({ type: 'uint8', dims: [2, 2], data: new Uint8Array(4) });
    const gz = good.slice();
    gz[0] = 0x1f;
    gz[1] = 0x8b;
    expect(() => parseIdx(gz, 'a.idx')).toThrow(/a\.idx: not an IDX file.*gunzip/);
    const badType = good.slice();
    badType[2] = 0x07;
    expect(() => parseIdx(badType, 'b.idx')).toThrow(/b\.idx: IDX type code 0x07/);
    expect(() => parseIdx(good.slice(0, good.length - 1), 'c.idx')).toThrow(/c\.idx: IDX size mismatch.*16 bytes, the file has 15/);
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(() => parseIdx(longer, 'd.idx')).toThrow(InputError);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0]), 'e.idx')).toThrow(/e\.idx: truncated IDX header/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 0]), 'f.idx')).toThrow(/f\.idx: IDX dimension count 0/);
  });

  it('names a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-'));
    expect(() => readIdx(join(dir, 'nope'))).toThrow(/IDX file .*nope: does not exist/);
    writeFileSync(join(dir, 'ok'), encodeIdx({ type: 'int16', dims: [1], data: Int16Array.from([-3]) }));
    expect(Array.from(readIdx(join(dir, 'ok')).data)).toEqual([-3]);
  });
});
