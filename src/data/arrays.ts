/**
 * Data sets from `.npy` files of any numeric dtype NumPy writes by default: float64 (`x / 255`), int64
 * (`np.array(labels)`), bool, as well as float32 and the small integer types. Every conversion checks each
 * value and an out-of-range one is an InputError naming the file and the flat index, e.g.
 * `y.npy[17]: 10 is not a label 0..9`.
 */
import { roundHalfEven } from '../arith/requant.js';
import { InputError } from '../util/errors.js';
import { readNpy, type NpyArray } from '../util/npy.js';
import { readIdx } from './idx.js';
import type { ImageDataset } from './mnist.js';

const FLOAT32_MAX = 3.4028234663852886e38;
/** the input scale of the trained architectures (8-bit pixels), as float32 */
const PIXEL_SCALE = Math.fround(1 / 255);

/** The value at flat index i as a number (int64 through BigInt). */
function at(a: NpyArray, i: number): number {
  const v = a.data[i]!;
  return typeof v === 'bigint' ? Number(v) : v;
}

/**
 * An array from a data file: `.npy`, or IDX (`*-ubyte`, `.idx`, any name with `idx` in it, plain or `.gz`:
 * the MNIST format, also Fashion-MNIST, KMNIST, EMNIST files) as an array of the same shape and type.
 */
export function readDataArray(file: string): NpyArray {
  if (!/idx|ubyte/i.test(file.replace(/^.*[\\/]/, ''))) return readNpy(file);
  const t = readIdx(file);
  return { dtype: t.type, shape: t.dims, data: t.data };
}

/** Float32 values of any array: each value must be finite and within float32's range. */
export function npyFloats(a: NpyArray, file: string): Float32Array {
  if (a.data instanceof Float32Array) {
    const bad = a.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InputError(`${file}[${bad}]: ${a.data[bad]} is not a finite number`);
    return a.data;
  }
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = at(a, i);
    if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) throw new InputError(`${file}[${i}]: ${v} is not a finite float32 value`);
    out[i] = v;
  }
  return out;
}

/**
 * Integers in [min, max] from any array (floats must hold integers): `what` names them in the error, e.g.
 * `a label 0..9`.
 */
export function npyInts(a: NpyArray, file: string, min: number, max: number, what: string): Int32Array {
  const out = new Int32Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = at(a, i);
    if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`${file}[${i}]: ${v} is not ${what}`);
    out[i] = v;
  }
  return out;
}

/** Whether the array holds floating-point values (float32 / float64). */
export function npyIsFloat(a: NpyArray): boolean {
  return a.dtype === 'float32' || a.dtype === 'float64';
}

/**
 * A model input from a `.npy` array: floats (float32/float64, also bool as 0/1) as a Float32Array to go
 * through the model's quantize layer; integers (any int dtype) as an Int32Array of already-quantized
 * values (int64 checked against int32 here; the model checks its input format).
 */
export function npyModelInput(a: NpyArray, file: string): Float32Array | Int32Array {
  if (npyIsFloat(a) || a.dtype === 'bool') return npyFloats(a, file);
  return npyInts(a, file, -(2 ** 31), 2 ** 31 - 1, 'an int32 value');
}

/** `n` class labels 0..classes-1 from any integer / bool / integer-valued float array. */
export function npyLabels(a: NpyArray, file: string, n: number, classes: number): Int32Array {
  if (a.data.length !== n) throw new InputError(`${file}: ${a.data.length} labels (shape (${a.shape.join(', ')})); the data has ${n} samples`);
  return npyInts(a, file, 0, classes - 1, `a label 0..${classes - 1}`);
}

/** A labelled data set from two `.npy` files: inputs [N, ...] (as npyModelInput) and N labels 0..classes-1. */
export function npyDataset(xFile: string, yFile: string, classes: number): { x: Float32Array | Int32Array; labels: Int32Array; count: number } {
  const xa = readDataArray(xFile);
  const count = xa.shape[0] ?? 0;
  if (xa.shape.length < 2 || count === 0) throw new InputError(`${xFile}: shape (${xa.shape.join(', ')}); expected [N, ...sample shape] with N >= 1`);
  return { x: npyModelInput(xa, xFile), labels: npyLabels(readDataArray(yFile), yFile, count, classes), count };
}

/**
 * A training set of `rows x cols` grayscale images (the architectures read 8-bit pixels, scale 1/255) from
 * an images file ([N, rows*cols], [N, rows, cols] or [N, 1, rows, cols]; .npy or IDX) and a labels file (N
 * labels 0..classes-1). Integer images must hold pixels 0..255; float images values in [0, 1], which become
 * the pixels the exported model's input quantizer computes from them, rint(float32(x / float32(1/255))).
 */
export function imageDataset(xFile: string, yFile: string, rows: number, cols: number, classes: number): ImageDataset {
  const xa = readDataArray(xFile);
  const [N, ...s] = xa.shape;
  const px = rows * cols;
  const fits = (s.length === 1 && s[0] === px) || (s.length === 2 && s[0] === rows && s[1] === cols) || (s.length === 3 && s[0] === 1 && s[1] === rows && s[2] === cols);
  if (!fits || !N) throw new InputError(`${xFile}: shape (${xa.shape.join(', ')}); the architectures read ${rows}x${cols} grayscale images: allowed [N, ${px}], [N, ${rows}, ${cols}] or [N, 1, ${rows}, ${cols}] with N >= 1`);
  const images = new Uint8Array(N * px);
  if (npyIsFloat(xa) || xa.dtype === 'bool') {
    const f = npyFloats(xa, xFile);
    for (let i = 0; i < f.length; i++) {
      const v = f[i]!;
      if (!(v >= 0 && v <= 1)) throw new InputError(`${xFile}[${i}]: ${v} is not a pixel in [0, 1] (float images are x / 255; integer images hold 0..255)`);
      images[i] = roundHalfEven(Math.fround(v / PIXEL_SCALE)); // QuantizeLinear: rint(float32(x / scale))
    }
  } else images.set(npyInts(xa, xFile, 0, 255, 'a pixel 0..255'));
  const labels = Uint8Array.from(npyLabels(readDataArray(yFile), yFile, N, classes));
  return { images, labels, count: N, rows, cols, classes };
}
