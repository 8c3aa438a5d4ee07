import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign } from '../../src/hw/design.js';
import { scaleSimConfig, scaleSimCycles, scaleSimTopology, writeScaleSim } from '../../src/hw/scalesim.js';
import { InputError } from '../../src/util/errors.js';

/** Mirrors scale-sim-v2 topology_utils.load_arrays_gemm: skip the header, drop the last field per row. */
function parseLikeScaleSim(csv: string): { name: string; m: number; n: number; k: number }[] {
  return csv.split('\n').slice(1).map((r) => r.trim()).filter((r) => r !== '').map((row) => {
    const e = row.split(',').slice(0, -1);
    expect(e.length).toBeGreaterThan(3);
    return { name: e[0].trim(), m: Number(e[1]), n: Number(e[2]), k: Number(e[3]) };
  });
}

/** Mirrors Python configparser for the keys scale_config.read_conf_file reads (case-insensitive keys). */
function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let sec: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    const s = /^\[(.+)\]$/.exec(line.trim());
    if (s) out.set(s[1], (sec = new Map()));
    else if (line.trim() !== '') {
      const m = /^([^:=]+?)\s*[:=]\s*(.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      sec!.set(m![1].toLowerCase(), m![2].trim());
    }
  }
  return out;
}

describe('SCALE-Sim v2 files', () => {
  it('config carries the Design', () => {
    const d = loadDesign('int8', { array: '8x32', dataflow: 'ws' });
    const ini = parseIni(scaleSimConfig(d, 'run1'));
    expect(ini.get('general')!.get('run_name')).toBe('run1');
    const a = ini.get('architecture_presets')!;
    expect([a.get('arrayheight'), a.get('arraywidth'), a.get('dataflow')]).toEqual(['8', '32', 'ws']);
    expect([a.get('ifmapsramszkb'), a.get('filtersramszkb'), a.get('ofmapsramszkb')]).toEqual(['64', '64', '16']);
    expect([a.get('ifmapoffset'), a.get('filteroffset'), a.get('ofmapoffset'), a.get('bandwidth')]).toEqual(['0', '10000000', '20000000', '16']);
    expect(ini.get('run_presets')!.get('interfacebandwidth')).toBe('USER');
    expect(ini.get('sparsity')!.get('sparsitysupport')).toBe('false');
  });
  it('GEMM topology rows are M, N, K with the trailing comma SCALE-Sim expects', () => {
    const csv = scaleSimTopology([{ name: 'fc1', M: 100, K: 784, N: 256 }, { name: 'fc 2', M: 100, K: 256, N: 10 }]);
    expect(csv).toBe('Layer, M, N, K,\nfc1, 100, 256, 784,\nfc 2, 100, 10, 256,\n');
    expect(parseLikeScaleSim(csv)).toEqual([{ name: 'fc1', m: 100, n: 256, k: 784 }, { name: 'fc 2', m: 100, n: 10, k: 256 }]);
    expect(() => scaleSimTopology([{ name: 'a,b', M: 1, K: 1, N: 1 }])).toThrow(/layers\[0\]\.name: got "a,b"/);
    expect(() => scaleSimTopology([{ name: 'a', M: 0, K: 1, N: 1 }])).toThrow(InputError);
    expect(() => scaleSimTopology([])).toThrow(/layers/);
  });
  it('writes both files into a folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-scalesim-'));
    const r = writeScaleSim(dir, loadDesign('int4'), [{ name: 'g', M: 4, K: 5, N: 6 }]);
    expect(r.cfg).toBe(join(dir, 'lowbit_int4_16x16_os.cfg'));
    expect(readFileSync(r.topology, 'utf8')).toBe('Layer, M, N, K,\ng, 4, 6, 5,\n');
    expect(r.command).toContain('-i gemm');
  });
  it('cycle formulas (docs/architecture.md) by hand', () => {
    const os = scaleSimCycles(loadDesign('int8', { array: '32x32' }), 256, 256, 128);
    expect(os).toEqual({ folds: 8 * 4, cyclesPerFold: 256 + 62, cycles: 32 * 318, reportedLastCycle: 32 * 318 - 1 });
    expect(scaleSimCycles(loadDesign('int8-ws', { array: '4x8' }), 10, 9, 17).cycles).toBe(3 * 3 * (8 + 8 + 10 - 2));
    expect(scaleSimCycles(loadDesign('int8-is', { array: '4x8' }), 10, 9, 17).cycles).toBe(3 * 2 * (8 + 8 + 17 - 2));
  });
});
