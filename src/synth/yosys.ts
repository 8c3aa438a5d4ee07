import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cacheRoot } from '../rtl/build.js';
import { ToolError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';

/**
 * Area from synthesis: Yosys (Debian `yosys`) synthesizes a top module with the given parameters twice —
 * `synth -flatten` to Yosys's generic gate library (`$_AND_`, `$_XOR_`, `$_DFF_*`, ...) and then
 * `abc -lut 6` to 6-input LUTs (an FPGA-style count) — and reports cells by type. Results are cached in
 * `<cache>/yosys/<hash>.json`, the hash covering the sources, the parameters, the top and the Yosys version.
 */
export interface AreaReport {
  top: string;
  parameters: Record<string, number>;
  /** generic gate cells by type */
  gates: Record<string, number>;
  gateCount: number;
  /** flip-flop bits (cells whose type contains DFF) */
  flipFlops: number;
  /** 6-input LUTs after `abc -lut 6` */
  luts: number;
  yosys: string;
  cached: boolean;
}

export function yosysVersion(): string | undefined {
  const r = spawnSync('yosys', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Synthesizes `top` from `files`; throws ToolError when Yosys is missing or fails (with its message). */
export function synthesize(files: string[], top: string, parameters: Record<string, number>): AreaReport {
  const version = yosysVersion();
  if (!version) throw new ToolError('yosys not found: area estimates need Yosys; install it with `apt-get install -y yosys`');
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(f));
  h.update(top).update(JSON.stringify(parameters)).update(version);
  const key = h.digest('hex').slice(0, 20);
  const cacheFile = join(cacheRoot(), 'yosys', `${key}.json`);
  if (existsSync(cacheFile)) return { ...(JSON.parse(readFileSync(cacheFile, 'utf8')) as AreaReport), cached: true };

  const work = mkdtempSync(join(tmpdir(), 'lowbit-yosys-'));
  try {
    const gatesJson = join(work, 'gates.json');
    const lutJson = join(work, 'lut.json');
    const chparams = Object.entries(parameters).map(([k, v]) => `chparam -set ${k} ${v} ${top}`);
    const script = [
      `read_verilog -sv ${files.map((f) => JSON.stringify(resolve(f))).join(' ')}`,
      ...chparams,
      `synth -top ${top} -flatten`,
      `tee -q -o ${gatesJson} stat -json`,
      'abc -lut 6',
      'opt_clean',
      `tee -q -o ${lutJson} stat -json`,
    ].join('; ');
    const r = spawnSync('yosys', ['-q', '-p', script], { encoding: 'utf8', cwd: work, maxBuffer: 64 << 20 });
    if (r.status !== 0) {
      const msg = (r.stderr || r.stdout).split('\n').filter((l) => /error|ERROR/.test(l)).slice(0, 3).join(' ') || r.stderr.slice(-400);
      throw new ToolError(`yosys failed to synthesize ${top}: ${msg}`);
    }
    const gates = cellsByType(gatesJson);
    const luts = cellsByType(lutJson);
    const report: AreaReport = {
      top,
      parameters,
      gates,
      gateCount: Object.values(gates).reduce((a, b) => a + b, 0),
      flipFlops: Object.entries(gates).filter(([t]) => t.includes('DFF')).reduce((a, [, n]) => a + n, 0),
      luts: luts.$lut ?? 0,
      yosys: version,
      cached: false,
    };
    writeFileAtomic(cacheFile, JSON.stringify(report, null, 1));
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function cellsByType(path: string): Record<string, number> {
  const j = JSON.parse(readFileSync(path, 'utf8')) as { design: { num_cells_by_type?: Record<string, number> } };
  return j.design.num_cells_by_type ?? {};
}
