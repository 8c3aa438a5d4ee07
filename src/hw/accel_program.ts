import { formatBits, formatSigned, type NumFormat } from '../arith/format.js';
import type { Design } from './design.js';
import { DESC_FIELDS, descCode, encodeDescriptor, type DescValues } from './accel_desc.js';
import { laneFormat } from './mac_rule.js';
import { weightLane } from './pe_kind.js';
import { windowStrides } from './conv_window.js';

export { DESCRIPTOR_FIELDS } from './accel_desc.js';

/**
 * The accelerator's layer program and memory layout: what `compileModel` (accel_compile.ts) produces from
 * a QuantizedModel and a Design, what the TS accelerator model (accel_top.ts) runs and what
 * `hdl/accel_top.sv` loads through `$readmemh` (accel_images.ts writes the files).
 *
 * Engines:
 *   mac    — the systolic MAC array (output stationary), one image in array row 0: fold f covers outputs
 *            n0 = f*C .. n0+C-1; beat k feeds x[k] and the weight row W'[k][n0..n0+C-1].
 *   xnor   — the XNOR-popcount unit on ±1 vectors: one dot product per output n, Wd = ceil(K/L) words.
 *   serial — the same unit's bit-serial AND path: Bx x Bw plane pairs per output, each Wd words.
 * Every engine produces an int32 accumulator per output: acc = wrap32(dot + bias'), then the output stage
 * (requantize, threshold or raw) and a write into the next layer's input layout.
 *
 * Layouts of an activation vector of n elements in an activation buffer (a flat bit vector):
 *   slots  — element i in bits [i*S, (i+1)*S), S = the array's activation lane width (mac consumers);
 *   planes — P bit planes of `stride` bits each (stride = Wd*L): bit b of element i at bit b*stride + i;
 *            ±1 values are one plane with bit 1 = +1 (xnor consumers; serial consumers: two's complement).
 *   outbuf — the last layer: element i in the output buffer's 32-bit word i (sign-extended).
 */
export type Engine = (typeof DESC_FIELDS)[0]['values'][number];
export const ENGINES: readonly Engine[] = DESC_FIELDS[0].values;

/**
 * The sliding window of a layer over its NHWC input map (H x W pixels of C channels, element (y, x, c) at
 * index (y*W + x)*C + c): output pixel m = oy*Wo + ox reads the kh x kw x C patch at rows oy*sh - pt + i,
 * columns ox*sw - pl + j; patch element k = (i*kw + j)*C + c (conv_window.ts). A dense layer is the
 * window H = images, W = 1, C = K, kh = kw = 1 (each image one pixel); after a flatten it sees the whole
 * map as one vector in NHWC order (the compiler permutes its weight columns from the model's CHW order).
 */
export interface ConvWindow {
  H: number;
  W: number;
  C: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  Ho: number;
  Wo: number;
  /** the value a padded position feeds the array (mac): the input zero point minus the input shift */
  pad: number;
}

export type Layout =
  | { kind: 'slots'; slotBits: number }
  | { kind: 'planes'; planes: number; stride: number; bipolar: boolean }
  | { kind: 'outbuf' };

export type AccelStage =
  /** y = clamp(scale(acc) + zeroPoint, min, max); scale by the Design's requantizer mode */
  | { kind: 'requant'; multiplier: Int32Array; shift: Int32Array; zeroPoint: number; min: number; max: number }
  /** y = count_t[acc >= thr[n*T + t]] + offset; bipolar: 2*y - 1 */
  | { kind: 'threshold'; thresholds: Int32Array; steps: number; offset: number; bipolar: boolean }
  /** y = acc */
  | { kind: 'raw' };

export interface AccelLayer {
  name: string;
  engine: Engine;
  /** inputs and outputs of the dot products */
  K: number;
  N: number;
  /**
   * the numbers the engine multiplies: x (input elements as stored) and w' = w - wZp. Binary (±1) on the
   * xnor engine and on a mac array whose Design operand is bipolar; ints otherwise (the serial engine
   * stores ±1 weights as 2-bit two's complement planes; the pooling unit's 32-bit words)
   */
  xFormat: NumFormat;
  wFormat: NumFormat;
  /** w'[n][k], row-major N x K */
  weights: Int32Array;
  /** bias'[n] = wrap32(bias[n] - xShift * sum_k w'[n][k]) (xShift: see AccelProgram.inputShift) */
  bias: Int32Array;
  stage: AccelStage;
  inLayout: Layout;
  outLayout: Layout;
  /** first weight-memory word and first parameter row of the layer */
  wBase: number;
  pBase: number;
  /** the sliding window over the NHWC input map; M = Ho*Wo output pixels, K = kh*kw*C (pool: kh*kw) */
  win: ConvWindow;
  /** mac: output pixels per tile, on array rows 0..rows-1 (the batch); 1 for the other engines */
  rows: number;
  /**
   * issue groups: mac T*F (tile t = g div F of ceil(M/rows), fold f = g mod F of F = ceil(N/C));
   * xnor/serial M*N (pixel m = g div N, output n = g mod N); pool M*N (pixel, channel) elements
   */
  groups: number;
  /** parameter rows: mac F (one per fold), xnor/serial N (one per output), pool 0 */
  prows: number;
  /** XNOR unit words per patch: kh * ceil(kw*C / L) (one segment run per kernel row); mac: K */
  wd: number;
  /**
   * mac with per-group weight scales (docs/accelerator.md "Per-group weight scales"): G = `count` weight
   * groups, `multiplier` m[n][j] row-major N x G. The patch's K beats are `passes` passes of `size` beats
   * (the last possibly shorter), pass p belonging to group p mod G: a dense layer or 1x1 convolution has
   * P = G passes of the model's group size; a k x k window (or a dense layer after a flatten of an H x W
   * map) walks T = kh*kw taps (T = H*W pixels) of C channels, and a group of s = T*L weights of the
   * model's (c, i, j) order is L channels at every tap, so P = T*G passes of L beats. The array drains each
   * pass's partial sum and the output stage adds m[n][p mod G] times it into the group accumulator.
   */
  wgroup?: { size: number; count: number; passes: number; multiplier: Int32Array };
  /** first row of the group-multiplier memory (rows f*G + j of fold f, group j) */
  gBase: number;
}

