import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpace, pointAt, spaceSize, shardIndices, parseShard, applyPoint, spaceHash } from '../../src/explore/space.js';
import { runSweep, mergeResults, readResults } from '../../src/explore/sweep.js';

const spaceJson = {
  base: 'int8',
  schemes: { w8a8: { model: 'models/a', design: { 'weight.bits': 8 } }, w4a4: { model: 'models/b', design: { 'weight.bits': 4 } } },
  axes: { scheme: ['w8a8', 'w4a4'], array: ['4x4', '8x8', '16x16'], 'array.dataflow': ['os', 'ws'] },
  seed: 7,
};
const tmp = () => mkdtempSync(join(tmpdir(), 'lowbit-sweep-'));
// a deterministic stand-in for an estimate: depends only on the point
const evaluate = async (p: { values: Record<string, unknown> }) => {
  const [r, c] = String(p.values.array).split('x').map(Number);
  return { macs: r * c, bits: p.values.scheme === 'w8a8' ? 8 : 4, df: String(p.values['array.dataflow']) };
};

describe('design space', () => {
  it('enumerates the Cartesian product, last axis fastest', () => {
    const s = parseSpace(spaceJson);
    expect(spaceSize(s)).toBe(12);
    expect(pointAt(s, 0).key).toBe('scheme=w8a8,array=4x4,array.dataflow=os');
    expect(pointAt(s, 1).key).toBe('scheme=w8a8,array=4x4,array.dataflow=ws');
    expect(pointAt(s, 11).key).toBe('scheme=w4a4,array=16x16,array.dataflow=ws');
    const keys = new Set(Array.from({ length: 12 }, (_, i) => pointAt(s, i).key));
    expect(keys.size).toBe(12);
  });

  it('applies scheme and axis overrides to the Design JSON', () => {
    const s = parseSpace(spaceJson);
    const d = applyPoint({ array: { rows: 1, cols: 1, dataflow: 'os' }, weight: { bits: 2, signed: true } }, s, pointAt(s, 11));
    expect(d).toEqual({ array: { rows: 16, cols: 16, dataflow: 'ws' }, weight: { bits: 4, signed: true } });
    expect(() => applyPoint({ array: { rows: 1, cols: 1 } }, parseSpace({ axes: { 'array.depth': [1] } }), { index: 0, key: '', values: { 'array.depth': 1 } })).toThrow(/axis array.depth/);
  });

  it('shards partition the points', () => {
    const s = parseSpace(spaceJson);
    const all = [0, 1, 2].flatMap((i) => shardIndices(s, i, 3)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(parseShard('2/3')).toEqual({ i: 1, n: 3 });
    expect(() => parseShard('4/3')).toThrow(/--shard: got "4\/3"; allowed: I\/N/);
  });

  it('rejects bad space files naming the field', () => {
    expect(() => parseSpace({ axes: {} })).toThrow(/axes/);
    expect(() => parseSpace({ axes: { array: ['16by16'] } })).toThrow(/axes.array: got "16by16"; allowed: RxC/);
    expect(() => parseSpace({ axes: { scheme: ['w2a2'] } })).toThrow(/axes.scheme: got "w2a2"; allowed: a scheme defined/);
    expect(() => parseSpace({ axes: { clockMHz: [100, 100] } })).toThrow(/distinct values/);
    expect(() => parseSpace({ axis: {} })).toThrow(/field "axis"/);
    expect(() => parseSpace({ axes: { clockMHz: [null] } })).toThrow(/clockMHz\[0\]/);
  });
});

describe('sweep runs', () => {
  it('sharded + merged equals unsharded; deterministic', async () => {
    const s = parseSpace(spaceJson);
    const d = tmp();
    const whole = await runSweep(s, { indices: shardIndices(s, 0, 1), out: join(d, 'all.jsonl'), jobs: 3, evaluate });
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const f = join(d, `shard${i}.jsonl`);
      await runSweep(s, { indices: shardIndices(s, i, 3), out: f, jobs: 2, evaluate });
      files.push(f);
    }
    const merged = mergeResults(s, files, join(d, 'merged.jsonl'));
    expect(merged).toEqual(whole.results);
    expect(readFileSync(join(d, 'merged.jsonl'), 'utf8')).toBe(whole.results.map((r) => JSON.stringify(r) + '\n').join(''));
    expect(() => mergeResults(s, files.slice(0, 2), join(d, 'm2.jsonl'))).toThrow(/4 of 12 points missing \(first: 2, 5, 8, 11\)/);
  });

  it('resumes without redoing finished points and repairs a torn last line', async () => {
    const s = parseSpace(spaceJson);
    const out = join(tmp(), 'r.jsonl');
    let calls = 0;
    const counting = async (p: Parameters<typeof evaluate>[0]) => {
      calls++;
      return evaluate(p);
    };
    await runSweep(s, { indices: [0, 1, 2, 3], out, jobs: 1, evaluate: counting });
    appendFileSync(out, `{"space":"${spaceHash(s)}","ind`); // killed mid-write
    const r = await runSweep(s, { indices: shardIndices(s, 0, 1), out, jobs: 2, evaluate: counting });
    expect(calls).toBe(12);
    expect(r.skipped).toBe(4);
    expect(r.results.map((x) => x.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('refuses a results file from another space', async () => {
    const s = parseSpace(spaceJson);
    const out = join(tmp(), 'r.jsonl');
    await runSweep(s, { indices: [0], out, jobs: 1, evaluate });
    const other = parseSpace({ ...spaceJson, seed: 8 });
    await expect(runSweep(other, { indices: [0], out, jobs: 1, evaluate })).rejects.toThrow(/different space/);
    writeFileSync(out, 'garbage\n{"a":1}\n');
    expect(() => readResults(out)).toThrow(/line 1 is not a sweep result/);
  });
});
