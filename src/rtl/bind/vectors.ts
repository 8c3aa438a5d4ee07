import { extname } from 'node:path';
import { InputError } from '../../util/errors.js';
import { readInputText, writeFileAtomic } from '../../util/fsafe.js';
import { readNpy } from '../../util/npy.js';
import type { Txn } from './models.js';
import type { ResolvedBinding, ResolvedField } from './resolve.js';

/**
 * Input transactions from a file (`lowbit verify --rtl ... --vectors FILE`) instead of the seeded random
 * stimulus, and the reproducer file a mismatch writes (the same format, so it replays the run exactly).
 *  - `.json`: `[{"a": [1, -2, ...], "w": [...], "last": [1]}, ...]`: one object per input transaction,
 *    every bound input operand -> its lane values (integers, or decimal strings beyond 2^53).
 *  - `.npy`: a 2-D integer array, one row per transaction, the columns the input operands' lanes back to
 *    back in the binding's field order (inputs[0]'s fields, then inputs[1]'s, ...), lane 0 first.
 * Every value must fit its lane format (e.g. -128..127 for an int8 lane, 0..1 for a bit); anything else is
 * one line naming the file, the transaction and the operand.
 */
export function inputColumns(r: ResolvedBinding): ResolvedField[] {
  return r.ins.flatMap((s) => s.fields);
}

function laneRange(f: ResolvedField): [bigint, bigint] {
  const b = BigInt(f.laneBits);
  return f.signed ? [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n] : [0n, (1n << b) - 1n];
}

export function readVectors(path: string, r: ResolvedBinding): Txn[] {
  const cols = inputColumns(r);
  const check = (t: number, f: ResolvedField, v: bigint): bigint => {
    const [lo, hi] = laneRange(f);
    if (v < lo || v > hi) throw new InputError(`${path}: transaction ${t}, operand ${f.operand}: value ${v} is outside ${lo}..${hi} (${f.signed ? 'signed' : 'unsigned'} ${f.laneBits}-bit lanes of port ${f.port})`);
    return v;
  };
  if (extname(path).toLowerCase() === '.npy') {
    const a = readNpy(path);
    const width = cols.reduce((n, f) => n + f.lanes, 0);
    if (a.shape.length !== 2 || a.shape[1] !== width || a.dtype.startsWith('float')) {
      throw new InputError(`${path}: expected a 2-D integer array of shape (transactions, ${width}) (${cols.map((f) => `${f.operand}: ${f.lanes}`).join(', ')}); got ${a.dtype} (${a.shape.join(', ')})`);
    }
    const out: Txn[] = [];
    for (let t = 0; t < a.shape[0]; t++) {
      const txn: Txn = {};
      let c = t * width;
      for (const f of cols) txn[f.operand] = Array.from({ length: f.lanes }, () => check(t, f, BigInt(a.data[c++])));
      out.push(txn);
    }
    if (out.length === 0) throw new InputError(`${path}: no transactions (0 rows)`);
    return out;
  }
  const text = readInputText(path, '--vectors file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message}); give a .json array of transactions or a .npy`);
  }
  if (!Array.isArray(json) || json.length === 0) throw new InputError(`${path}: expected a non-empty JSON array of transactions, e.g. [{"${cols[0].operand}": [...]}]`);
  return json.map((o: unknown, t) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new InputError(`${path}: transaction ${t}: expected an object {operand: [lane values]}`);
    const rec = o as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (!cols.some((f) => f.operand === k)) throw new InputError(`${path}: transaction ${t}: ${k} is not a bound input operand (bound: ${cols.map((f) => f.operand).join(', ')})`);
    }
    const txn: Txn = {};
    for (const f of cols) {
      const v = rec[f.operand];
      if (!Array.isArray(v) || v.length !== f.lanes) throw new InputError(`${path}: transaction ${t}, operand ${f.operand}: expected an array of ${f.lanes} lane values`);
      txn[f.operand] = v.map((x: unknown) => {
        if (typeof x === 'number' && Number.isSafeInteger(x)) return check(t, f, BigInt(x));
        if (typeof x === 'string' && /^-?\d+$/.test(x)) return check(t, f, BigInt(x));
        throw new InputError(`${path}: transaction ${t}, operand ${f.operand}: ${JSON.stringify(x)} is not an integer`);
      });
    }
    return txn;
  });
}

/** Writes transactions as the `.json` vectors format (one transaction per line). */
export function writeVectorsJson(path: string, inputs: Txn[]): void {
  const v = (x: bigint): string => (x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? x.toString() : `"${x}"`);
  const lines = inputs.map((t) => `  {${Object.entries(t).map(([k, xs]) => `"${k}": [${xs.map(v).join(', ')}]`).join(', ')}}`);
  writeFileAtomic(path, `[\n${lines.join(',\n')}\n]\n`);
}
