/**
 * The accelerator's layer descriptor, defined once: the TS compiler encodes it from this table
 * (`encodeDescriptor`, used by accel_program.ts) and `hdl/accel_pkg.svh` is generated from it
 * (`accelPackage`), which `hdl/accel_top.sv` imports. A unit test checks the checked-in package is
 * current; regenerate it with `npx tsx scripts/gen-hdl.ts`.
 *
 * Layout: field i occupies the 32-bit slot [32i, 32i + 32) of a descriptor word (field 0 in the low
 * bits of `prog.hex`); the RTL reads the low `bits` of the slot (the rest is 0). Values are integers
 * written in two's complement into the slot. Fields with `values` are enumerations: value j is the
 * code j, and the package gets a localparam per value (e.g. `EngineMac = 2'd0`).
 *
 * Adding a field: append one line to DESC_FIELDS, give its value in `descriptorValues`
 * (accel_program.ts; TypeScript requires it), regenerate the package and read `desc.<name>` in RTL.
 */
export interface DescField {
  /** snake_case: the member name in the SystemVerilog struct `accel_desc_t` */
  name: string;
  /** bits the RTL reads, 1..32 */
  bits: number;
  /** enumeration: the value names in code order */
  values?: readonly string[];
  doc: string;
}

export const DESC_FIELDS = [
  { name: 'engine', bits: 2, values: ['mac', 'xnor', 'serial', 'pool'], doc: 'the engine of the dot products' },
  { name: 'k', bits: 32, doc: 'K, inputs of each dot product' },
  { name: 'n', bits: 32, doc: 'N, outputs' },
  { name: 'groups', bits: 32, doc: 'issue groups: mac tiles x folds, xnor/serial M*N, pool M*C' },
  { name: 'wd', bits: 32, doc: 'words per vector on the XNOR unit ceil(K/L); K for mac' },
  { name: 'w_base', bits: 32, doc: 'first weight-memory word' },
  { name: 'p_base', bits: 32, doc: 'first parameter row' },
  { name: 'stage', bits: 2, values: ['requant', 'threshold', 'raw'], doc: 'the output stage' },
  { name: 'zp', bits: 32, doc: 'requant: zero point; threshold: offset (two\'s complement)' },
  { name: 'min', bits: 32, doc: 'requant: clamp minimum (two\'s complement)' },
  { name: 'max', bits: 32, doc: 'requant: clamp maximum (two\'s complement)' },
  { name: 'thr_bipolar', bits: 1, doc: 'threshold: y = 2*(count + offset) - 1' },
  { name: 'out_kind', bits: 2, values: ['slots', 'planes', 'outbuf'], doc: 'the output layout' },
  { name: 'out_planes', bits: 32, doc: 'planes layout: bit planes written' },
  { name: 'out_stride', bits: 32, doc: 'planes layout: bits per plane' },
  { name: 'x_planes', bits: 32, doc: 'serial: activation bit planes Bx; else input planes' },
  { name: 'in_stride', bits: 32, doc: 'planes input layout: bits per plane' },
  { name: 'w_planes', bits: 32, doc: 'serial: weight bit planes Bw' },
  { name: 'signs', bits: 2, doc: 'bit 0: x signed, bit 1: w signed' },
  { name: 'steps', bits: 8, doc: 'threshold: thresholds per output' },
  { name: 'out_bipolar', bits: 1, doc: 'planes layout of +-1 values: bit = (value > 0)' },
  { name: 'last', bits: 1, doc: 'the last layer (writes the output buffer)' },
  { name: 'folds', bits: 32, doc: 'groups per tile: mac ceil(N/C), xnor/serial N, pool C' },
  { name: 'rows', bits: 32, doc: 'output pixels per tile (mac: array rows in use; else 1)' },
  { name: 'map_h', bits: 32, doc: 'input map height H (NHWC)' },
  { name: 'map_w', bits: 32, doc: 'input map width W' },
  { name: 'map_c', bits: 32, doc: 'input map channels C' },
  { name: 'kh', bits: 32, doc: 'window height' },
  { name: 'kw', bits: 32, doc: 'window width' },
  { name: 'sh', bits: 32, doc: 'vertical stride' },
  { name: 'sw', bits: 32, doc: 'horizontal stride' },
  { name: 'pt', bits: 32, doc: 'top padding' },
  { name: 'pl', bits: 32, doc: 'left padding' },
  { name: 'out_w', bits: 32, doc: 'output map width Wo' },
  { name: 'pixels', bits: 32, doc: 'output pixels M = Ho*Wo' },
  { name: 'pad', bits: 32, doc: 'mac: value fed for a padded position (two\'s complement)' },
  { name: 'row_len', bits: 32, doc: 'elements per kernel row kw*C' },
  { name: 'in_row', bits: 32, doc: 'elements per input row W*C' },
  { name: 'step_x', bits: 32, doc: 'window address step of one output column sw*C' },
  { name: 'step_y', bits: 32, doc: 'window address step to the next output row (sh*W - (Wo-1)*sw)*C' },
  { name: 'origin', bits: 32, doc: 'window address of output pixel 0: -(pt*W + pl)*C' },
  { name: 'origin_x', bits: 32, doc: 'window column of output column 0 in elements: -pl*C' },
  { name: 'wgroup_size', bits: 32, doc: 'mac: per-group weight scales, beats per pass (0: none)' },
  { name: 'wgroups', bits: 32, doc: 'mac: weight groups G per patch (1: none); gmem rows per fold' },
  { name: 'wpasses', bits: 32, doc: 'mac: passes per patch, pass p in group p mod G (1: none)' },
  { name: 'g_base', bits: 32, doc: 'first group-multiplier row (gmem: one per fold and weight group)' },
] as const satisfies readonly DescField[];

