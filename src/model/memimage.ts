import { badValue, checkInt, InputError } from '../util/errors.js';
import { formatBits, type Conv2dLayer, type DenseLayer, type TensorFormat } from './types.js';

/**
 * Memory images for the RTL (`$readmemh` files).
 *
 * Layout: one ROW per output channel (dense: w[o][0..in-1]; conv2d: w[o] flattened in (c, i, j) order,
 * i.e. OIHW row-major). Each row starts at a fresh word: row o occupies words
 * [o * wordsPerRow, (o + 1) * wordsPerRow). Inside a row, element e sits in word floor(e / perWord) at bits
 * [(e % perWord) * bits, (e % perWord + 1) * bits) — element 0 in the least significant bits — where
 * perWord = floor(wordBits / bits). Elements are stored as their low `bits` bits (two's complement for signed
 * formats); binary weights are one bit each, 1 = +1 and 0 = -1 (FINN convention, docs/arithmetic.md section 5).
 * Unused high bits of a word and padding elements at the end of a row are 0.
 * Bias and threshold images hold one int32 per word (`wordBits` 32), in channel order
 * (thresholds: channel c, step t at word c * steps + t).
 *
 * `$readmemh` text: one word per line, ceil(wordBits / 4) lower-case hex digits, no address markers.
 */
export interface MemoryImage {
  /** bits per memory word */
  wordBits: number;
  /** bits per element */
  elementBits: number;
  /** elements per word */
  perWord: number;
  /** rows (output channels) */
  rows: number;
  /** elements per row */
  rowLength: number;
  /** words per row (rows are word aligned) */
  wordsPerRow: number;
  /** all words, row after row; each word < 2^wordBits */
  words: bigint[];
}

/** Packs `values` (rows x rowLength, row-major) of format `fmt` into words of `wordBits` bits. */
export function packRows(values: Int32Array, rows: number, rowLength: number, fmt: TensorFormat, wordBits: number): MemoryImage {
  const elementBits = formatBits(fmt);
  checkInt('wordBits', wordBits, elementBits, 4096);
  if (values.length !== rows * rowLength) throw badValue('values.length', values.length, `${rows} x ${rowLength}`);
  const perWord = Math.floor(wordBits / elementBits);
  const wordsPerRow = Math.ceil(rowLength / perWord);
  const words: bigint[] = new Array<bigint>(rows * wordsPerRow);
  const binary = fmt.type === 'binary';
  const mask = (1n << BigInt(elementBits)) - 1n;
  for (let r = 0; r < rows; r++) {
    for (let wi = 0; wi < wordsPerRow; wi++) {
      let word = 0n;
      const e0 = wi * perWord;
      const e1 = Math.min(rowLength, e0 + perWord);
      for (let e = e1 - 1; e >= e0; e--) {
        const v = values[r * rowLength + e]!;
        const raw = binary ? (v > 0 ? 1n : 0n) : BigInt(v) & mask;
        word = (word << BigInt(elementBits)) | raw;
      }
      words[r * wordsPerRow + wi] = word;
    }
  }
  return { wordBits, elementBits, perWord, rows, rowLength, wordsPerRow, words };
}

/** Inverse of `packRows`: the row-major values (sign-extended for signed formats, ±1 for binary). */
export function unpackRows(img: MemoryImage, fmt: TensorFormat): Int32Array {
  const out = new Int32Array(img.rows * img.rowLength);
  const bits = BigInt(img.elementBits);
  const mask = (1n << bits) - 1n;
  const signBit = 1n << (bits - 1n);
  for (let r = 0; r < img.rows; r++) {
    for (let e = 0; e < img.rowLength; e++) {
      const word = img.words[r * img.wordsPerRow + Math.floor(e / img.perWord)]!;
      let raw = (word >> (BigInt(e % img.perWord) * bits)) & mask;
      let v: number;
      if (fmt.type === 'binary') v = raw === 1n ? 1 : -1;
      else {
        if (fmt.signed && (raw & signBit) !== 0n) raw -= 1n << bits;
        v = Number(raw);
      }
      out[r * img.rowLength + e] = v;
    }
  }
  return out;
}

/** The weight memory image of a dense or conv2d layer (layout above). */
export function memoryImage(layer: DenseLayer | Conv2dLayer, wordBits: number): MemoryImage {
  const rows = layer.kind === 'dense' ? layer.outFeatures : layer.outChannels;
  const rowLength = layer.weight.data.length / rows;
  return packRows(layer.weight.data, rows, rowLength, layer.weight.format, wordBits);
}

/** A memory image of int32 values, one per 32-bit word (biases, thresholds). */
export function int32Image(values: Int32Array): MemoryImage {
  return packRows(values, values.length, 1, { type: 'int', bits: 32, signed: true }, 32);
}

/** `$readmemh` text of an image: one word per line, ceil(wordBits/4) hex digits. */
export function toReadmemh(img: MemoryImage): string {
  const digits = Math.ceil(img.wordBits / 4);
  let s = '';
  for (const w of img.words) s += w.toString(16).padStart(digits, '0') + '\n';
  return s;
}

/** Parses `$readmemh` text (one word per line; `//` comments and blank lines ignored) into words. */
export function parseReadmemh(text: string, wordBits: number, file = 'memory image'): bigint[] {
  const words: bigint[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    if (!/^[0-9a-fA-F_]*[0-9a-fA-F][0-9a-fA-F_]*$/.test(line)) throw new InputError(`${file}: line ${i + 1}: got ${JSON.stringify(line)}; allowed: hex digits (with optional _ separators)`);
    const w = BigInt('0x' + line.replace(/_/g, ''));
    if (w >> BigInt(wordBits) !== 0n) throw new InputError(`${file}: line ${i + 1}: word ${line} is wider than ${wordBits} bits`);
    words.push(w);
  }
  return words;
}
