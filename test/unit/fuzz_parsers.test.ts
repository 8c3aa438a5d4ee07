/**
 * Property-based fuzzing of every parser (issue 17 item 6): arbitrary and mutated inputs must either parse
 * or throw a LowbitError (one line for input errors) — never a TypeError, RangeError or another crash,
 * never a change to Object.prototype. The run count is bounded for the unit tier (LOWBIT_FUZZ_RUNS raises
 * it for a long run).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowbitError } from '../../src/util/errors.js';
import { encodeNpy, parseNpy } from '../../src/util/npy.js';
import { parseIdx } from '../../src/data/idx.js';
import { parseSpace, parseShard } from '../../src/explore/space.js';
import { parseDesign } from '../../src/hw/design.js';
import { PRESETS } from '../../src/hw/presets.js';
import { decodeModel } from '../../src/model/onnx/proto.js';
import { importOnnx } from '../../src/model/onnx/import.js';
import { parseReadmemh } from '../../src/model/memimage.js';
import { parseBlobRef } from '../../src/model/blob.js';
import { loadQuantizedModel, saveQuantizedModel } from '../../src/model/format.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/model/checkpoint.js';
import { parseCalib } from '../../src/quant/calibration.js';
import { makeScheme, parseOverride } from '../../src/quant/scheme.js';
import { parseSize } from '../../src/util/budget.js';
import { parseShape } from '../../src/cli/commands/simulate.js';
import { parseEnergyTable } from '../../src/estimate/energy.js';
import { readResults } from '../../src/explore/sweep.js';
import { parseBinding } from '../../src/rtl/bind/spec.js';
import { qdqMlp, toQdq } from './fixtures/model/qdq.js';
import { Rng } from '../../src/util/rng.js';

/** A small valid QDQ ONNX MLP (the importer's own fixture), the seed of the byte mutations. */
const onnxBytes = (): Uint8Array => toQdq(qdqMlp(new Rng(5), [8, 6, 4], { type: 'int', bits: 8, signed: true }, false), { gemm: true });

export const RUNS = Number(process.env.LOWBIT_FUZZ_RUNS ?? 150);

