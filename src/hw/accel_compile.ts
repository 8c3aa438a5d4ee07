import type { Conv2dLayer, DenseLayer, MaxPool2dLayer, OutputStage, QuantizedModel } from '../model/types.js';
import { groupDescription, groupsPerRow } from '../model/group.js';
import { modelShapes, shapeSize, windowOutput } from '../model/shapes.js';
import { BINARY, clog2, formatBits, formatName, formatRange, intFormat, type NumFormat } from '../arith/format.js';
import { InputError, badValue } from '../util/errors.js';
import { operandName, toJsonOperand, type Design, type PeKind } from './design.js';
import { PRESETS, PRESET_NAMES } from './presets.js';
import { accBounds, type LayerAccBounds } from './acc_bounds.js';
import { POOL_MAX, windowPadded } from './conv_window.js';
import { peKind, shiftable } from './pe_kind.js';
import {
  geometry, layoutBits, weightWordBits,
  type AccelLayer, type AccelProgram, type AccelStage, type ConvWindow, type Engine, type Layout,
} from './accel_program.js';

export { POOL_MAX };

/**
 * The compiler: QuantizedModel + Design -> AccelProgram (accel_program.ts). It maps every dense and conv2d
 * layer to an engine and every maxpool2d to the pooling unit, resolves flatten as a layout change (the
 * activation buffers hold NHWC maps, so the dense layer after a flatten gets its weight columns permuted
 * from the model's CHW order), folds zero points into the weights and biases, fuses clamp layers into the
 * output stage (a clamp after a max-pool too: max commutes with a clamp), lays out the memories and checks
 * that everything fits — with an error naming the layer, the problem and the Design field to change. The
 * program computes exactly what `integerInference` computes:
 *   sum_k (w - wZp)(x - xZp) + bias = sum_k w' (x - c) + bias',  w' = w - wZp,
 *   bias' = wrap32(bias - (xZp - c) * sum_k w'),  c = the input shift (first layer only, else 0),
 * with padded positions feeding x = xZp (the window generator's pad value xZp - c), provided no partial
 * sum leaves the accumulator — checked here with the bound sum_k |w'| * max|x - c|.
 *
 * Batch B (1..R, default 1; larger values use R): an MLP runs B images per run, one per array row; a CNN
 * runs one image per run and puts B output pixels of each conv layer on the array rows.
 */
export interface CompileOptions {
  batch?: number;
}

type MacSource = DenseLayer | Conv2dLayer;

interface Pending {
  src: MacSource | MaxPool2dLayer;
  win: ConvWindow;
  /** model column order of a dense layer after a flatten of a [C, H, W] map (null: identity) */
  chw: [number, number, number] | null;
  clamps: { min: number; max: number }[];
}

