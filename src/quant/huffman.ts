/**
 * Canonical Huffman coding of small-alphabet symbol streams (Deep Compression's last stage).
 *
 * Code lengths come from the usual Huffman merge of the two least frequent nodes (ties broken by the
 * lower symbol / earlier node, so the result is deterministic). Canonical codes (as DEFLATE, RFC 1951
 * 3.2.2): symbols sorted by (length, symbol) get consecutive codes, the code incremented and shifted left
 * when the length grows; so the lengths alone define the code. Bits are written MSB-first into bytes.
 * The stored table is one 5-bit length per alphabet symbol (lengths 0..31; 0 = symbol absent).
 */
import { badValue, InputError } from '../util/errors.js';

export const LENGTH_FIELD_BITS = 5;
export const MAX_CODE_LENGTH = 31;

/** Huffman code lengths for symbol counts (0 for absent symbols; a lone symbol gets length 1). */
export function huffmanLengths(counts: ArrayLike<number>): Uint8Array {
  const n = counts.length;
  const lengths = new Uint8Array(n);
  // nodes: leaves 0..n-1, internal n.. ; parent links to read depths back
  const weight: number[] = [];
  const order: number[] = [];
  for (let s = 0; s < n; s++) {
    if (counts[s] > 0) {
      weight.push(counts[s]);
      order.push(s);
    }
  }
  if (order.length === 0) return lengths;
  if (order.length === 1) {
    lengths[order[0]] = 1;
    return lengths;
  }
  const parent: number[] = new Array(order.length).fill(-1);
  let live = order.map((_, i) => i);
  while (live.length > 1) {
    live.sort((a, b) => weight[a] - weight[b] || a - b);
    const [a, b] = live;
    const id = weight.length;
    weight.push(weight[a] + weight[b]);
    parent.push(-1);
    parent[a] = id;
    parent[b] = id;
    live = [id, ...live.slice(2)];
  }
  for (let i = 0; i < order.length; i++) {
    let d = 0;
    for (let p = i; parent[p] !== -1; p = parent[p]) d++;
    if (d > MAX_CODE_LENGTH) throw new InputError(`huffman: code length ${d} exceeds ${MAX_CODE_LENGTH} (skewed counts); allowed: at most ${MAX_CODE_LENGTH}`);
    lengths[order[i]] = d;
  }
  return lengths;
}

/** Canonical codes for the lengths: `codes[s]` holds the `lengths[s]`-bit code of symbol s. */
export function canonicalCodes(lengths: ArrayLike<number>): Uint32Array {
  const syms = Array.from({ length: lengths.length }, (_, s) => s).filter((s) => lengths[s] > 0);
  syms.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const codes = new Uint32Array(lengths.length);
  let code = 0;
  let len = syms.length ? lengths[syms[0]] : 0;
  for (const s of syms) {
    code <<= lengths[s] - len;
    len = lengths[s];
    codes[s] = code;
    code++;
  }
  return codes;
}

export interface HuffmanEncoded {
  bytes: Uint8Array;
  /** exact payload bits (the last byte is zero-padded) */
  bits: number;
  lengths: Uint8Array;
  /** bits of the stored length table: alphabet * 5 */
  tableBits: number;
}

/** Encodes symbols `0..alphabet-1`. */
export function huffmanEncode(symbols: ArrayLike<number>, alphabet: number): HuffmanEncoded {
  const counts = new Float64Array(alphabet);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!(s >= 0 && s < alphabet && Number.isInteger(s))) throw badValue(`symbols[${i}]`, s, `an integer 0..${alphabet - 1}`);
    counts[s]++;
  }
  const lengths = huffmanLengths(counts);
  const codes = canonicalCodes(lengths);
  let bits = 0;
  for (let i = 0; i < symbols.length; i++) bits += lengths[symbols[i]];
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    const L = lengths[s];
    const c = codes[s];
    for (let k = L - 1; k >= 0; k--) {
      if ((c >>> k) & 1) bytes[pos >>> 3] |= 0x80 >>> (pos & 7);
      pos++;
    }
  }
  return { bytes, bits, lengths, tableBits: alphabet * LENGTH_FIELD_BITS };
}

/** Decodes `count` symbols from canonical-coded `bytes` given the code lengths. */
export function huffmanDecode(bytes: Uint8Array, lengths: ArrayLike<number>, count: number, out = new Int32Array(count)): Int32Array {
  // canonical decoding: per length, the first code and the index of its first symbol in sorted order
  const syms = Array.from({ length: lengths.length }, (_, s) => s).filter((s) => lengths[s] > 0);
  syms.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const maxLen = syms.length ? lengths[syms[syms.length - 1]] : 0;
  const firstCode = new Int32Array(maxLen + 2);
  const firstIndex = new Int32Array(maxLen + 2);
  const countAt = new Int32Array(maxLen + 2);
  for (const s of syms) countAt[lengths[s]]++;
  let code = 0;
  let index = 0;
  for (let L = 1; L <= maxLen; L++) {
    firstCode[L] = code;
    firstIndex[L] = index;
    code = (code + countAt[L]) << 1;
    index += countAt[L];
  }
  let pos = 0;
  const totalBits = bytes.length * 8;
  for (let i = 0; i < count; i++) {
    let c = 0;
    let L = 0;
    for (;;) {
      if (pos >= totalBits || L >= maxLen) throw new InputError(`huffman: stream ends or holds an invalid code at symbol ${i} (bit ${pos})`);
      c = (c << 1) | ((bytes[pos >>> 3] >>> (7 - (pos & 7))) & 1);
      pos++;
      L++;
      const k = c - firstCode[L];
      if (countAt[L] > 0 && k >= 0 && k < countAt[L]) {
        out[i] = syms[firstIndex[L] + k];
        break;
      }
    }
  }
  return out;
}
