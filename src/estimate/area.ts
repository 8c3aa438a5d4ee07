import { clog2, intFormat } from '../arith/format.js';
import type { Design } from '../hw/design.js';
import { laneFormat, tagBits } from '../hw/mac_rule.js';
import { macVerilogParams } from '../hw/mac_pe.js';
import { peKind, peVerilogParams, weightLane } from '../hw/pe_kind.js';
import { requantizerVerilogParams } from '../hw/requantizer.js';
import { xnorPopcountVerilogParams } from '../hw/xnor_popcount.js';
import { convWindowVerilogParams, maxPoolVerilogParams } from '../hw/conv_window.js';
import { hdlFiles, type HdlTop } from '../rtl/hdl_manifest.js';
import { resolveRepoPath } from '../rtl/paths.js';
import { ToolError } from '../util/errors.js';
import { synthesize, yosysVersion } from '../synth/yosys.js';
import type { NetworkEstimate } from './network.js';

/**
 * Area of the accelerator's compute units from Yosys synthesis (src/synth/yosys.ts: generic gates,
 * flip-flop bits, 6-input LUTs), with the parameters `hdl/accel_top.sv` instantiates them with:
 *   - the MAC array, os: R*C x `mac_pe` (WBits, ABits, signs, AccBits, AccSat, Dataflow 0, TagBits =
 *     max(1, ceil(log2 R)), WShift/WExpBits of the Design's PE kind: the shift PE has no multiplier) — one PE is synthesized and multiplied, because synthesizing the whole array
 *     grows too slowly (a 4x4 int8 array takes ~67 s on this machine; a PE a few seconds) — plus the
 *     array's edge registers counted as flip-flops: left skew R(R-1)/2 * (HBits+1), top skew C(C-1)/2 *
 *     (VBits+2+TagBits), output deskew C(C-1)/2 * AccBits, drain per column ceil(log2 R) + AccBits + 1;
 *   - C per-lane `requantizer`s (AccBits 32, one channel, the Design's mode and rounding, 32-bit output);
 *   - one `xnor_popcount` (Lanes = xnor.bitsPerCycle, AccBits = min(acc, 32), one threshold, one channel);
 *   - with group multipliers (`accumulator.group`) C `group_scale` lanes (Rows = R group accumulators of
 *     32 bits, MBits = multiplierBits: a 32 x 32 multiply of the zero-extended multiplier and an add);
 *   - with `windows` (the model has conv2d / maxpool2d layers, `hasWindowLayers`) one `conv_window`, the
 *     sliding-window generator (Rows = R pixel registers, Lanes, HBits, PoolMax), and one `max_pool`, the
 *     pooling unit (PoolMax x PoolMax taps of HBits bits). An MLP leaves both out: its dense layers read
 *     image r's element k at r*K + k (a 1 x 1 window over H = images), the walk of an accelerator built
 *     without the convolution units (accel_top.sv as written instantiates them for every model).
 * The memories are not synthesized; they are reported as SRAM bits by the network estimate. Results are
 * cached by Yosys's hash (sources + parameters + version).
 */
export interface AreaComponent {
  name: string;
  top: string;
  count: number;
  parameters: Record<string, number>;
  /** per instance: generic gate cells by type (`$_AND_`, `$_XOR_`, `$_SDFF_PP0_`, ...) */
  cells: Record<string, number>;
  /** per instance */
  gates: number;
  flipFlops: number;
  luts: number;
}

export interface AreaEstimate {
  components: AreaComponent[];
  /** flip-flops of the array's edge registers (counted, not synthesized) */
  edgeFlipFlops: number;
  gates: number;
  flipFlops: number;
  luts: number;
  yosys: string;
}

export type AreaResult = AreaEstimate | { skipped: string };

/** A network estimate with its area (what `lowbit estimate --model --json` prints). */
export interface ModelEstimateResult extends NetworkEstimate {
  area: AreaResult;
}

const hdl = (top: HdlTop): string[] => hdlFiles(top).map(resolveRepoPath);

/** The units and parameters synthesized for a Design (no Yosys needed); `windows`: see the file header. */
export function areaUnits(d: Design, windows: boolean): { name: string; top: string; files: string[]; count: number; parameters: Record<string, number> }[] {
  const R = d.array.rows;
  const C = d.array.cols;
  const units = [
    {
      name: peKind(d) === 'shift' ? 'mac array PE (shift)' : 'mac array PE', top: 'mac_pe', files: hdl('mac_pe'), count: R * C,
      parameters: { ...macVerilogParams(d), Dataflow: 0, TagBits: tagBits(R), ...peVerilogParams(d) },
    },
    {
      name: 'lane requantizer', top: 'requantizer', files: hdl('requantizer'), count: C,
      parameters: requantizerVerilogParams({ accBits: 32, channels: 1, mode: d.requant.mode, rounding: d.requant.rounding, out: intFormat(32, true), zeroPoint: 0, relu: false }),
    },
    {
      name: 'xnor/serial unit', top: 'xnor_popcount', files: hdl('xnor_popcount'), count: 1,
      parameters: xnorPopcountVerilogParams({ lanes: d.xnor.bitsPerCycle, accBits: Math.min(d.accumulator.bits, 32), thresholds: 1, channels: 1 }),
    },
  ];
  if (d.accumulator.group) {
    units.push({ name: 'group scale lane', top: 'group_scale', files: hdl('group_scale'), count: C, parameters: { Rows: R, MBits: d.accumulator.group.multiplierBits } });
  }
  if (!windows) return units;
  return [
    ...units,
    { name: 'window generator', top: 'conv_window', files: hdl('conv_window'), count: 1, parameters: convWindowVerilogParams(d) },
    { name: 'pooling unit', top: 'max_pool', files: hdl('max_pool'), count: 1, parameters: maxPoolVerilogParams(d) },
  ];
}

/** Flip-flops of mac_array's skew, deskew and drain registers (see the file header). */
export function edgeFlipFlops(d: Design): number {
  const R = d.array.rows;
  const C = d.array.cols;
  const h = laneFormat(d.activation).bits;
  const v = weightLane(d).bits;
  const acc = d.accumulator.bits;
  const tri = (n: number): number => (n * (n - 1)) / 2;
  const cnt = Math.max(1, clog2(R));
  return tri(R) * (h + 1) + tri(C) * (v + 2 + tagBits(R)) + tri(C) * acc + C * (cnt + acc + 1);
}

/** Synthesizes the units (`windows`: see the file header); `{skipped}` with the install hint when Yosys is absent. */
export function estimateArea(d: Design, windows: boolean): AreaResult {
  const version = yosysVersion();
  if (!version) return { skipped: 'yosys not found (apt-get install -y yosys)' };
  const components: AreaComponent[] = [];
  for (const u of areaUnits(d, windows)) {
    let r;
    try {
      r = synthesize(u.files, u.top, u.parameters);
    } catch (e) {
      if (e instanceof ToolError) return { skipped: e.message };
      throw e;
    }
    components.push({ name: u.name, top: u.top, count: u.count, parameters: u.parameters, cells: r.gates, gates: r.gateCount, flipFlops: r.flipFlops, luts: r.luts });
  }
  const edge = edgeFlipFlops(d);
  const tot = (f: (c: AreaComponent) => number): number => components.reduce((a, c) => a + c.count * f(c), 0);
  return { components, edgeFlipFlops: edge, gates: tot((c) => c.gates) + edge, flipFlops: tot((c) => c.flipFlops) + edge, luts: tot((c) => c.luts), yosys: version };
}