export function compileModel(model: QuantizedModel, design: Design, opts: CompileOptions = {}): AccelProgram {
  const where = `model ${model.name} on design ${design.name}`;
  if (design.array.dataflow !== 'os') {
    throw new InputError(`${where}: the accelerator's controller drives the MAC array output-stationary; got array.dataflow = ${design.array.dataflow} (use --dataflow os; ws/is are modelled per GEMM by \`lowbit simulate\`)`);
  }
  const g = geometry(design);
  const batchReq = opts.batch ?? 1;
  if (!Number.isInteger(batchReq) || batchReq < 1) throw badValue('batch', batchReq, 'an integer >= 1');
  const batch = Math.min(batchReq, g.R);
  const shapes = modelShapes(model, where);
  const isMlp = model.inputShape.length === 1;
  const images = isMlp ? batch : 1;
  const pending: Pending[] = [];
  let lastMac = -1;
  let flattened: [number, number, number] | null = null;
  model.layers.forEach((l, li) => {
    const inShape = shapes[li];
    if (l.kind === 'dense') {
      const win = denseWindow(l.inFeatures, images);
      pending.push({ src: l, win, chw: flattened, clamps: [] });
      flattened = null;
      lastMac = pending.length - 1;
    } else if (l.kind === 'conv2d') {
      const [C, H, W] = inShape as [number, number, number];
      const [kh, kw] = l.kernel;
      const [sh, sw] = l.stride;
      const [pt, pl, pb, pr] = l.padding;
      const win: ConvWindow = { H, W, C, kh, kw, sh, sw, pt, pl, Ho: windowOutput(H, pt, pb, kh, sh), Wo: windowOutput(W, pl, pr, kw, sw), pad: 0 };
      pending.push({ src: l, win, chw: null, clamps: [] });
      lastMac = pending.length - 1;
    } else if (l.kind === 'maxpool2d') {
      if (lastMac < 0) throw new InputError(`${where}: max-pool layer ${l.name} before the first dense/conv layer; the pooling unit reads a layer's outputs`);
      if (l.kernel[0] > POOL_MAX || l.kernel[1] > POOL_MAX) throw new InputError(`${where}: max-pool layer ${l.name} has a ${l.kernel[0]}x${l.kernel[1]} window; the pooling unit takes windows up to ${POOL_MAX}x${POOL_MAX} (PoolMax of hdl/max_pool.sv; run the model with \`lowbit infer\`)`);
      if (l.padding.some((v) => v !== 0)) throw new InputError(`${where}: max-pool layer ${l.name} has padding [${l.padding}]; the pooling unit takes unpadded windows (re-export the model with pads 0)`);
      const [C, H, W] = inShape as [number, number, number];
      const [kh, kw] = l.kernel;
      const [sh, sw] = l.stride;
      const win: ConvWindow = { H, W, C, kh, kw, sh, sw, pt: 0, pl: 0, Ho: windowOutput(H, 0, 0, kh, sh), Wo: windowOutput(W, 0, 0, kw, sw), pad: 0 };
      pending.push({ src: l, win, chw: null, clamps: [] });
    } else if (l.kind === 'clamp') {
      if (lastMac < 0) throw new InputError(`${where}: clamp layer ${l.name} before the first dense/conv layer; the accelerator clamps only layer outputs`);
      pending[lastMac].clamps.push({ min: l.min, max: l.max });
    } else if (l.kind === 'quantize') {
      if (pending.length > 0) throw new InputError(`${where}: quantize layer ${l.name} inside the network; only an input quantize (done by the host) is supported`);
    } else if (l.kind === 'add' || l.kind === 'globalavgpool') {
      throw new InputError(`${where}: ${l.kind} layer ${l.name} (ONNX Runtime ${l.kind === 'add' ? 'QLinearAdd' : 'QLinearGlobalAveragePool'}) has no accelerator unit; run the model with \`lowbit infer\``);
    } else if (l.kind === 'flatten') {
      if (inShape.length === 3 && (inShape[1] > 1 || inShape[2] > 1)) flattened = inShape as [number, number, number];
    }
  });
  if (lastMac < 0) throw new InputError(`${where}: no dense or conv layer to run`);
  if (pending[pending.length - 1].src.kind === 'maxpool2d') throw new InputError(`${where}: the model ends with a max-pool; the accelerator's last layer must be dense or conv (its int32 outputs go to the output buffer)`);

  const layers: AccelLayer[] = [];
  let wBase = 0;
  let pBase = 0;
  let gBase = 0;
  let inputShift = 0;
  let steps = 1;
  let first = true;
  for (const pd of pending) {
    const src = pd.src;
    if (src.kind === 'maxpool2d') {
      const K = src.kernel[0] * src.kernel[1];
      const M = pd.win.Ho * pd.win.Wo;
      const fmt = intFormat(32, true);
      layers.push({
        name: src.name, engine: 'pool', K, N: pd.win.C, xFormat: fmt, wFormat: fmt, weights: new Int32Array(0), bias: new Int32Array(0),
        stage: { kind: 'raw' }, inLayout: { kind: 'outbuf' }, outLayout: { kind: 'outbuf' }, wBase, pBase, win: pd.win, rows: 1,
        groups: M * pd.win.C, prows: 0, wd: 0, gBase,
      });
      continue;
    }
    const l = src;
    const N = l.kind === 'dense' ? l.outFeatures : l.outChannels;
    const win = pd.win;
    const K = win.kh * win.kw * win.C;
    const M = win.Ho * win.Wo;
    const e = chooseEngine(l, design, first, where);
    if (first) inputShift = e.shift;
    first = false;
    const engine = e.engine;
    const xZp = l.input.zeroPoint;
    // the XNOR unit and the bit-serial path leave a padded tap out of the popcount, i.e. pad with 0:
    // exact when 0 is the input zero point (always for ±1 inputs, whose padding value is 0 as in
    // the integer reference and FINN's Im2Col; see docs/accelerator.md)
    if (engine !== 'mac' && windowPadded(win) && xZp !== 0) {
      throw new InputError(`${where}: layer ${l.name} is a padded convolution on the bit-serial path with input zero point ${xZp}; that path pads with 0 (use padding 0, a zero point of 0, or a Design whose MAC array holds ${formatName(l.weight.format)} x ${formatName(l.input.format)})`);
    }
    const wPrime = macWeights(l, N, K, pd.chw);
    win.pad = engine === 'mac' ? xZp - e.shift : 0;
    const bias = new Int32Array(N);
    const xAbs = Math.max(Math.abs(e.x.lo), Math.abs(e.x.hi), engine === 'mac' ? Math.abs(win.pad) : 0);
    const wgroup = weightGroupsOf(l, engine, pd.chw, design, where);
    // per-group scales: the array holds each group's partial sum, the group accumulator (int32) the
    // scaled sum, bounded with the effective weights w' * m[n][floor(k / size)]
    if (wgroup) checkGroupPartials(where, l.name, accBounds(wPrime, N, K, -xAbs, xAbs, null, wgroup.size), design.accumulator.bits, wgroup.size);
    // beat k (the accelerator's patch order) lies in pass floor(k / size), of group pass mod G
    const mOf = (n: number, k: number): number => (wgroup ? wgroup.multiplier[n * wgroup.count + (Math.floor(k / wgroup.size) % wgroup.count)] : 1);
    const chunk = design.accumulator.chunk;
    // chunked: the narrow register must hold every chunk, the wide one (int32 at most) the whole sum;
    // grouped: the 32-bit group accumulator the scaled sum
    const accLimit = 2 ** ((wgroup ? 32 : Math.min(chunk ? chunk.wideBits : design.accumulator.bits, 32)) - 1) - 1;
    if (chunk) checkChunks(where, l.name, accBounds(wPrime, N, K, -xAbs, xAbs, null, chunk.length), design.accumulator.bits, chunk.length);
    for (let n = 0; n < N; n++) {
      let rowSum = 0;
      let bound = 0;
      for (let k = 0; k < K; k++) {
        const w = wPrime[n * K + k] * mOf(n, k);
        rowSum += w;
        bound += Math.abs(w) * xAbs;
      }
      if (bound > accLimit && wgroup) {
        throw new InputError(`${where}: layer ${l.name} output ${n} may reach |sum_g m_g acc_g| = ${bound} > ${accLimit}, beyond the 32-bit group accumulator; quantize with fewer group-multiplier fraction bits`);
      }
      if (bound > accLimit) {
        const field = chunk ? 'accumulator.chunk.wideBits' : 'accumulator.bits';
        throw new InputError(`${where}: layer ${l.name} output ${n} may reach |sum| = ${bound} > ${accLimit}, beyond the ${chunk ? chunk.wideBits : design.accumulator.bits}-bit accumulator; use a Design with ${field} >= ${clog2(bound + 1) + 1}`);
      }
      const b = l.bias ? l.bias[n] : 0;
      bias[n] = (b - Math.imul(xZp - e.shift, rowSum)) | 0;
    }
    const wd = engine === 'mac' ? K : win.kh * Math.ceil((win.kw * win.C) / g.L);
    const rows = engine === 'mac' ? Math.min(batch, M) : 1;
    const folds = Math.ceil(N / g.C);
    const groups = engine === 'mac' ? Math.ceil(M / rows) * folds : M * N;
    const prows = engine === 'mac' ? folds : N;
    const stage = outputStage(l, N, design, pd.clamps, where);
    if (stage.kind === 'threshold') steps = Math.max(steps, stage.steps);
    layers.push({
      name: l.name, engine, K, N, xFormat: e.xFormat, wFormat: e.wFormat, weights: wPrime, bias, stage,
      inLayout: layoutFor(engine, e.xFormat, win.H * win.W * win.C, design), outLayout: { kind: 'outbuf' }, wBase, pBase, win, rows, groups, prows, wd,
      gBase, ...(wgroup ? { wgroup } : {}),
    });
    wBase += engine === 'mac' ? folds * K : N * wd * (engine === 'serial' ? formatBits(e.wFormat) : 1);
    pBase += prows;
    gBase += wgroup ? folds * wgroup.count : 0;
  }
  // each layer writes its outputs in the layout its consumer reads; a pool reads what it writes
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (i + 1 < layers.length) l.outLayout = layers[i + 1].inLayout.kind === 'outbuf' ? l.outLayout : layers[i + 1].inLayout;
    if (l.engine !== 'pool') continue;
    const out = l.outLayout;
    const elems = l.win.H * l.win.W * l.win.C;
    if (out.kind === 'planes' && !out.bipolar) throw poolFeedsSerial(where, l.name, layers[i + 1]!, design);
    l.inLayout = out.kind === 'planes' ? { kind: 'planes', planes: 1, stride: Math.ceil(elems / g.L) * g.L, bipolar: true } : { kind: 'slots', slotBits: g.hBits };
    if (i > 0) {
      const prev = layers[i - 1];
      if (prev.stage.kind === 'raw') throw new InputError(`${where}: max-pool layer ${l.name} follows the raw int32 outputs of ${prev.name}; the pooling unit pools requantized or thresholded activations`);
      prev.outLayout = l.inLayout;
    }
  }
  if (steps > design.xnor.thresholds) {
    throw new InputError(`${where}: a layer needs ${steps} thresholds per channel; the Design has xnor.thresholds = ${design.xnor.thresholds} (raise it to ${steps})`);
  }
  const actBits = Math.max(...layers.map((l) => layoutBits(l.inLayout, l.win.H * l.win.W * l.win.C)));
  const wordBits = weightWordBits(design);
  checkFits(where, 'weight', wBase * wordBits, design.buffers.weightBytes, 'buffers.weightBytes', 'the weights of all layers');
  const widest = layers.reduce((a, l) => (layoutBits(l.inLayout, l.win.H * l.win.W * l.win.C) > layoutBits(a.inLayout, a.win.H * a.win.W * a.win.C) ? l : a));
  checkFits(where, 'activation', 2 * actBits, design.buffers.activationBytes, 'buffers.activationBytes', `two buffers of layer ${widest.name}'s ${widest.win.H}x${widest.win.W}x${widest.win.C} input`);
  const last = layers[layers.length - 1];
  const outElems = last.win.Ho * last.win.Wo * last.N;
  checkFits(where, 'output', 32 * outElems, design.buffers.outputBytes, 'buffers.outputBytes', `layer ${last.name}'s ${outElems} int32 outputs`);
  return {
    design, model: model.name, layers, images, inputElems: shapeSize(model.inputShape), outputElems: outElems / images, inputShape: [...model.inputShape], inputShift,
    wordBits, wDepth: Math.max(1, wBase), pDepth: Math.max(1, pBase), actBits, outDepth: outElems, steps: design.xnor.thresholds,
    gDepth: Math.max(1, gBase),
  };
}

