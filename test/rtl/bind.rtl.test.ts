import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMutations, runBoundMutant } from '../../src/rtl/bind/mutate.js';
import { readRtlPorts } from '../../src/rtl/bind/ports.js';
import { hdlFiles } from '../../src/rtl/hdl_manifest.js';
import type { BoundJob, BoundResult } from '../../src/rtl/bind/verify.js';
import { runCli } from '../unit/helpers/cli.js';
import { cacheRoot } from '../../src/rtl/build.js';

/**
 * `lowbit verify --rtl ... --bind`: the two user-style example designs in examples/rtl/ (written apart
 * from hdl/) verified against lowbit's models — an int8 dot-product core with valid/ready streams, an
 * active-high reset and a 3-stage pipeline (transaction mode, random gaps and backpressure), and a 64-lane
 * XNOR-popcount core with an active-low reset (cycle-exact, latency 2) — plus wrong bindings (exit 2, one
 * line, nothing built), an injected bug in each reported with its first bad transaction, and the printed
 * `reproduce:` line run as printed. The whole mutation lists run in test/slow/rtl_bind_mutation.test.ts.
 */
const root = resolve('.');
const INT8 = join(root, 'examples/rtl/int8_dot');
const XNOR = join(root, 'examples/rtl/xnor64');
const int8Args = (dir = INT8): string[] => ['verify', '--rtl', join(dir, 'dot8_core.sv'), '--top', 'dot8_core', '--bind', join(INT8, 'bind.json'), '--design', 'int8', '--cases', '40'];
const int8Job: BoundJob = { files: [join(INT8, 'dot8_core.sv')], top: 'dot8_core', includeDirs: [], defines: [], params: {}, bind: join(INT8, 'bind.json'), design: 'int8', seed: 1, cases: 40 };
const xnorJob: BoundJob = { files: [join(XNOR, 'xnor_pop64.sv')], top: 'xnor_pop64', includeDirs: [], defines: [], params: {}, bind: join(XNOR, 'bind.json'), design: 'binary', seed: 1, cases: 40 };

