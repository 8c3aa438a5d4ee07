/**
 * The HDL file manifest: which SystemVerilog files in hdl/ make each unit and the accelerator, in
 * compile order (packages first; a package is an include-guarded `.svh` header, see accel_pkg.svh). The one list used by verification (src/rtl/units/*.ts), the
 * accelerator co-simulation (rtl/accel_top.ts, `lowbit run --rtl`) and the area estimate (estimate/area.ts).
 */
const PE = ['mac_pe.sv'];
const ARRAY = ['mac_array.sv', ...PE, 'skew_buffer.sv'];
const REQUANTIZER = ['requantizer.sv', 'round_shift.sv'];
const XNOR = ['xnor_popcount.sv', 'popcount_tree.sv', 'multi_threshold.sv'];
const WINDOW = ['conv_window.sv'];
const POOL = ['max_pool.sv'];
const GROUP = ['group_scale.sv'];

export const HDL_MANIFEST = {
  mac_pe: PE,
  mac_array: ARRAY,
  requantizer: REQUANTIZER,
  xnor_popcount: XNOR,
  conv_window: WINDOW,
  max_pool: POOL,
  group_scale: GROUP,
  accel_top: ['accel_pkg.svh', 'accel_top.sv', ...ARRAY, ...REQUANTIZER, ...XNOR, ...WINDOW, ...POOL, ...GROUP],
} as const satisfies Record<string, readonly string[]>;

export type HdlTop = keyof typeof HDL_MANIFEST;

/** The files of a top module, relative to the repository root (`hdl/<file>`). */
export function hdlFiles(top: HdlTop): string[] {
  return HDL_MANIFEST[top].map((f) => `hdl/${f}`);
}