/** Chunked accumulation: every chunk's partial sum (acc_bounds.ts) must fit the narrow register. */
function checkChunks(where: string, name: string, b: LayerAccBounds, bits: number, length: number): void {
  if (b.chunkBits! <= bits) return;
  throw new InputError(`${where}: layer ${name}: a chunk of ${length} products may reach [${b.chunk!.lo}, ${b.chunk!.hi}], beyond the ${bits}-bit narrow accumulator; use a Design with accumulator.bits >= ${b.chunkBits} or a shorter accumulator.chunk.length`);
}

/**
 * The weight groups of a layer with per-group scales (undefined without): its multipliers m[n][j] (N x G,
 * the model's) and passes (AccelLayer.wgroup). The array walks the patch as T taps (a k x k window's
 * kernel positions, or the H x W pixels of a flattened map; T = 1 otherwise) of C consecutive channels,
 * the model's groups run along (c, tap), so a group of s weights is L = s / T channels at every tap: T*G
 * passes of L beats, pass p of group p mod G. One-line refusals for what the accelerator cannot run: no
 * group multipliers in the Design, a layer off the MAC array, s not a multiple of T or C not a multiple of
 * L (T > 1: the passes would not be runs of beats), a multiplier wider than the Design's.
 */
function weightGroupsOf(l: MacSource, engine: Engine, chw: [number, number, number] | null, d: Design, where: string): AccelLayer['wgroup'] {
  const grp = l.weight.group;
  if (grp === undefined) return undefined;
  const at = `${where}: layer ${l.name} has ${groupDescription(l)}`;
  const gd = d.accumulator.group;
  if (gd === undefined) throw new InputError(`${at}; the Design has no group multipliers (add "accumulator": {"group": {"multiplierBits": 17}}, or quantize without --group)`);
  if (engine !== 'mac') throw new InputError(`${at}; group multipliers sit behind the MAC array, and this layer runs on the ${engine} engine (use a Design whose array holds ${formatName(l.weight.format)} x ${formatName(l.input.format)})`);
  const [T, C, taps] = l.kind === 'conv2d' ? [l.kernel[0] * l.kernel[1], l.inChannels, `${l.kernel[0]}x${l.kernel[1]} kernel taps`]
    : chw ? [chw[1] * chw[2], chw[0], `${chw[1]}x${chw[2]} pixels of the flattened map`] : [1, l.inFeatures, ''];
  const G = groupsPerRow(l);
  if (T > 1 && (grp.size % T !== 0 || C % (grp.size / T) !== 0)) {
    throw new InputError(`${at}; the array walks its ${T} ${taps} with the ${C} channels innermost, so a group must be a whole number L of channels at every tap (group size = ${T} x L, L dividing ${C}); use such a --group or quantize this layer without --group`);
  }
  let mMax = 0;
  for (const m of grp.multiplier) mMax = Math.max(mMax, m);
  const need = Math.max(1, clog2(mMax + 1));
  if (need > gd.multiplierBits) throw new InputError(`${at}; its largest group multiplier ${mMax} needs ${need} bits, the Design's accumulator.group.multiplierBits is ${gd.multiplierBits} (raise it to ${need})`);
  return { size: grp.size / T, count: G, passes: T * G, multiplier: grp.multiplier };
}