/** Runs `f`; passes if it returns or throws a LowbitError whose input-error message is one line. */
export function parsesOrRefuses(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof LowbitError)) throw new Error(`not a LowbitError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (e.exitCode === 2) expect(e.message).not.toContain('\n');
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype.toString.call([])).toBe('[object Array]');
}

/** Byte mutations of a valid encoding: flips, truncations, insertions, overwrites. */
export function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = valid.length;
  return fc.oneof(
    fc.array(fc.tuple(fc.nat(n - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((ps) => {
      const b = Uint8Array.from(valid);
      for (const [i, v] of ps) b[i] = v;
      return b;
    }),
    fc.nat(n).map((k) => valid.slice(0, k)),
    fc.tuple(fc.nat(n), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([k, ins]) => Uint8Array.from([...valid.slice(0, k), ...ins, ...valid.slice(k)])),
    fc.uint8Array({ maxLength: 256 }),
  );
}

/** JSON values with hostile keys and values mixed in. */
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', '', 'a.b', '__proto__.polluted', 'x'.repeat(300));
const hostileValue = fc.constantFrom<unknown>(null, -1, 0, 1e308, -1e-308, 2 ** 53 + 2, 1.5, 'x', '', true, [], {}, [1, 'a'], '../../etc/passwd');
export const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, hostileValue, fc.jsonValue({ maxDepth: 1 }), tie('obj'), fc.array(tie('v'), { maxLength: 4 })),
  obj: fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 12 })), tie('v'), { maxKeys: 5 }),
})).v;

/** Mutates one field of a JSON object tree (replace, delete, or add a hostile key) at a random path. */
export function mutateJson(base: unknown): fc.Arbitrary<unknown> {
  return fc.tuple(fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom('replace', 'delete', 'add'), hostileKey, jsonish).map(([path, op, key, val]) => {
    const root = structuredClone(base) as Record<string, unknown>;
    let cur: Record<string, unknown> = root;
    for (const p of path) {
      const keys = Object.keys(cur);
      if (keys.length === 0) break;
      const next = cur[keys[p % keys.length]!];
      if (next === null || typeof next !== 'object') {
        const k = keys[p % keys.length]!;
        if (op === 'delete') delete cur[k];
        else cur[k] = val;
        return root;
      }
      cur = next as Record<string, unknown>;
    }
    // JSON has no named keys on arrays (JSON.parse never makes one), so 'add' on an array appends
    if (op === 'add' && Array.isArray(cur)) cur.push(val);
    else if (op === 'add') Object.defineProperty(cur, key, { value: val, enumerable: true, writable: true, configurable: true });
    else {
      const keys = Object.keys(cur);
      if (keys.length > 0) {
        if (op === 'delete') delete cur[keys[0]!];
        else cur[keys[0]!] = val;
      }
    }
    return root;
  });
}

const prop = <T>(arb: fc.Arbitrary<T>, f: (x: T) => void): void => fc.assert(fc.property(arb, (x) => parsesOrRefuses(() => f(x))), { numRuns: RUNS });

describe('fuzzing the parsers (fast-check)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lowbit-fuzz-'));

  it('.npy', () => {
    const valid = encodeNpy({ data: Int16Array.of(1, -2, 3, 4, 5, 6), shape: [2, 3] });
    prop(mutated(valid), (b) => parseNpy(b));
  });

  it('IDX', () => {
    const valid = Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8);
    prop(mutated(valid), (b) => parseIdx(b));
  });

  it('ONNX protobuf', () => {
    const valid = onnxBytes();
    importOnnx(valid, { name: 'fuzz' });
    prop(mutated(valid), (b) => importOnnx(b, { name: 'fuzz' }));
    prop(mutated(valid), (b) => decodeModel(b, 'fuzz.onnx'));
  });

  it('space JSON (hostile keys never reach Object.prototype)', () => {
    const base = { base: 'int8', schemes: { a: { model: 'm', design: { 'weight.bits': 4 } } }, axes: { scheme: ['a'], array: ['4x4', '8x8'], 'array.dataflow': ['os'] }, seed: 1, images: 0 };
    prop(fc.oneof(mutateJson(base), jsonish), (j) => parseSpace(j));
  });

  it('Design JSON', () => {
    prop(fc.oneof(mutateJson(PRESETS.int8), mutateJson({ base: 'int4', array: { rows: 8 } }), jsonish), (j) => parseDesign(j));
  });

  it('energy table JSON and RTL binding JSON', () => {
    prop(jsonish, (j) => parseEnergyTable(j));
    prop(jsonish, (j) => parseBinding(j));
  });

  it('model folder manifest (model.json) and checkpoint.json', () => {
    const ck: Checkpoint = {
      format: 'lowbit-fp32', version: 1, arch: 'fuzz', inputShape: [4],
      layers: [{ kind: 'dense', in: 4, out: 2, weight: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), bias: Float32Array.of(0.5, -0.5) }, { kind: 'relu' }],
    };
    const cdir = join(tmp, 'ck');
    saveCheckpoint(cdir, ck);
    const cjson = JSON.parse(readFileSync(join(cdir, 'checkpoint.json'), 'utf8')) as unknown;
    let k = 0;
    prop(mutateJson(cjson), (j) => {
      const d = join(tmp, `ck${k++}`);
      mkdirSync(d);
      for (const f of ['l0_dense.weight.f32', 'l0_dense.bias.f32']) writeFileSync(join(d, f), readFileSync(join(cdir, f)));
      writeFileSync(join(d, 'checkpoint.json'), JSON.stringify(j));
      loadCheckpoint(d);
    });
    const mdir = join(tmp, 'model');
    saveQuantizedModel(importOnnx(onnxBytes(), { name: 'fuzz' }), mdir);
    const mjson = JSON.parse(readFileSync(join(mdir, 'model.json'), 'utf8')) as unknown;
    prop(mutateJson(mjson), (j) => {
      writeFileSync(join(mdir, 'model.json'), JSON.stringify(j));
      loadQuantizedModel(mdir);
    });
  });

  it('sweep results lines', () => {
    const line = JSON.stringify({ space: '0123456789abcdef', index: 0, key: 'a=1', values: { a: 1 }, metrics: { cycles: 10 } });
    let k = 0;
    prop(fc.oneof(mutated(new TextEncoder().encode(`${line}\n${line.replace('"index":0', '"index":1')}\n`)), fc.uint8Array({ maxLength: 100 })), (b) => {
      const f = join(tmp, `r${k++}.jsonl`);
      writeFileSync(f, b);
      readResults(f);
    });
  });

  it('memory images, blob references and the small option grammars', () => {
    prop(fc.string({ maxLength: 60 }), (s) => parseReadmemh(s, 8));
    prop(jsonish, (j) => parseBlobRef('ref', j));
    const opt = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('w8a8', 'w4a4', 'w0a8', 'w99a99', 'percentile:101', 'percentile:', 'kl', 'first=w8a8', '1,2,3', '0,1,2', '1e9,1e9,1e9', '2/1', '0/0', '1/3', '8G', '-1M', 'NaN'));
    prop(opt, (s) => parseCalib(s));
    prop(opt, (s) => makeScheme(s));
    prop(opt, (s) => parseOverride(s));
    prop(opt, (s) => parseSize('--max-memory', s));
    prop(opt, (s) => parseShape('--gemm', s));
    prop(opt, (s) => parseShard(s));
  });
});
