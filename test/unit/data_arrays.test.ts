import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npyFloats, npyLabels, npyModelInput } from '../../src/data/arrays.js';
import { readNpy, type NpyArray } from '../../src/util/npy.js';

const arr = (data: NpyArray['data'], dtype: NpyArray['dtype']): NpyArray => ({ data, dtype, shape: [data.length] });
const DIR = join(__dirname, 'fixtures', 'ort_static');

describe('.npy data sets of any dtype (src/data/arrays.ts)', () => {
  it("NumPy's defaults: float64 x / 255 and int64 labels (files written by numpy)", () => {
    const x64 = readNpy(join(DIR, 'input_f64.npy'));
    expect(x64.dtype).toBe('float64');
    const x = npyModelInput(x64, 'x.npy');
    // float32(x / 255 in float64) equals the float32 division numpy did for input.npy
    expect(x).toEqual(readNpy(join(DIR, 'input.npy')).data);
    const y = readNpy(join(DIR, 'labels.npy'));
    expect(y.dtype).toBe('int64');
    expect(Array.from(npyLabels(y, 'y.npy', 8, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
  });

  it('converts with a range check naming the index', () => {
    expect(() => npyLabels(arr(BigInt64Array.from([1n, 2n, 10n]), 'int64'), 'y.npy', 3, 10)).toThrow('y.npy[2]: 10 is not a label 0..9');
    expect(() => npyLabels(arr(Float64Array.from([1, 2.5]), 'float64'), 'y.npy', 2, 10)).toThrow('y.npy[1]: 2.5 is not a label 0..9');
    expect(() => npyLabels(arr(Int32Array.from([1, 2]), 'int32'), 'y.npy', 3, 10)).toThrow('y.npy: 2 labels (shape (2)); the data has 3 samples');
    expect(Array.from(npyLabels(arr(Uint8Array.from([1, 0]), 'bool'), 'y.npy', 2, 2))).toEqual([1, 0]);
    expect(() => npyFloats(arr(Float64Array.from([0, 1e39]), 'float64'), 'x.npy')).toThrow('x.npy[1]: 1e+39 is not a finite float32 value');
    expect(() => npyFloats(arr(Float32Array.from([0, NaN]), 'float32'), 'x.npy')).toThrow('x.npy[1]: NaN is not a finite number');
    expect(() => npyModelInput(arr(BigInt64Array.from([0n, 2n ** 40n]), 'int64'), 'x.npy')).toThrow('x.npy[1]: 1099511627776 is not an int32 value');
    expect(npyModelInput(arr(BigInt64Array.from([-3n, 7n]), 'int64'), 'x.npy')).toEqual(Int32Array.from([-3, 7]));
    expect(npyModelInput(arr(Uint8Array.from([1, 0]), 'bool'), 'x.npy')).toEqual(Float32Array.from([1, 0]));
  });
});