/** Per-group scales: the array register (accumulator.bits) must hold every group's partial sum (acc_bounds.ts). */
function checkGroupPartials(where: string, name: string, b: LayerAccBounds, bits: number, size: number): void {
  const limit = Math.min(bits, 32);
  if (b.chunkBits! <= limit) return;
  throw new InputError(`${where}: layer ${name}: a weight group of ${size} products may reach [${b.chunk!.lo}, ${b.chunk!.hi}], beyond the ${limit}-bit array accumulator; use a Design with accumulator.bits >= ${b.chunkBits}`);
}

/** A dense layer as a window: `images` pixels (one per image) of K channels, 1 x 1 kernel. */
function denseWindow(K: number, images: number): ConvWindow {
  return { H: images, W: 1, C: K, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, Ho: images, Wo: 1, pad: 0 };
}

/**
 * w'[n][k] = w - wZp in the accelerator's patch order: conv k = (i*kw + j)*C + c from the model's OIHW
 * (c, i, j); a dense layer after a flatten of [C, H, W] takes column (y*W + x)*C + c from c*H*W + y*W + x.
 */
function macWeights(l: MacSource, N: number, K: number, chw: [number, number, number] | null): Int32Array {
  const w = new Int32Array(N * K);
  const src = l.weight.data;
  for (let n = 0; n < N; n++) {
    const zp = l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0] : l.weight.zeroPoint[n];
    if (l.kind === 'conv2d') {
      const [kh, kw] = l.kernel;
      const C = l.inChannels;
      for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        w[n * K + (i * kw + j) * C + c] = src[n * K + (c * kh + i) * kw + j] - zp;
      }
    } else if (chw) {
      const [C, H, W] = chw;
      for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) w[n * K + p * C + c] = src[n * K + c * H * W + p] - zp;
    } else {
      for (let k = 0; k < K; k++) w[n * K + k] = src[n * K + k] - zp;
    }
  }
  return w;
}