export type DescFieldName = (typeof DESC_FIELDS)[number]['name'];
/** A descriptor as named integers (enumerations as their value names' codes). */
export type DescValues = Record<DescFieldName, number>;

/** Bits of one field's slot. */
export const DESC_SLOT_BITS = 32;
/** Fields of a descriptor (each one 32-bit slot). */
export const DESCRIPTOR_FIELDS = DESC_FIELDS.length;

/** The code of an enumeration value of a field (`descCode('engine', 'xnor')` = 1). */
export function descCode(field: DescFieldName, value: string): number {
  const f: DescField = DESC_FIELDS.find((d) => d.name === field)!;
  const i = f.values?.indexOf(value) ?? -1;
  if (i < 0) throw new Error(`internal: descriptor field ${field} has no value ${value}`);
  return i;
}

/** The descriptor's slots in field order; each value must fit the field (two's complement for 32 bits). */
export function encodeDescriptor(v: DescValues): number[] {
  return DESC_FIELDS.map((f) => {
    const x = v[f.name];
    const ok = f.bits === 32 ? Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 32 : Number.isInteger(x) && x >= 0 && x < 2 ** f.bits;
    if (!ok) throw new Error(`internal: descriptor field ${f.name} = ${x} does not fit ${f.bits} bits`);
    return x;
  });
}

const camel = (s: string): string => s.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');

/**
 * The text of `hdl/accel_pkg.svh`: the package inside an include guard, so that `accel_top.sv` can
 * `include it (a tool reading accel_top.sv alone, e.g. a lint, finds it through `-Ihdl`) while the
 * build lists it first (src/rtl/hdl_manifest.ts) and the include is then skipped.
 */
export function accelPackage(): string {
  const L: string[] = [
    '// accel_pkg: the accelerator\'s layer descriptor. GENERATED from src/hw/accel_desc.ts',
    '// (accelPackage); do not edit: change DESC_FIELDS and run `npx tsx scripts/gen-hdl.ts`.',
    '// Field i is the 32-bit slot [32i, 32i + 32) of a descriptor; the struct lists the slots from the',
    '// most significant (packed struct order), each as its unused high bits and the field.',
    '`ifndef ACCEL_PKG_SVH',
    '`define ACCEL_PKG_SVH',
    '`default_nettype none',
    '',
    'package accel_pkg;',
    '  // a user of the package need not read every constant',
    '  /* verilator lint_off UNUSEDPARAM */',
    `  localparam int unsigned DescFields = ${DESC_FIELDS.length};`,
    `  localparam int unsigned DescBits = ${DESC_FIELDS.length * DESC_SLOT_BITS};`,
  ];
  for (const f of DESC_FIELDS as readonly DescField[]) {
    if (!f.values) continue;
    L.push('', `  // ${f.name}: ${f.doc}`);
    f.values.forEach((v, i) => L.push(`  localparam logic [${f.bits - 1}:0] ${camel(f.name)}${camel(v)} = ${f.bits}'d${i};`));
  }
  L.push('  /* verilator lint_on UNUSEDPARAM */', '', '  typedef struct packed {');
  for (const f of [...(DESC_FIELDS as readonly DescField[])].reverse()) {
    const pad = DESC_SLOT_BITS - f.bits;
    if (pad > 0) L.push(`    logic [${pad - 1}:0] ${f.name}_hi;`);
    const decl = f.bits === 1 ? 'logic' : `logic [${f.bits - 1}:0]`;
    L.push(`    ${`${decl} ${f.name};`.padEnd(26)} // ${f.doc}`);
  }
  L.push('  } accel_desc_t;', 'endpackage', '', '`default_nettype wire', '`endif  // ACCEL_PKG_SVH', '');
  return L.join('\n');
}
