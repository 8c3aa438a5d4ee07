import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutputDir, writeDirAtomic } from '../util/fsafe.js';
import { renderChart, type ChartSpec, type Row } from './plot.js';

/**
 * A report is a title and a list of sections; each section may carry paragraphs, a table and charts.
 * `writeReport` renders it to `index.md` + `index.html` (standalone: SVG inlined) + `plots/*.svg` +
 * `data.json`, atomically (a failed render leaves any previous report untouched).
 */
export interface Table {
  columns: string[];
  rows: (string | number)[][];
}

export interface Section {
  heading: string;
  paragraphs?: string[];
  table?: Table;
  charts?: (ChartSpec & { id: string })[];
}

export interface Report {
  title: string;
  generated?: string;
  sections: Section[];
  /** machine-readable results written to data.json */
  data?: unknown;
}

/** What a report folder is to safe outputs (fsafe.ts): its marker kind and how to recognise an older one. */
export const REPORT_OUTPUT = { kind: 'report', legacy: legacyReportDir } as const;

/** A report folder written before output markers existed: only report files, index.md and index.html present. */
function legacyReportDir(dir: string, entries: string[]): boolean {
  return entries.every((e) => ['index.md', 'index.html', 'data.json', 'plots'].includes(e)) && existsSync(join(dir, 'index.md')) && existsSync(join(dir, 'index.html'));
}

export async function writeReport(dir: string, report: Report, opts: { force?: boolean } = {}): Promise<{ files: string[] }> {
  checkOutputDir(dir, { ...REPORT_OUTPUT, force: opts.force });
  const svgs = new Map<string, string>();
  for (const s of report.sections) for (const c of s.charts ?? []) svgs.set(c.id, await renderChart(c));
  const md = renderMarkdown(report);
  const html = renderHtml(report, svgs);
  const files: string[] = ['index.md', 'index.html', 'data.json'];
  writeDirAtomic(dir, (tmp) => {
    writeFileSync(join(tmp, 'index.md'), md);
    writeFileSync(join(tmp, 'index.html'), html);
    writeFileSync(join(tmp, 'data.json'), JSON.stringify(report.data ?? report.sections, null, 1));
    if (svgs.size > 0) {
      const plots = join(tmp, 'plots');
      mkdirSync(plots);
      for (const [id, svg] of svgs) {
        if (!/^[a-z0-9_-]+$/i.test(id)) throw new Error(`chart id ${JSON.stringify(id)} must be [A-Za-z0-9_-]+`);
        writeFileSync(join(plots, `${id}.svg`), svg);
        files.push(`plots/${id}.svg`);
      }
    }
  }, { ...REPORT_OUTPUT, force: opts.force });
  return { files };
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [`# ${r.title}`, ''];
  if (r.generated) out.push(`_${r.generated}_`, '');
  for (const s of r.sections) {
    out.push(`## ${s.heading}`, '');
    for (const p of s.paragraphs ?? []) out.push(p, '');
    if (s.table) out.push(markdownTable(s.table), '');
    for (const c of s.charts ?? []) out.push(`![${c.title}](plots/${c.id}.svg)`, '');
  }
  return out.join('\n');
}

export function markdownTable(t: Table): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(t.columns), `|${t.columns.map(() => '---').join('|')}|`, ...t.rows.map(line)].join('\n');
}

export function renderHtml(r: Report, svgs: Map<string, string>): string {
  const esc = (s: string | number) =>
    String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const md = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>');
  const body: string[] = [`<h1>${esc(r.title)}</h1>`];
  if (r.generated) body.push(`<p class="gen">${esc(r.generated)}</p>`);
  for (const s of r.sections) {
    body.push(`<section><h2>${esc(s.heading)}</h2>`);
    for (const p of s.paragraphs ?? []) body.push(`<p>${md(p)}</p>`);
    if (s.table) {
      body.push('<table><thead><tr>' + s.table.columns.map((c) => `<th>${esc(c)}</th>`).join('') + '</tr></thead><tbody>');
      for (const row of s.table.rows) body.push('<tr>' + row.map((c) => `<td>${esc(c)}</td>`).join('') + '</tr>');
      body.push('</tbody></table>');
    }
    for (const c of s.charts ?? []) body.push(`<figure id="${esc(c.id)}">${svgs.get(c.id) ?? ''}<figcaption>${esc(c.title)}</figcaption></figure>`);
    body.push('</section>');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px;display:block;overflow-x:auto}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}figure{margin:1em 0}figcaption{font-size:13px;color:#555}code{background:#f5f5f5;padding:0 3px}
.gen{color:#777;font-size:13px}
</style></head><body>
${body.join('\n')}
</body></html>
`;
}

export type { ChartSpec, Row };