function checkFits(where: string, what: string, bits: number, bytes: number, field: string, forWhat: string): void {
  const need = Math.ceil(bits / 8);
  if (need > bytes) throw new InputError(`${where}: the ${what} memory needs ${need} bytes; the Design's ${field} is ${bytes} (raise it to at least ${need}; it holds ${forWhat})`);
}

/**
 * The PE kind the compiler chooses for `model` on `design`'s array: `shift` (multiplier-free) when the model
 * has a layer on the MAC array and every such layer stays there on the shift PE (its weights w - zp are all
 * 0 or +-2^e with a code in the weight format, pe_kind.ts), else `multiplier`.
 */
export function choosePe(model: QuantizedModel, design: Design): PeKind {
  const engines = (pe: PeKind): Engine[] => compileModel(model, { ...design, array: { ...design.array, pe } }).layers.map((l) => l.engine);
  const mul = engines('multiplier');
  if (!mul.includes('mac')) return 'multiplier';
  let sh: Engine[];
  try {
    sh = engines('shift');
  } catch (e) {
    // a layer the shift-PE array cannot take leaves the MAC array, which a grouped layer cannot (refused)
    if (e instanceof InputError) return 'multiplier';
    throw e;
  }
  return sh.every((e, i) => e === mul[i]) ? 'shift' : 'multiplier';
}

