import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { saveQuantizedModel } from '../../src/model/format.js';
import { parseSpace, shardIndices } from '../../src/explore/space.js';
import { runSweep } from '../../src/explore/sweep.js';
import { evaluatePoint } from '../../src/explore/evaluate.js';
import { sweepFront } from '../../src/explore/front.js';
import { estimateNetwork } from '../../src/estimate/network.js';
import { PRESETS } from '../../src/hw/presets.js';
import { BINARY, int, randomMlp } from './fixtures/model/random_models.js';
import { runCli as run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-reportcli-'));
process.env.LOWBIT_CACHE = join(dir, 'cache');
const w8 = join(dir, 'w8');
const w1 = join(dir, 'w1');
const m8 = randomMlp(new Rng(21), [784, 16, 10], int(8, true), int(8, true), 'multiplier-double');
const m1 = randomMlp(new Rng(22), [784, 16, 10], BINARY, BINARY, 'bipolar');
saveQuantizedModel(m8, w8);
saveQuantizedModel(m1, w1);


const svgMarks = (svg: string, role: string): number => svg.match(new RegExp(`aria-roledescription="${role}"`, 'g'))?.length ?? 0;

describe('lowbit report', () => {
  it('renders a sweep report: index.md, standalone index.html with the five plots, SVG marks per point', async () => {
    const space = parseSpace({
      base: 'tiny',
      schemes: { w8a8: { model: w8, design: {} }, w1a1: { model: w1, design: { 'weight.bits': 1, 'activation.bits': 1, 'requant.mode': 'shift', 'requant.rounding': 'TRN' } } },
      axes: { scheme: ['w8a8', 'w1a1'], array: ['2x2', '4x4', '8x8'] },
      images: 20,
    });
    const results = join(dir, 'results.jsonl');
    const r = await runSweep(space, { indices: shardIndices(space, 0, 1), out: results, jobs: 1, evaluate: async (p) => evaluatePoint(space, p.index, { accuracy: true, area: false, batch: 1 }) });
    expect(r.results.every((x) => x.metrics.error === undefined)).toBe(true);
    const out = join(dir, 'rep');
    const c = await run(['report', '--input', results, '--out', out, '--title', 'Test sweep']);
    expect(c.code).toBe(0);
    expect(c.out).toContain('plots/pareto_front.svg');
    const ids = ['accuracy_vs_bits', 'throughput_vs_array', 'memory_savings', 'energy_breakdown', 'pareto_front'];
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<h1>Test sweep</h1>');
    for (const id of ids) {
      expect(html).toContain(`<figure id="${id}"><svg`);
      const svg = readFileSync(join(out, 'plots', `${id}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
    }
    expect(html.match(/<figure id=/g)?.length).toBe(5);
    expect(html).not.toContain('<script');
    // one Pareto-chart point per design point; one accuracy point per scheme; 2 schemes x 2 baselines of bars
    expect(svgMarks(readFileSync(join(out, 'plots', 'pareto_front.svg'), 'utf8'), 'point')).toBe(6);
    expect(svgMarks(readFileSync(join(out, 'plots', 'accuracy_vs_bits.svg'), 'utf8'), 'point')).toBe(2);
    expect(svgMarks(readFileSync(join(out, 'plots', 'memory_savings.svg'), 'utf8'), 'bar')).toBe(4);
    const md = readFileSync(join(out, 'index.md'), 'utf8');
    expect(md).toContain('# Test sweep');
    expect(md).toContain('![Pareto front: accuracy % vs inferences/s](plots/pareto_front.svg)');
    const front = sweepFront(r.results);
    for (const f of front) expect(md).toContain(`| ${f.index} | ${f.key} |`);
    expect(JSON.parse(readFileSync(join(out, 'data.json'), 'utf8')).results).toHaveLength(6);
  }, 60_000);

  it('renders a report from estimate JSON outputs', async () => {
    const files: string[] = [];
    for (const [name, m, d] of [['e8', m8, PRESETS.tiny], ['e1', m1, PRESETS.binary]] as const) {
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify({ ...estimateNetwork(m, d), area: { skipped: 'area skipped (--no-area)' } }));
      files.push(f);
    }
    const out = join(dir, 'est');
    const c = await run(['report', '--input', ...files, '--out', out]);
    expect(c.code).toBe(0);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    for (const id of ['layer_cycles', 'throughput_vs_array', 'memory_savings', 'energy_breakdown']) expect(html).toContain(`<figure id="${id}"><svg`);
    expect(html).toContain('carry no accuracy');
    expect(readFileSync(join(out, 'index.md'), 'utf8')).toMatch(/\| random-mlp \| tiny \| 4x4 \| \d+ \|/);
  });

  it('rejects inputs it cannot read with exit 2 and leaves no report', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"a": 1}');
    const out = join(dir, 'none');
    const r = await run(['report', '--input', bad, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad.json is not a `lowbit estimate --model ... --json` output/);
    const r2 = await run(['report', '--input', join(dir, 'missing.jsonl'), '--out', out]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/missing.jsonl: does not exist/);
    // a binary file (NumPy's .npy header) is named as one, its bytes not quoted; a broken JSON text keeps the parser's reason
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, Buffer.concat([Buffer.from('\x93NUMPY\x01\x00v\x00', 'latin1'), Buffer.alloc(64, 0)]));
    const r3 = await run(['report', '--input', npy, '--out', out]);
    expect(r3.err).toBe(`lowbit: report: ${npy} is neither sweep results (JSON lines) nor an estimate JSON (it is a binary file)\n`);
    expect(r3.code).toBe(2);
    writeFileSync(bad, '{"a": 1');
    expect((await run(['report', '--input', bad, '--out', out])).err).toMatch(/bad\.json is neither sweep results \(JSON lines\) nor an estimate JSON \(.*JSON/);
    expect(existsSync(out)).toBe(false);
  });
});
