import { clog2 } from '../arith/format.js';

/**
 * Port-level, cycle-stepped TS model of `hdl/conv_window.sv` (the sliding-window generator's add-only
 * address walk; the maths is in that file's header and `windowStrides` in conv_window.ts). Values are the
 * ports' bit patterns as numbers, with the RTL's widths: addresses and counters are u32 (0 .. 2^32 - 1,
 * sums taken modulo 2^32 with `>>> 0`), the window coordinates iy, xc signed 34-bit (-2^33 .. 2^33 - 1,
 * wrapped by `s34`). Every intermediate is an integer below 2^36 in magnitude (a 34-bit coordinate plus a
 * u32), so doubles hold it exactly. Outputs are combinational in the inputs of the same cycle (descriptor
 * fields, taps, channel) and the registers: `outputs(x)` then `step(x)` per cycle.
 */
export interface WindowWalkParams {
  rows: number;
  lanes: number;
  hBits: number;
  poolMax: number;
}

/** One cycle's inputs: the descriptor fields, pad, taps and channel as u32 patterns. */
export interface WindowWalkInputs {
  init: boolean;
  tile: boolean;
  step: boolean;
  last: boolean;
  seg: boolean;
  mapH: number;
  mapC: number;
  sh: number;
  pt: number;
  outW: number;
  rows: number;
  rowLen: number;
  inRow: number;
  stepX: number;
  stepY: number;
  origin: number;
  originX: number;
  pad: number;
  /** the slot read at each row's tap, row 0 first */
  taps: number[];
  chan: number;
}

/** One cycle's outputs, u32 patterns (`h` as the HBits slots read). */
export interface WindowWalkOutputs {
  tapIdx: number[];
  h: number[];
  segPos: number;
  segSh: number;
  segNbits: number;
  /** tap (i, j) of the pooling window at i * poolMax + j */
  poolIdx: number[];
  pix: number;
}

const TWO33 = 2 ** 33;
const TWO34 = 2 ** 34;

/** The 34-bit signed value of an integer v, |v| < 2^53 (the RTL's `logic signed [33:0]`; BigInt.asIntN(34, v)). */
export function s34(v: number): number {
  let r = v % TWO34;
  if (r >= TWO33) r -= TWO34;
  else if (r < -TWO33) r += TWO34;
  return r + 0; // +0 for -0
}

export class WindowWalkModel {
  // the registers: row 0's corner (ox, iy, xc, base), the tile's first pixel, the patch element counters
  private ox = 0;
  private iy = 0;
  private xc = 0;
  private base = 0;
  private pix = 0;
  private ki = 0;
  private kiw = 0;
  private kjc = 0;
  private kc = 0;
  /** the corners of rows 0 .. rows for the current inputs (`corners`); [0] is the registers' */
  private readonly wOx: Float64Array;
  private readonly wIy: Float64Array;
  private readonly wXc: Float64Array;
  private readonly wBase: Float64Array;
  /** 2^NbW, NbW = clog2(lanes + 1), the width of seg_nbits_o */
  private readonly nbMod: number;

  constructor(readonly p: WindowWalkParams) {
    const n = p.rows + 1;
    [this.wOx, this.wIy, this.wXc, this.wBase] = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    this.nbMod = 2 ** clog2(p.lanes + 1);
  }

  /** Outputs with arrays sized for these parameters (pass one to `outputs` to reuse it every cycle). */
  newOutputs(): WindowWalkOutputs {
    const { rows, poolMax } = this.p;
    return { tapIdx: new Array<number>(rows).fill(0), h: new Array<number>(rows).fill(0), segPos: 0, segSh: 0, segNbits: 0, poolIdx: new Array<number>(poolMax * poolMax).fill(0), pix: 0 };
  }

  /** Window corners of rows 0 .. rows: row r + 1 is the pixel after row r (ox < Wo). */
  private corners(x: WindowWalkInputs): void {
    const { wOx: ox, wIy: iy, wXc: xc, wBase: base } = this;
    ox[0] = this.ox;
    iy[0] = this.iy;
    xc[0] = this.xc;
    base[0] = this.base;
    for (let r = 1; r <= this.p.rows; r++) {
      const next = (ox[r - 1] + 1) >>> 0;
      if (next === x.outW) {
        ox[r] = 0;
        iy[r] = s34(iy[r - 1] + x.sh);
        xc[r] = x.originX | 0; // 34'($signed(origin_x_i))
        base[r] = (base[r - 1] + x.stepY) >>> 0;
      } else {
        ox[r] = next;
        iy[r] = iy[r - 1];
        xc[r] = s34(xc[r - 1] + x.stepX);
        base[r] = (base[r - 1] + x.stepX) >>> 0;
      }
    }
  }