/**
 * A max-pool whose consumer runs bit-serially (its multi-bit inputs do not fit the array's activation format):
 * the pooling unit compares array slots or ±1 bits, not bit planes. The fix is an activation format that holds
 * the consumer's inputs, spelled as Design JSON.
 */
function poolFeedsSerial(where: string, pool: string, next: AccelLayer, design: Design): InputError {
  const { bits, signed } = toJsonOperand(next.xFormat);
  const activation = `{"bits": ${bits}, "signed": ${signed}}`;
  const fix = (PRESET_NAMES as string[]).includes(design.name) ? `{"base": "${design.name}", "activation": ${activation}}` : `"activation": ${activation}`;
  // a preset with this Design's weights and exactly those activations (int8 x uint8: int8-u8)
  const preset = PRESET_NAMES.find((n) => formatName(PRESETS[n].weight) === formatName(design.weight) && formatName(PRESETS[n].activation) === formatName(next.xFormat));
  const use = preset !== undefined ? `the preset ${preset} (${operandName(design.weight)} x ${operandName(next.xFormat)}) or a Design (JSON file) with` : 'a Design (JSON file) with';
  return new InputError(`${where}: max-pool layer ${pool} feeds layer ${next.name}, whose ${formatName(next.xFormat)} inputs the ${operandName(design.weight)} x ${operandName(design.activation)} MAC array cannot hold (they would go bit-serial, which the pooling unit cannot feed); use ${use} ${fix}`);
}

interface EngineChoice {
  engine: Engine;
  shift: number;
  xFormat: NumFormat;
  wFormat: NumFormat;
  x: { lo: number; hi: number };
}