export interface AccelProgram {
  design: Design;
  model: string;
  layers: AccelLayer[];
  /** images per run (the batch of an MLP on the array rows; 1 for a CNN) */
  images: number;
  /** elements of one image's input (the model's order: CHW for a CNN) and of its output (logits) */
  inputElems: number;
  outputElems: number;
  /** the model's input shape [C, H, W] (or [K]); the host writes the input map in NHWC order */
  inputShape: number[];
  /** the host writes x - inputShift for each quantized input x (brings uint8 pixels into an int8 array) */
  inputShift: number;
  /** memory geometry (the RTL's parameters) */
  wordBits: number;
  wDepth: number;
  pDepth: number;
  actBits: number;
  outDepth: number;
  /** thresholds per lane in the parameter memory: the Design's xnor.thresholds (>= every layer's steps) */
  steps: number;
  /** rows of the group-multiplier memory (>= 1; used only with the Design's accumulator.group) */
  gDepth: number;
}

/** Passes of a layer's patch through the array (1 without per-group scales). */
export function groupPasses(l: AccelLayer): number {
  return l.wgroup?.passes ?? 1;
}

/** XNOR lanes L and array lane widths of a Design. */
export function geometry(d: Design): { R: number; C: number; L: number; hBits: number; vBits: number } {
  return {
    R: d.array.rows,
    C: d.array.cols,
    L: d.xnor.bitsPerCycle,
    hBits: laneFormat(d.activation).bits,
    vBits: weightLane(d).bits,
  };
}

/** Bits an activation vector of `n` elements occupies in a layout. */
export function layoutBits(l: Layout, n: number): number {
  if (l.kind === 'slots') return n * l.slotBits;
  if (l.kind === 'planes') return l.planes * l.stride;
  return 0;
}

/** Weight-memory word width: max(C * vBits, L) bits, rounded up to a multiple of 32. */
export function weightWordBits(d: Design): number {
  const g = geometry(d);
  return Math.ceil(Math.max(g.C * g.vBits, g.L) / 32) * 32;
}

/** The named descriptor fields of a layer (the table and its layout: accel_desc.ts). */
export function descriptorValues(l: AccelLayer): DescValues {
  const st = l.stage;
  const out = l.outLayout;
  const inl = l.inLayout;
  const ws = windowStrides(l.win);
  return {
    engine: descCode('engine', l.engine),
    k: l.K,
    n: l.N,
    groups: l.groups,
    wd: l.wd,
    w_base: l.wBase,
    p_base: l.pBase,
    stage: descCode('stage', st.kind),
    zp: st.kind === 'requant' ? st.zeroPoint : st.kind === 'threshold' ? st.offset : 0,
    min: st.kind === 'requant' ? st.min : 0,
    max: st.kind === 'requant' ? st.max : 0,
    thr_bipolar: st.kind === 'threshold' && st.bipolar ? 1 : 0,
    out_kind: descCode('out_kind', out.kind),
    out_planes: out.kind === 'planes' ? out.planes : 0,
    out_stride: out.kind === 'planes' ? out.stride : 0,
    x_planes: l.engine === 'serial' ? formatBits(l.xFormat) : inl.kind === 'planes' ? inl.planes : 0,
    in_stride: inl.kind === 'planes' ? inl.stride : 0,
    w_planes: l.engine === 'serial' ? formatBits(l.wFormat) : 0,
    signs: (formatSigned(l.xFormat) ? 1 : 0) | (formatSigned(l.wFormat) ? 2 : 0),
    steps: st.kind === 'threshold' ? st.steps : 0,
    out_bipolar: out.kind === 'planes' && out.bipolar ? 1 : 0,
    last: out.kind === 'outbuf' ? 1 : 0,
    folds: l.engine === 'mac' ? l.prows : l.N,
    rows: l.rows,
    map_h: l.win.H,
    map_w: l.win.W,
    map_c: l.win.C,
    kh: l.win.kh,
    kw: l.win.kw,
    sh: l.win.sh,
    sw: l.win.sw,
    pt: l.win.pt,
    pl: l.win.pl,
    out_w: l.win.Wo,
    pixels: l.win.Ho * l.win.Wo,
    pad: l.win.pad,
    row_len: l.win.kw * l.win.C,
    in_row: ws.inRow,
    step_x: ws.stepX,
    step_y: ws.stepY,
    origin: ws.origin,
    origin_x: ws.originX,
    wgroup_size: l.wgroup?.size ?? 0,
    wgroups: l.wgroup?.count ?? 1,
    wpasses: groupPasses(l),
    g_base: l.gBase,
  };
}

/** The descriptor of a layer as the RTL reads it: DESCRIPTOR_FIELDS 32-bit slots in field order. */
export function descriptor(l: AccelLayer): number[] {
  return encodeDescriptor(descriptorValues(l));
}
