import type { ConvWindow } from './accel_program.js';
import { formatSigned } from '../arith/format.js';
import type { Design } from './design.js';
import type { QuantizedModel } from '../model/types.js';
import { laneFormat } from './mac_rule.js';

/** The largest max-pool window side the pooling unit reads in one cycle (PoolMax of hdl/max_pool.sv). */
export const POOL_MAX = 3;

/**
 * The sliding-window input generator of the accelerator (FINN's ConvolutionInputGenerator is the idea):
 * it streams the k x k x C patch of each output pixel straight from the NHWC activation buffer, with no
 * im2col copy of the input. For output pixel m = oy*Wo + ox and patch element k = (i*kw + j)*C + c it
 * reads input element (iy*W + ix)*C + c with iy = oy*sh - pt + i, ix = ox*sw - pl + j, or — when (iy, ix)
 * lies outside the H x W map — the padding value `win.pad` (the input zero point minus the input shift,
 * so a padded position adds nothing to the sum; 0 on the XNOR unit and the bit-serial path, whose RTL
 * leaves a padded tap out of the popcount, so ±1 inputs are padded with 0 as the model defines).
 * `hdl/conv_window.sv` walks the same addresses per array row and per beat with adds only
 * (`windowStrides`); this is the rule the TS model gathers its patches with.
 */
export function patchIndex(win: ConvWindow, m: number, k: number): number {
  const c = k % win.C;
  const ij = (k - c) / win.C;
  const j = ij % win.kw;
  const i = (ij - j) / win.kw;
  const ox = m % win.Wo;
  const oy = (m - ox) / win.Wo;
  const iy = oy * win.sh - win.pt + i;
  const ix = ox * win.sw - win.pl + j;
  if (iy < 0 || iy >= win.H || ix < 0 || ix >= win.W) return -1;
  return (iy * win.W + ix) * win.C + c;
}

/**
 * The strides of the window generator's add-only address walk (`hdl/conv_window.sv`), in elements and
 * modulo 2^32 (two's complement in the descriptor). Output pixel (oy, ox)'s window corner is input
 * (iy, ix) = (oy*sh - pt, ox*sw - pl), at address base = (iy*W + ix)*C; tap (i, j, c) is base +
 * i*inRow + j*C + c. One output column on adds stepX to base and to the corner column in elements
 * ix*C; past the last column (ox = Wo - 1) the walk goes to (oy + 1, 0): base + stepY, ix*C = originX,
 * iy + sh. Pixel 0's base is `origin`.
 *   inRow = W*C, stepX = sw*C, stepY = (sh*W - (Wo - 1)*sw)*C, origin = -(pt*W + pl)*C,
 *   originX = -pl*C.
 */
export function windowStrides(w: ConvWindow): { inRow: number; stepX: number; stepY: number; origin: number; originX: number } {
  return {
    inRow: w.W * w.C,
    stepX: w.sw * w.C,
    stepY: (w.sh * w.W - (w.Wo - 1) * w.sw) * w.C,
    origin: -(w.pt * w.W + w.pl) * w.C,
    originX: -w.pl * w.C,
  };
}

/**
 * Whether a model needs the window generator and the pooling unit: it has a conv2d or maxpool2d layer.
 * An MLP's dense layers read image r's element k at r*K + k, which an accelerator built without the
 * convolution units addresses with a counter (the estimate leaves both units out of its area and energy).
 */
export function hasWindowLayers(model: QuantizedModel): boolean {
  return model.layers.some((l) => l.kind === 'conv2d' || l.kind === 'maxpool2d');
}

/** Whether some window reaches outside the map (a padded tap: top/left padding or an overhang). */
export function windowPadded(w: ConvWindow): boolean {
  return w.pt > 0 || w.pl > 0 || (w.Ho - 1) * w.sh + w.kh > w.H || (w.Wo - 1) * w.sw + w.kw > w.W;
}

/** Output pixels of a window and its patch length kh*kw*C. */
export function windowPixels(win: ConvWindow): number {
  return win.Ho * win.Wo;
}

export function patchLength(win: ConvWindow): number {
  return win.kh * win.kw * win.C;
}