describe('verify --rtl with a port binding', () => {
  it('the int8 dot-product core matches mac_pe in transaction mode, with latency and throughput measured', async () => {
    const r = await runCli([...int8Args(), '--seed', '3']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // 25 directed corner dot products + 40 random ones; the 3-stage pipeline: latency at least 3 cycles
    expect(r.out).toMatch(/^ok +dot8_core \(mac_pe, transactions\) design int8: 65 of 65 output transactions compared, \d+ cycles, latency min\/median\/max 3\/[\d.]+\/\d+ cycles, cycles per output transaction 1\/[\d.]+\/\d+, backpressure [1-9]\d* cycles, input stalls [1-9]\d* cycles/);
    const j = await runCli([...int8Args(), '--json']);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.out) as { ok: boolean; mode: string; comparison: { compared: number; stats: { latency: { min: number } } } };
    expect([doc.ok, doc.mode, doc.comparison.compared, doc.comparison.stats.latency.min]).toEqual([true, 'transaction', 65, 3]);
  });

  it('the XNOR-popcount core matches xnor_popcount cycle-exactly at latency 2', async () => {
    const r = await runCli(['verify', '--rtl', join(XNOR, 'xnor_pop64.sv'), '--top', 'xnor_pop64', '--bind', join(XNOR, 'bind.json'), '--design', 'binary', '--cases', '40']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok +xnor_pop64 \(xnor_popcount, cycle-exact, latency 2\) design binary: 46 of 46 output transactions compared, \d+ cycles, latency min\/median\/max 2\/2\/2 cycles/);
  });

  it('a sequential matrix-multiply core matches the gemm model; a bit-serial core matches bit_serial (transactions)', async () => {
    const G = join(root, 'examples/rtl/gemm_seq');
    const g = await runCli(['verify', '--rtl', join(G, 'matmul_core.sv'), '--top', 'matmul_core', '--bind', join(G, 'bind.json'), '--design', 'int8', '--cases', '40']);
    expect(g.err).toBe('');
    // 25 corner products (5 x 5 corner pairs) + 40 random 2x4 x 4x2 products; 4 k steps + accept + result: latency >= 5
    expect(g.out).toMatch(/^ok +matmul_core \(gemm, transactions\) design int8: 65 of 65 output transactions compared, \d+ cycles, latency min\/median\/max 5\/[\d.]+\/\d+ cycles, cycles per output transaction [6-9]\/[\d.]+\/\d+, backpressure [1-9]\d* cycles, input stalls [1-9]\d* cycles/);
    const B = join(root, 'examples/rtl/bit_serial');
    const b = await runCli(['verify', '--rtl', join(B, 'bs_dot32.sv'), '--top', 'bs_dot32', '--bind', join(B, 'bind.json'), '--design', 'int4', '--cases', '20']);
    expect(b.err).toBe('');
    // 4 corner dot products + 20 random ones, 16 plane pairs of 1..3 words each; two pipeline stages
    expect(b.out).toMatch(/^ok +bs_dot32 \(bit_serial, transactions\) design int4: 24 of 24 output transactions compared, \d+ cycles, latency min\/median\/max 2\/2\/2 cycles, cycles per output transaction 1[6-9]\/[\d.]+\/\d+, backpressure 0 cycles, input stalls 0 cycles/);
  });

  it('the port list comes from Verilator with the include dirs, defines and parameters of the build', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-bind-ports-'));
    mkdirSync(join(dir, 'inc'));
    writeFileSync(join(dir, 'inc', 'widths.svh'), '`define NARROW 4\n');
    writeFileSync(join(dir, 't.sv'), [
      '`include "widths.svh"',
      'module t #(parameter int W = 8) (input logic clk, input logic [W-1:0] d,',
      '`ifdef WIDE output logic [2*W-1:0] q `else output logic [`NARROW-1:0] q `endif);',
      '  assign q = \'0;',
      'endmodule',
    ].join('\n'));
    const src = { files: [join(dir, 't.sv')], top: 't', includeDirs: [join(dir, 'inc')], defines: ['WIDE'], parameters: { W: '12' } };
    expect(await readRtlPorts(src)).toEqual([{ name: 'clk', dir: 'in', width: 1 }, { name: 'd', dir: 'in', width: 12 }, { name: 'q', dir: 'out', width: 24 }]);
    expect((await readRtlPorts({ ...src, defines: [] })).map((p) => p.width)).toEqual([1, 12, 4]);
    await expect(readRtlPorts({ ...src, includeDirs: [] })).rejects.toThrow(/^verilator could not read the RTL \(top t\): %Error: .*widths\.svh/);
  });

  it('a wrong port name or width in the binding: exit 2, one line naming the field and the port, nothing built', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bind-bad-'));
    const cache = join(tmp, 'cache');
    const bind = JSON.parse(readFileSync(join(INT8, 'bind.json'), 'utf8')) as { outputs: { fields: Record<string, unknown> }[]; inputs: { valid: string }[] };
    bind.outputs[0].fields.acc = 'm_accum';
    writeFileSync(join(tmp, 'name.json'), JSON.stringify(bind));
    bind.outputs[0].fields.acc = 'm_acc';
    bind.inputs[0].valid = 's_a';
    delete (bind.inputs[0] as { fields?: Record<string, unknown> }).fields!.a;
    writeFileSync(join(tmp, 'width.json'), JSON.stringify(bind));
    const before = process.env.LOWBIT_CACHE;
    process.env.LOWBIT_CACHE = cache;
    try {
      const name = await runCli([...int8Args().slice(0, 5), '--bind', join(tmp, 'name.json'), '--design', 'int8']);
      expect(name.code).toBe(2);
      expect(name.err).toBe(`lowbit: ${join(tmp, 'name.json')}: outputs[0].fields.acc.port: RTL port m_accum is not a port of dot8_core; did you mean m_acc? (its ports: clk, rst, s_valid, s_ready, s_a, s_b, s_last, m_valid, m_ready, m_acc)\n`);
      const width = await runCli([...int8Args().slice(0, 5), '--bind', join(tmp, 'width.json'), '--design', 'int8']);
      expect(width.code).toBe(2);
      expect(width.err).toBe(`lowbit: ${join(tmp, 'width.json')}: inputs[0].valid: RTL port s_a is 64 bits wide; expected 1\n`);
      // the accumulator of design int2 is 16 bits; dot8_core's m_acc is 32 (formats from the defaults: no laneBits given)
      writeFileSync(join(tmp, 'int2.json'), readFileSync(join(INT8, 'bind.json'), 'utf8').replace(/"laneBits": 8, "signed": true, /g, ''));
      const acc = await runCli([...int8Args().slice(0, 5), '--bind', join(tmp, 'int2.json'), '--design', 'int2']);
      expect(acc.code).toBe(2);
      expect(acc.err).toMatch(/^lowbit: \S+int2\.json: inputs\[0\]\.fields\.a \(port s_a, 64 bits\): the port must hold a whole number of 2-bit lanes|^lowbit: \S+int2\.json: outputs\[0\]\.fields\.acc \(port m_acc, 32 bits\): acc has 1 lane\(s\) of 16 bits, i\.e\. a 16-bit port\n$/);
      expect(acc.err.split('\n').length).toBe(2);
      const missing = await runCli(['verify', '--rtl', join(INT8, 'dot8_core.sv'), '--bind', join(INT8, 'bind.json'), '--design', 'int8']);
      expect([missing.code, missing.err]).toEqual([2, 'lowbit: verify --rtl: give --top NAME (the top module of the RTL)\n']);
    } finally {
      if (before === undefined) delete process.env.LOWBIT_CACHE;
      else process.env.LOWBIT_CACHE = before;
    }
    expect(existsSync(join(cache, 'verilator'))).toBe(false);
  });

  it('an injected bug in each example is caught at its first bad transaction; the reproduce line works as printed', async () => {
    const [noAcc] = loadMutations(join(INT8, 'mutations.json')).filter((m) => m.id === 'dot8-no-accumulate');
    const m8 = await runBoundMutant(int8Job, noAcc);
    expect(m8.killed).toBe(true);
    // the first multi-beat dot product after the 25 single-beat corner cases is the first wrong one
    expect((m8.outcome!.result as BoundResult).comparison.first).toMatchObject({ kind: 'value', txn: 25, stream: 'outputs[0]' });
    const [xor] = loadMutations(join(XNOR, 'mutations.json')).filter((m) => m.id === 'xnor64-xor');
    const mx = await runBoundMutant(xnorJob, xor);
    expect(mx.killed).toBe(true);
    expect((mx.outcome!.result as BoundResult).comparison.first).toMatchObject({ kind: 'value', txn: 0, expected: 64n, actual: -64n });

    // the same bug in a user's own folder: report, kept VCD, and the printed command reproduces it
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-bind-bug-'));
    writeFileSync(join(dir, 'dot8_core.sv'), readFileSync(join(INT8, 'dot8_core.sv'), 'utf8').replace(noAcc.find, noAcc.replace));
    copyFileSync(join(INT8, 'bind.json'), join(dir, 'bind.json'));
    const vcdDir = join(dir, 'vcd');
    const r = await runCli([...int8Args(dir), '--vcd-dir', vcdDir]);
    expect(r.code).toBe(1);
    const report = r.out.slice(r.out.indexOf('MISMATCH dot8_core (model'));
    const lines = report.split('\n');
    expect(lines[0]).toBe(`MISMATCH dot8_core (model mac_pe, bind ${join(INT8, 'bind.json')}), design int8, seed 1, 40 cases (${(m8.outcome!.result as BoundResult).cycles} cycles)`);
    expect(lines[1]).toBe(`  first mismatch: output transaction 25 on outputs[0], cycle ${(m8.outcome!.result as BoundResult).comparison.first!.cycle}: field acc (port m_acc, lane 0 of 1)`);
    expect(lines[2]).toMatch(/^ {4}expected 0x[0-9a-f]{8} \(\d+(; signed -\d+)?\)$/);
    expect(lines[4]).toMatch(/^ {2}operands: input transactions 25\.\.\d+ \(accepted in cycles \d+\.\.\d+\)$/);
    expect(lines[5]).toMatch(/^ {4}#25 a=\[(-?\d+, ){7}-?\d+\] w=\[(-?\d+, ){7}-?\d+\] last=[01]$/);
    const vcd = /waveform: (\S+) \(cycle c is sampled at 10\*\(c\+2\) ns\)/.exec(report)![1];
    expect(vcd.startsWith(vcdDir) && existsSync(vcd)).toBe(true);
    // the reproducer: every input transaction of the run, and the command that replays them with the same seed
    const inputs = join(vcdDir, 'dot8_core-int8-seed1.inputs.json');
    expect(report).toContain(`\n  inputs: ${inputs} (every input transaction of this run)\n`);
    const txns = JSON.parse(readFileSync(inputs, 'utf8')) as { a: number[]; w: number[]; last: number[] }[];
    expect(txns.length).toBe((m8.outcome!.result as BoundResult).inputTxns);
    expect(txns[25]).toEqual({ a: (m8.outcome!.result as BoundResult).inputs[25].a.map(Number), w: (m8.outcome!.result as BoundResult).inputs[25].w.map(Number), last: [0] });
    const cmd = /reproduce: (.+)/.exec(report)![1];
    expect(cmd).toBe(`lowbit verify --rtl ${join(dir, 'dot8_core.sv')} --top dot8_core --bind ${join(INT8, 'bind.json')} --design int8 --seed 1 --vectors ${inputs} --keep-vcd`);
    expect(readFileSync(join(vcdDir, 'dot8_core-int8-seed1.reproduce.sh'), 'utf8')).toContain(`\n${cmd}\n`);
    // run it as printed, through a shell, with `lowbit` on the PATH (the CLI from these sources)
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'lowbit'), `#!/bin/sh\nexec node --import ${pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href} ${join(root, 'src/cli/main.ts')} "$@"\n`);
    chmodSync(join(bin, 'lowbit'), 0o755);
    const again = spawnSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, LOWBIT_CACHE: cacheRoot() } });
    expect(again.status).toBe(1);
    expect(again.stdout).toContain(lines[1]);
    expect(again.stdout).toContain(lines[2]);
    expect(readdirSync(join(cacheRoot(), 'vcd'))).toContain('dot8_core-int8-seed1.vcd');
  });

  it('a unit binding: a shell around mac_array under its own names, active-high reset and msb-first lanes, checked every cycle', async () => {
    const fx = join(root, 'test/rtl/fixtures/bind_unit');
    const files = [join(fx, 'pe_grid.sv'), ...hdlFiles('mac_array').map((f) => join(root, f))].flatMap((f) => ['--rtl', f]);
    const args = ['verify', ...files, '--top', 'pe_grid', '--design', 'os-3x5-int8', '--cases', '30'];
    const ok = await runCli([...args, '--bind', join(fx, 'bind.json')]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^ok +pe_grid-as-mac_array os-3x5-int8 +\d+ cycles/);
    // the same RTL with one bus declared in the wrong lane order: every-cycle comparison catches it
    const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bind-unit-'));
    writeFileSync(join(tmp, 'lsb.json'), readFileSync(join(fx, 'bind.json'), 'utf8').replace('"h_i": { "port": "row_data", "laneBits": 8, "order": "msb-first" }', '"h_i": "row_data"'));
    const bad = await runCli([...args, '--bind', join(tmp, 'lsb.json')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/MISMATCH pe_grid-as-mac_array, design os-3x5-int8, seed 1, 30 cases \(\d+ cycles\)\n  first mismatch: cycle \d+, output y_o \(160 bits\)/);
    expect(bad.out).toContain(`reproduce: lowbit verify ${files.join(' ')} --top pe_grid --bind ${join(tmp, 'lsb.json')} --design os-3x5-int8 --seed 1 --cases 30 --keep-vcd`);
  });

  it('a unit binding with a deeper pipeline ("latency": 2) matches; a wrong latency and a mutant of the user RTL are caught', async () => {
    const fx = join(root, 'test/rtl/fixtures/bind_unit');
    const files = [join(fx, 'pe_grid.sv'), ...hdlFiles('mac_array').map((f) => join(root, f))];
    const args = ['verify', ...files.flatMap((f) => ['--rtl', f]), '--top', 'pe_grid', '--design', 'os-3x5-int8', '--cases', '30'];
    const ok = await runCli([...args, '--bind', join(fx, 'bind_deep.json')]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    // 2 extra cycles: the run is the unit's stimulus plus 2 cycles
    const plain = await runCli([...args, '--bind', join(fx, 'bind.json'), '--json']);
    const cycles = (JSON.parse(plain.out) as { cycles: number }).cycles;
    expect(ok.out).toMatch(new RegExp(`^ok +pe_grid-as-mac_array os-3x5-int8 +${cycles + 2} cycles`));
    // stated one cycle short: the first result is due a cycle before the RTL gives it
    const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bind-lat-'));
    writeFileSync(join(tmp, 'lat1.json'), readFileSync(join(fx, 'bind_deep.json'), 'utf8').replace('"latency": 2', '"latency": 1'));
    const bad = await runCli([...args, '--bind', join(tmp, 'lat1.json')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/MISMATCH pe_grid-as-mac_array, design os-3x5-int8, seed 1, 30 cases \(\d+ cycles\)\n  latency 1: cycle t of pe_grid is compared with cycle t - 1 of mac_array \(its reset outputs before that\)\n  first mismatch: cycle \d+, output y_valid_o \(1 bits\)\n    expected 0x1 \(1\)\n    actual   0x0 \(0\)/);
    // --mutations works for unit bindings too (all of them: test/slow/rtl_bind_mutation.test.ts)
    const job: BoundJob = { files, top: 'pe_grid', includeDirs: [], defines: [], params: {}, bind: join(fx, 'bind_deep.json'), design: 'os-3x5-int8', seed: 1, cases: 30 };
    const [early] = loadMutations(join(fx, 'mutations.json')).filter((m) => m.id === 'pe-grid-valid-early');
    const m = await runBoundMutant(job, early);
    expect([m.killed, m.how, m.outcome!.kind]).toEqual([true, 'mismatch', 'unit']);
    expect(m.outcome!.first).toMatch(/^cycle \d+, y_valid_o$/);
  });

  it('a unit binding with a shallower pipeline ("latency": -1) matches; stated 0 or -2, it is caught', async () => {
    const fx = join(root, 'test/rtl/fixtures/bind_unit');
    // pe_mealy: an os PE whose outputs are its registers' next values (mac_pe's are the registers)
    const args = ['verify', '--rtl', join(fx, 'pe_mealy.sv'), '--top', 'pe_mealy', '--design', 'os-w8a8-acc32-wrap', '--cases', '60'];
    const ok = await runCli([...args, '--bind', join(fx, 'bind_mealy.json')]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^ok +pe_mealy-as-mac_pe os-w8a8-acc32-wrap +\d+ cycles/);
    const tmp = mkdtempSync(join(tmpdir(), 'lowbit-bind-mealy-'));
    writeFileSync(join(tmp, 'lat0.json'), readFileSync(join(fx, 'bind_mealy.json'), 'utf8').replace('"latency": -1', '"latency": 0'));
    const bad = await runCli([...args, '--bind', join(tmp, 'lat0.json')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/MISMATCH pe_mealy-as-mac_pe, design os-w8a8-acc32-wrap, seed 1, 60 cases \(\d+ cycles\)\n  first mismatch: cycle 0, output acc_o \(32 bits\)/);
    writeFileSync(join(tmp, 'lat-2.json'), readFileSync(join(fx, 'bind_mealy.json'), 'utf8').replace('"latency": -1', '"latency": -2'));
    const two = await runCli([...args, '--bind', join(tmp, 'lat-2.json')]);
    expect(two.code).toBe(1);
    expect(two.out).toContain('  latency -2: cycle t of pe_mealy is compared with cycle t + 2 of mac_pe\n  first mismatch: cycle 0, output h_valid_o (1 bits)\n    expected 0x1 (1)\n    actual   0x0 (0)');
  });
});