/**
 * mac when x and w' fit the array's operand formats (on a shift-PE array, `array.pe` "shift": and every w' is
 * 0 or +-2^e with a code, see pe_kind.ts); else xnor for ±1 x ±1; else bit-serial.
 */
function chooseEngine(l: MacSource, d: Design, first: boolean, where: string): EngineChoice {
  const xr = formatRange(l.input.format);
  const wr = weightRange(l);
  const xBin = l.input.format.type === 'binary';
  const wBin = l.weight.format.type === 'binary';
  if (xBin && wBin) {
    return { engine: 'xnor', shift: 0, xFormat: BINARY, wFormat: BINARY, x: { lo: -1, hi: 1 } };
  }
  const a = operandRange(d.activation);
  let shift = 0;
  if (first && !xBin && (xr.min < a.lo || xr.max > a.hi) && xr.max - xr.min <= a.hi - a.lo) shift = xr.min - a.lo;
  const w = operandRange(d.weight);
  // ±1 values fit any format holding -1 and +1 (bipolar or signed >= 2 bits); integers need a non-bipolar range
  const fitsX = xBin ? a.lo <= -1 && a.hi >= 1 : d.activation.type !== 'binary' && xr.min - shift >= a.lo && xr.max - shift <= a.hi;
  const fitsW = (wBin ? w.lo <= -1 && w.hi >= 1 : d.weight.type !== 'binary' && wr.lo >= w.lo && wr.hi <= w.hi) &&
    (peKind(d) === 'multiplier' || wBin || layerShiftable(l, d.weight));
  if (fitsX && fitsW) {
    return { engine: 'mac', shift, xFormat: d.activation, wFormat: d.weight, x: { lo: xr.min - shift, hi: xr.max - shift } };
  }
  if (!xBin && l.input.format.type === 'int' && l.input.format.bits <= 16) {
    // ±1 weights are stored as 2-bit two's complement planes
    const wFormat = wBin ? intFormat(2, true) : intFormat(bitsFor(wr.lo, wr.hi), wr.lo < 0);
    return { engine: 'serial', shift: 0, xFormat: l.input.format, wFormat, x: { lo: xr.min, hi: xr.max } };
  }
  throw new InputError(`${where}: layer ${l.name} (${formatName(l.weight.format)} weights x ${formatName(l.input.format)} inputs) fits neither the ${operandName(d.weight)} x ${operandName(d.activation)} MAC array nor the XNOR unit; use a Design whose operand formats hold it`);
}


/** Range of w' = w - wZp over the layer's actual weights. */
/** Whether every weight w - zp of the layer has a shift-PE code in the weight format `f` (pe_kind.ts). */
function layerShiftable(l: MacSource, f: NumFormat): boolean {
  const N = l.kind === 'dense' ? l.outFeatures : l.outChannels;
  const K = l.weight.data.length / N;
  const zps = l.weight.zeroPoint;
  const w = new Int32Array(N * K);
  for (let n = 0; n < N; n++) {
    const zp = zps.length === 1 ? zps[0] : zps[n];
    for (let k = 0; k < K; k++) w[n * K + k] = l.weight.data[n * K + k] - zp;
  }
  return shiftable(w, f);
}

