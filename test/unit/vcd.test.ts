import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTimescale, readVcd, valueAt } from '../../src/rtl/vcd.js';
import { InputError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-vcd-test-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const HEADER = [
  '$version test $end',
  '$timescale 1ns $end',
  '$scope module TOP $end',
  '$var wire 4 ! a [3:0] $end',
  '$var wire 1 " b $end',
  '$scope module u $end',
  '$var wire 4 ! a_alias [3:0] $end',
  '$var wire 70 # wide [69:0] $end',
  '$upscope $end',
  '$upscope $end',
  '$enddefinitions $end',
].join('\n');

describe('readVcd', () => {
  it('concurrent reads (one shared WASM parser) give the same results as sequential ones', async () => {
    // large enough to need many 32 KiB chunks, so unserialized reads would interleave inside the parser
    const body = Array.from({ length: 20000 }, (_, t) => `#${t}\nb${(t & 15).toString(2)} !\n${t & 1}"`).join('\n');
    const p1 = file('big1.vcd', `${HEADER}\n${body}\n`);
    const p2 = file('big2.vcd', `${HEADER}\n${body.replace(/ !/g, ' #')}\n`);
    const seq = [await readVcd(p1), await readVcd(p2)];
    const par = await Promise.all([readVcd(p1), readVcd(p2), readVcd(p1)]);
    expect(par[0].tracks.get('!')!.values).toEqual(seq[0].tracks.get('!')!.values);
    expect(par[1].tracks.get('#')!.values).toEqual(seq[1].tracks.get('#')!.values);
    expect(par[2].endTime).toBe(19999);
    expect(seq[0].tracks.get('!')!.values.length).toBe(20000);
  });

  it('reads vectors, scalars, x values, aliases (shared id codes) and wide values as BigInt', async () => {
    const wide = (1n << 69n) | 0x1234_5678_9abc_def0n;
    const p = file('ok.vcd', `${HEADER}\n#0\nb1010 !\n1"\nb0 #\n#5\nbx01z !\nx"\n#10\nb${wide.toString(2)} #\n0"\nb1111 !\nb1111 !\n`);
    const v = await readVcd(p);
    expect(v.timescale).toBe(1e-9);
    expect(v.endTime).toBe(10);
    expect([...v.signals.keys()]).toEqual(['TOP.a', 'TOP.b', 'TOP.u.a_alias', 'TOP.u.wide']);
    expect(v.signals.get('TOP.u.a_alias')!.id).toBe(v.signals.get('TOP.a')!.id);
    expect(v.signals.get('TOP.u.wide')!.width).toBe(70);
    const a = v.tracks.get('!')!;
    expect(a.times).toEqual([0, 5, 10]); // the duplicate dump at #10 is merged
    expect(a.values[0]).toBe(10n);
    expect(a.masks[0]).toBe(0n);
    expect(a.masks[1]).not.toBe(0n); // x/z present
    expect(a.values[2]).toBe(15n);
    const b = v.tracks.get('"')!;
    expect(b.values).toEqual([1n, 0n, 0n]);
    expect(b.masks).toEqual([0n, 1n, 0n]);
    const w = v.tracks.get('#')!;
    expect(valueAt(w, 9)).toEqual({ value: 0n, mask: 0n });
    expect(valueAt(w, 10)).toEqual({ value: wide, mask: 0n });
    expect(valueAt(w, 1000)).toEqual({ value: wide, mask: 0n });
  });

  it('keeps only the wanted signals and names unknown ones with similar names', async () => {
    const p = file('want.vcd', `${HEADER}\n#0\nb1010 !\n1"\n`);
    const v = await readVcd(p, ['TOP.b']);
    expect([...v.tracks.keys()]).toEqual(['"']);
    await expect(readVcd(p, ['TOP.u.wid'])).rejects.toThrow(/TOP\.u\.wid is not declared; similar: TOP\.u\.wide/);
  });

  it('reads files larger than one chunk, several times over one WASM instance', async () => {
    const lines: string[] = [HEADER];
    for (let t = 0; t < 20000; t++) lines.push(`#${t * 10}`, `b${(t & 15).toString(2)} !`);
    const p = file('big.vcd', lines.join('\n') + '\n');
    await readVcd(p);
    const v = await readVcd(p);
    const a = v.tracks.get('!')!;
    expect(a.times.length).toBe(20000);
    expect(valueAt(a, 123456)).toEqual({ value: BigInt(12345 & 15), mask: 0n });
  });

  it('rejects malformed files with the file name and line', async () => {
    const p = file('bad.vcd', `${HEADER}\n#0\nb1010 !\n#zz\n@@@\n`);
    const err = await readVcd(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String((err as Error).message)).toMatch(/bad\.vcd:15: malformed VCD/);
    await expect(readVcd(file('nohdr.vcd', 'garbage here\n'))).rejects.toThrow(/nohdr\.vcd.*malformed VCD/);
    await expect(readVcd(file('empty.vcd', ''))).rejects.toThrow(/empty\.vcd: malformed VCD: no \$enddefinitions/);
    await expect(readVcd(join(dir, 'missing.vcd'))).rejects.toThrow(/missing\.vcd: VCD file not found/);
    await expect(readVcd(file('back.vcd', `${HEADER}\n#10\n1"\n#5\n0"\n`))).rejects.toThrow(/time goes backwards/);
  });

  it('parses timescales', () => {
    expect(parseTimescale('f', '1ns')).toBe(1e-9);
    expect(parseTimescale('f', '10 ps')).toBeCloseTo(1e-11, 20);
    expect(() => parseTimescale('f.vcd', '3ns')).toThrow(/f\.vcd: \$timescale "3ns"/);
  });
});
