import { clog2 } from '../arith/format.js';

/**
 * Port-level, cycle-stepped TS model of `hdl/conv_window.sv` (the sliding-window generator's add-only
 * address walk; the maths is in that file's header and `windowStrides` in conv_window.ts). Values are the
 * ports' bit patterns as BigInt, with the RTL's widths: addresses and counters modulo 2^32, the window
 * coordinates iy, xc signed 34-bit. Outputs are combinational in the inputs of the same cycle (descriptor
 * fields, taps, channel) and the registers: `outputs(x)` then `step(x)` per cycle.
 */
export interface WindowWalkParams {
  rows: number;
  lanes: number;
  hBits: number;
  poolMax: number;
}

export interface WindowWalkInputs {
  init: boolean;
  tile: boolean;
  step: boolean;
  last: boolean;
  seg: boolean;
  mapH: bigint;
  mapC: bigint;
  sh: bigint;
  pt: bigint;
  outW: bigint;
  rows: bigint;
  rowLen: bigint;
  inRow: bigint;
  stepX: bigint;
  stepY: bigint;
  origin: bigint;
  originX: bigint;
  pad: bigint;
  /** the slot read at each row's tap, row 0 first */
  taps: bigint[];
  chan: bigint;
}

export interface WindowWalkOutputs {
  tapIdx: bigint[];
  h: bigint[];
  segPos: bigint;
  segSh: bigint;
  segNbits: bigint;
  poolIdx: bigint[];
  pix: bigint;
}

const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
/** a 34-bit signed value (the RTL's `logic signed [33:0]`) */
const s34 = (v: bigint): bigint => BigInt.asIntN(34, v);
/** a 32-bit pattern sign-extended (`34'($signed(x))`) */
const sx = (v: bigint): bigint => BigInt.asIntN(32, v);

interface Corner {
  ox: bigint;
  iy: bigint;
  xc: bigint;
  base: bigint;
}

export class WindowWalkModel {
  private c: Corner = { ox: 0n, iy: 0n, xc: 0n, base: 0n };
  private pix = 0n;
  private ki = 0n;
  private kiw = 0n;
  private kjc = 0n;
  private kc = 0n;

  constructor(readonly p: WindowWalkParams) {}

  /** Window corners of rows 0 .. rows: row r + 1 is the pixel after row r (ox < Wo). */
  private corners(x: WindowWalkInputs): Corner[] {
    const w: Corner[] = [this.c];
    for (let r = 1; r <= this.p.rows; r++) {
      const q = w[r - 1];
      if (u32(q.ox + 1n) === x.outW) w.push({ ox: 0n, iy: s34(q.iy + x.sh), xc: sx(x.originX), base: u32(q.base + x.stepY) });
      else w.push({ ox: u32(q.ox + 1n), iy: q.iy, xc: s34(q.xc + x.stepX), base: u32(q.base + x.stepX) });
    }
    return w;
  }

  outputs(x: WindowWalkInputs): WindowWalkOutputs {
    const { rows, lanes, poolMax } = this.p;
    const w = this.corners(x);
    const off = u32(this.kiw + this.kjc + this.kc);
    const tapIdx: bigint[] = [];
    const h: bigint[] = [];
    for (let r = 0; r < rows; r++) {
      const iy = s34(w[r].iy + this.ki);
      const ix = s34(w[r].xc + this.kjc);
      tapIdx.push(u32(w[r].base + off));
      h.push(iy < 0n || ix < 0n || iy >= x.mapH || ix >= x.inRow ? x.pad : x.taps[r]);
    }
    // the XNOR segment of kernel row ki, cut at the padding: elements [lo, hi) of [kc, kc + lanes)
    const xiy = s34(this.c.iy + this.ki);
    const xc = this.c.xc;
    const jlo = xc < 0n ? s34(-xc) : 0n;
    let jhi = s34(x.inRow - xc);
    if (jhi > x.rowLen) jhi = x.rowLen;
    const seg = this.kc;
    const segEnd = seg + BigInt(lanes);
    const lo = jlo < seg ? seg : jlo;
    const hi = jhi > segEnd ? segEnd : jhi;
    const ok = xiy >= 0n && xiy < x.mapH && hi > lo;
    const poolIdx: bigint[] = [];
    let row = u32(this.c.base + x.chan);
    for (let i = 0; i < poolMax; i++) {
      let col = row;
      for (let j = 0; j < poolMax; j++) {
        poolIdx.push(col);
        col = u32(col + x.mapC);
      }
      row = u32(row + x.inRow);
    }
    return {
      tapIdx, h,
      segPos: ok ? u32(this.c.base + this.kiw + lo) : 0n,
      segSh: ok ? u32(lo - seg) : 0n,
      segNbits: ok ? BigInt.asUintN(clog2(lanes + 1), hi - lo) : 0n,
      poolIdx, pix: this.pix,
    };
  }

  /** The rising edge with inputs `x`. */
  step(x: WindowWalkInputs): void {
    const w = this.corners(x);
    let c = this.c;
    let pix = this.pix;
    let [ki, kiw, kjc, kc] = [this.ki, this.kiw, this.kjc, this.kc];
    if (x.init) {
      c = { ox: 0n, iy: s34(-x.pt), xc: sx(x.originX), base: x.origin };
      pix = 0n;
      [ki, kiw, kjc, kc] = [0n, 0n, 0n, 0n];
    }
    if (x.tile) {
      pix = u32(this.pix + x.rows);
      for (let r = 1; r <= this.p.rows; r++) if (x.rows === BigInt(r)) c = w[r];
    }
    if (x.step) {
      const rowEnd = (): void => {
        ki = u32(this.ki + 1n);
        kiw = u32(this.kiw + x.inRow);
      };
      if (x.last) [ki, kiw, kjc, kc] = [0n, 0n, 0n, 0n];
      else if (x.seg) {
        if (u32(this.kc + BigInt(this.p.lanes)) < x.rowLen) kc = u32(this.kc + BigInt(this.p.lanes));
        else {
          kc = 0n;
          rowEnd();
        }
      } else if (this.kc !== u32(x.mapC - 1n)) kc = u32(this.kc + 1n);
      else {
        kc = 0n;
        if (u32(this.kjc + x.mapC) !== x.rowLen) kjc = u32(this.kjc + x.mapC);
        else {
          kjc = 0n;
          rowEnd();
        }
      }
    }
    this.c = c;
    this.pix = pix;
    [this.ki, this.kiw, this.kjc, this.kc] = [ki, kiw, kjc, kc];
  }
}