/** Gathers the patches of every output pixel: M x K, row m = the patch of pixel m (padding = win.pad). */
export function gatherPatches(win: ConvWindow, x: Int32Array): Int32Array {
  const M = windowPixels(win);
  const K = patchLength(win);
  const out = new Int32Array(M * K);
  const rowLen = win.kw * win.C;
  for (let oy = 0; oy < win.Ho; oy++) {
    for (let ox = 0; ox < win.Wo; ox++) {
      const m = oy * win.Wo + ox;
      for (let i = 0; i < win.kh; i++) {
        const iy = oy * win.sh - win.pt + i;
        for (let j = 0; j < win.kw; j++) {
          const ix = ox * win.sw - win.pl + j;
          const dst = m * K + i * rowLen + j * win.C;
          if (iy < 0 || iy >= win.H || ix < 0 || ix >= win.W) out.fill(win.pad, dst, dst + win.C);
          else out.set(x.subarray((iy * win.W + ix) * win.C, (iy * win.W + ix + 1) * win.C), dst);
        }
      }
    }
  }
  return out;
}

/** Where the pooling unit's compare starts: -2^32, below every 32-bit value (hdl/max_pool.sv's `best`). */
export const POOL_FLOOR = -(2 ** 32);

/**
 * The pooling unit's compare, the one max rule of the accelerator model and of hdl/max_pool.sv's unit
 * model: max(POOL_FLOOR, tap(i, j) for i < kh, j < kw). A window of taps is never empty in a compiled
 * layer; an empty one (kh or kw 0) gives POOL_FLOOR, whose low 32 bits (the RTL's y_o) are 0.
 */
export function poolWindowMax(kh: number, kw: number, tap: (i: number, j: number) => number): number {
  let best = POOL_FLOOR;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const v = tap(i, j);
      if (v > best) best = v;
    }
  }
  return best;
}

/**
 * The pooling unit: y[m][c] = max over the kh x kw window of pixel m of x[.][c] (NHWC in and out; the
 * compiler admits unpadded pooling windows only). On ±1 values stored as bits (1 = +1) the max is the OR.
 */
export function maxPoolNhwc(win: ConvWindow, x: Int32Array): Int32Array {
  const M = windowPixels(win);
  const C = win.C;
  const y = new Int32Array(M * C);
  for (let m = 0; m < M; m++) {
    for (let c = 0; c < C; c++) {
      y[m * C + c] = poolWindowMax(win.kh, win.kw, (i, j) => x[patchIndex(win, m, (i * win.kw + j) * C + c)]);
    }
  }
  return y;
}

/**
 * Bits of the line buffer a streaming window generator over this input needs: kh - 1 full input rows plus
 * kw pixels of C elements, each `elemBits` wide (FINN's ConvolutionInputGenerator buffer).
 */
export function lineBufferBits(win: ConvWindow, elemBits: number): number {
  return ((win.kh - 1) * win.W + win.kw) * win.C * elemBits;
}

/** CHW (the model's order) -> NHWC (the activation buffer's), per image. */
export function chwToNhwc(x: Int32Array, C: number, H: number, W: number): Int32Array {
  const y = new Int32Array(x.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) y[p * C + c] = x[c * H * W + p];
  return y;
}

export function nhwcToChw(x: Int32Array, C: number, H: number, W: number): Int32Array {
  const y = new Int32Array(x.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) y[c * H * W + p] = x[p * C + c];
  return y;
}

/**
 * The Verilog parameters accel_top instantiates `hdl/conv_window.sv` with for a Design: the window
 * corners of Rows array rows, XNOR segments of Lanes bits, HBits-bit activation slots (2 for ±1), pooling
 * windows up to PoolMax x PoolMax.
 */
export function convWindowVerilogParams(d: Design): Record<string, number> {
  return { Rows: d.array.rows, Lanes: d.xnor.bitsPerCycle, HBits: laneFormat(d.activation).bits, PoolMax: POOL_MAX };
}

/** The Verilog parameters of `hdl/max_pool.sv` in accel_top: HBits-bit taps, signed as the activations. */
export function maxPoolVerilogParams(d: Design): Record<string, number> {
  return { HBits: laneFormat(d.activation).bits, Signed: formatSigned(d.activation) ? 1 : 0, PoolMax: POOL_MAX };
}