  /** The outputs for inputs `x`, written into `o` (a fresh object by default). */
  outputs(x: WindowWalkInputs, o: WindowWalkOutputs = this.newOutputs()): WindowWalkOutputs {
    const { rows, lanes, poolMax } = this.p;
    this.corners(x);
    const { wIy, wXc, wBase } = this;
    const off = (this.kiw + this.kjc + this.kc) >>> 0;
    for (let r = 0; r < rows; r++) {
      const iy = s34(wIy[r] + this.ki);
      const ix = s34(wXc[r] + this.kjc);
      o.tapIdx[r] = (wBase[r] + off) >>> 0;
      o.h[r] = iy < 0 || ix < 0 || iy >= x.mapH || ix >= x.inRow ? x.pad : x.taps[r];
    }
    // the XNOR segment of kernel row ki, cut at the padding: elements [lo, hi) of [kc, kc + lanes)
    const xiy = s34(this.iy + this.ki);
    const xc = this.xc;
    const jlo = xc < 0 ? s34(-xc) : 0;
    let jhi = s34(x.inRow - xc);
    if (jhi > x.rowLen) jhi = x.rowLen;
    const seg = this.kc;
    const segEnd = seg + lanes;
    const lo = jlo < seg ? seg : jlo;
    const hi = jhi > segEnd ? segEnd : jhi;
    const ok = xiy >= 0 && xiy < x.mapH && hi > lo;
    o.segPos = ok ? (this.base + this.kiw + lo) >>> 0 : 0;
    o.segSh = ok ? (lo - seg) >>> 0 : 0;
    o.segNbits = ok ? (hi - lo) % this.nbMod : 0;
    let row = (this.base + x.chan) >>> 0;
    for (let i = 0, k = 0; i < poolMax; i++) {
      let col = row;
      for (let j = 0; j < poolMax; j++, k++) {
        o.poolIdx[k] = col;
        col = (col + x.mapC) >>> 0;
      }
      row = (row + x.inRow) >>> 0;
    }
    o.pix = this.pix;
    return o;
  }

  /** The rising edge with inputs `x` (the next registers from the current ones, as the RTL's always_ff). */
  step(x: WindowWalkInputs): void {
    this.corners(x);
    this.edge(x);
  }

  /** One cycle, `outputs(x, o)` then `step(x)`, the window corners computed once. */
  cycle(x: WindowWalkInputs, o: WindowWalkOutputs): WindowWalkOutputs {
    this.outputs(x, o);
    this.edge(x);
    return o;
  }

  /** The rising edge, the corners already computed for `x`. */
  private edge(x: WindowWalkInputs): void {
    const { pix, ki, kiw, kjc, kc } = this;
    if (x.init) {
      this.ox = 0;
      this.iy = s34(-x.pt);
      this.xc = x.originX | 0;
      this.base = x.origin;
      this.pix = 0;
      this.ki = this.kiw = this.kjc = this.kc = 0;
    }
    if (x.tile) {
      this.pix = (pix + x.rows) >>> 0;
      const r = x.rows;
      if (r >= 1 && r <= this.p.rows) {
        this.ox = this.wOx[r];
        this.iy = this.wIy[r];
        this.xc = this.wXc[r];
        this.base = this.wBase[r];
      }
    }
    if (!x.step) return;
    // the patch element counters: from their values before the edge (ki .. kc), over init's reset
    let rowEnd = false;
    if (x.last) this.ki = this.kiw = this.kjc = this.kc = 0;
    else if (x.seg) {
      const next = (kc + this.p.lanes) >>> 0;
      if (next < x.rowLen) this.kc = next;
      else {
        this.kc = 0;
        rowEnd = true;
      }
    } else if (kc !== ((x.mapC - 1) >>> 0)) this.kc = (kc + 1) >>> 0;
    else {
      this.kc = 0;
      const next = (kjc + x.mapC) >>> 0;
      if (next !== x.rowLen) this.kjc = next;
      else {
        this.kjc = 0;
        rowEnd = true;
      }
    }
    if (rowEnd) {
      this.ki = (ki + 1) >>> 0;
      this.kiw = (kiw + x.inRow) >>> 0;
    }
  }
}
