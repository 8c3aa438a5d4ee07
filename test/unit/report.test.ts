import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport, renderChart, markdownTable } from '../../src/report/index.js';

describe('report writer', () => {
  it('renders a chart to SVG with one mark per data point', async () => {
    const svg = await renderChart({
      title: 'accuracy vs bits',
      data: [
        { bits: 1, acc: 97.1 },
        { bits: 2, acc: 98.2 },
        { bits: 4, acc: 98.4 },
      ],
      mark: 'point',
      x: { field: 'bits' },
      y: { field: 'acc' },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('accuracy vs bits');
    // one point mark per data row
    expect(svg.match(/aria-roledescription="point"/g)?.length).toBe(3);
  });

  it('writes index.md, a standalone index.html with inline SVG, plots and data', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lowbit-report-')), 'r');
    const { files } = await writeReport(dir, {
      title: 'Sample',
      sections: [
        {
          heading: 'Throughput',
          paragraphs: ['cycles per `inference`'],
          table: { columns: ['array', 'inf/s'], rows: [['8x8', 10], ['16x16', 40]] },
          charts: [{ id: 'tput', title: 'throughput vs array', data: [{ a: 64, t: 10 }, { a: 256, t: 40 }], mark: 'line', x: { field: 'a' }, y: { field: 't' } }],
        },
      ],
      data: { points: 2 },
    });
    expect(files).toEqual(['index.md', 'index.html', 'data.json', 'plots/tput.svg']);
    const md = readFileSync(join(dir, 'index.md'), 'utf8');
    expect(md).toContain('| array | inf/s |\n|---|---|\n| 8x8 | 10 |');
    expect(md).toContain('![throughput vs array](plots/tput.svg)');
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<figure id="tput"><svg');
    expect(html).toContain('<code>inference</code>');
    expect(JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8'))).toEqual({ points: 2 });
    rmSync(dir, { recursive: true });
  });

  it('leaves nothing behind when rendering fails', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lowbit-report-')), 'r');
    await expect(
      writeReport(dir, { title: 'x', sections: [{ heading: 'h', charts: [{ id: 'bad id!', title: 't', data: [], mark: 'bar', x: { field: 'a' }, y: { field: 'b' } }] }] }),
    ).rejects.toThrow(/chart id/);
    expect(existsSync(dir)).toBe(false);
  });

  it('escapes pipes in markdown tables', () => {
    expect(markdownTable({ columns: ['a|b'], rows: [[1]] })).toBe('| a\\|b |\n|---|\n| 1 |');
  });
});