function weightRange(l: MacSource): { lo: number; hi: number } {
  if (l.weight.format.type === 'binary') return { lo: -1, hi: 1 };
  let lo = 0;
  let hi = 0;
  const N = l.kind === 'dense' ? l.outFeatures : l.outChannels;
  const K = l.weight.data.length / N;
  for (let n = 0; n < N; n++) {
    const zp = l.weight.zeroPoint.length === 1 ? l.weight.zeroPoint[0] : l.weight.zeroPoint[n];
    for (let k = 0; k < K; k++) {
      const v = l.weight.data[n * K + k] - zp;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return { lo, hi };
}

function operandRange(f: NumFormat): { lo: number; hi: number } {
  const r = formatRange(f);
  return { lo: r.min, hi: r.max };
}

/** Smallest two's complement (or unsigned when lo >= 0) width holding [lo, hi]. */
function bitsFor(lo: number, hi: number): number {
  for (let b = 1; b <= 31; b++) {
    const r = formatRange(intFormat(b, lo < 0));
    if (lo >= r.min && hi <= r.max) return b;
  }
  return 32;
}

/** The input layout of a layer whose input map has `elems` elements. */
function layoutFor(engine: Engine, xFormat: NumFormat, elems: number, d: Design): Layout {
  const g = geometry(d);
  if (engine === 'mac') return { kind: 'slots', slotBits: g.hBits };
  const stride = Math.ceil(elems / g.L) * g.L;
  return engine === 'xnor' ? { kind: 'planes', planes: 1, stride, bipolar: true } : { kind: 'planes', planes: formatBits(xFormat), stride, bipolar: false };
}

/** The layer's output stage, per output channel, with following clamp layers fused in. */
function outputStage(l: MacSource, N: number, d: Design, clamps: { min: number; max: number }[], where: string): AccelStage {
  const o: OutputStage = l.output;
  const perChannel = (a: number[], name: string): Int32Array => {
    if (a.length !== 1 && a.length !== N) throw new InputError(`${where}: layer ${l.name} ${name} has ${a.length} entries; expected 1 or ${N}`);
    return Int32Array.from({ length: N }, (_, n) => (a.length === 1 ? a[0] : a[n]));
  };
  if (o.kind === 'accumulator') {
    if (clamps.length > 0) throw new InputError(`${where}: clamp after the raw accumulator of ${l.name} is not supported`);
    return { kind: 'raw' };
  }
  if (o.kind === 'threshold') {
    // a clamp holding every output of the thresholds (offset .. offset + steps, bipolar ±1) changes nothing
    const lo = o.bipolar ? -1 : o.offset;
    const hi = o.bipolar ? 1 : o.offset + o.steps;
    if (clamps.some((c) => c.min > lo || c.max < hi)) throw new InputError(`${where}: a clamp after the thresholds of ${l.name} cuts its outputs ${lo}..${hi}; fold it into the thresholds`);
    const t = new Int32Array(N * o.steps);
    for (let n = 0; n < N; n++) for (let s = 0; s < o.steps; s++) t[n * o.steps + s] = o.thresholds[(o.channels === 1 ? 0 : n) * o.steps + s];
    return { kind: 'threshold', thresholds: t, steps: o.steps, offset: o.offset, bipolar: o.bipolar };
  }
  const s = o.scaling;
  if (s.kind === 'onnx') throw new InputError(`${where}: layer ${l.name} uses ONNX float rescaling; the accelerator needs integer multipliers (re-quantize, or import with fixed-point requantization)`);
  if (s.kind === 'multiplier' && s.variant !== d.requant.mode) throw new InputError(`${where}: layer ${l.name} uses ${s.variant}-rounding multipliers; the Design's requantizer is ${d.requant.mode} (set requant.mode to ${s.variant})`);
  if (s.kind === 'shift' && (d.requant.mode !== 'shift' || d.requant.rounding !== s.rounding)) throw new InputError(`${where}: layer ${l.name} uses shift-only scaling with ${s.rounding}; the Design's requantizer is ${d.requant.mode}/${d.requant.rounding} (set requant.mode to shift, requant.rounding to ${s.rounding})`);
  let { min, max } = o.clamp;
  for (const c of clamps) {
    if (Math.max(min, c.min) > Math.min(max, c.max)) throw new InputError(`${where}: clamp [${c.min}, ${c.max}] after ${l.name} leaves no value of [${min}, ${max}]`);
    min = Math.max(min, c.min);
    max = Math.min(max, c.max);
  }
  return {
    kind: 'requant',
    multiplier: s.kind === 'multiplier' ? perChannel(s.multiplier, 'multiplier') : new Int32Array(N),
    shift: perChannel(s.shift, 'shift'),
    zeroPoint: o.output.zeroPoint,
    min,
    max,
  };
}
