/**
 * The R x C systolic MAC array — the cycle-exact model of `hdl/mac_array.sv` (edge interface, skew and
 * deskew registers, PEs, output-stationary drain). The GEMM controller that feeds it is `gemm_schedule.ts`.
 *
 * Edge interface (one beat per cycle, no backpressure; unskewed vectors at the array edge):
 *   h_valid_i, h_i[R]   left edge, row r   (os/ws: activations A[m][k], is: weights W[k][n])
 *   v_valid_i, v_i[C]   top edge, column c (os: weights W[k][n]; ws/is: stationary operand load beats)
 *   tag_i               ws/is: the row a load beat is for (rows still to travel; the PE at tag 0 keeps it)
 *   last_i              os: this beat is the last k of the fold (travels with v)
 *   ps_i[C]             ws/is: partial sums entering the top of each column (travel with the h beat)
 *   y_valid_o, y_o[C]   one row of results per valid cycle, aligned across columns (deskewed)
 *
 * Skew: row r's h (and h_valid) passes r registers, column c's {v, v_valid, last, tag} and ps pass c registers,
 * so the beat entering at cycle t meets PE(r,c) at cycle t + r + c.
 *
 * os: PE(r,c) accumulates Y[m0+r][n0+c] over the K beats of a fold. When `last` leaves the bottom PE of
 *   column c (cycle D_c = s + K + R - 1 + c for a fold whose first beat is at s), the column drains: in step
 *   j = 1..R (cycle D_c + j - 1) the bottom value is captured in `ycol_q[c]` (then deskewed by C-1-c
 *   registers) and the rows shift down; row r takes part in steps 1..r+1 only (it receives rows r-1..0,
 *   then the zero that entered at the top), so it ends cleared for the next fold. Rows leave bottom first:
 *   y_o carries row m0+R-1-j at cycle s + K + R + C - 1 + j, j = 0..R-1.
 *   Stall rule: the first beat of the next fold must come >= R + 1 cycles after the last beat of this one
 *   (s' >= s + K + R): then PE(r,c)'s first MAC of the next fold (cycle s' + r + c >= D_c + r + 1) comes
 *   after its last drain step r+1 (cycle D_c + r), and row r+1's last step (reading row r) sees the zero.
 * ws/is: R load beats j = 0..R-1 at cycles l+j carry row j of the stationary tile with tag j; PE(j,c) keeps
 *   beat j at cycle l+2j+c. A stream beat m (h_i, ps_i) at cycle e+m, e >= l+R, reaches PE(r,c) at e+m+r+c
 *   (after its load, since e+r+c > l+2r+c); the sum leaves the bottom of column c at e+m+R+c and,
 *   deskewed, y_o carries it at cycle e+m+R+C-1.
 *   Rules: stream beats may follow the R load beats immediately; the next fold's load beats may follow the
 *   last stream beat immediately (folds overlap); a ps_i beat must not be issued before it is known.
 */
import type { Design } from './design.js';
import { accRule, type AccRule, type AccValue } from './mac_rule.js';
import type { PeRegister } from './mac_pe.js';
import type { CycleModel } from './cycle_model.js';

export interface MacArrayInputs<T extends AccValue> {
  hValid: boolean;
  h: Int32Array;
  vValid: boolean;
  v: Int32Array;
  last: boolean;
  tag: number;
  ps: T[];
}

/** The VCD / hierarchical path of a PE register below the `mac_array` top. */
export function peRegisterPath(r: number, c: number, name: PeRegister): string {
  return `g_row[${r}].g_col[${c}].u_pe.${name}`;
}

/**
 * Delay lines as ring buffers: a line of `depth` registers puts out in cycle t the value written `depth`
 * cycles before, kept at `t % depth` of its ring. Every line of the array shares the cycle counter, so each
 * costs one read and one write per cycle (the RTL's `skew_buffer.sv` shifts `depth` registers; the
 * observable values are the same). The lines of one signal share one flat buffer, line i's ring starting
 * at `skewBase(i)` (skew: line i has depth i) or `deskewBase(C, c)` (deskew: lane c has depth C-1-c), so
 * that an array is built with a few allocations (the unit stimulus builds one per GEMM).
 * `skewBase(i)`: the start of skew line i (depth i) in its flat buffer, 0 + 1 + ... + (i-1).
 */
const skewBase = (i: number): number => (i * (i - 1)) >> 1;
/** Start of deskew lane c (depth C-1-c) in its flat buffer: (C-1) + (C-2) + ... + (C-c). */
const deskewBase = (C: number, c: number): number => c * (C - 1) - ((c * (c - 1)) >> 1);

/** The outputs of the array in a cycle: y_valid_o and the C lanes of y_o. */
export interface MacArrayOutputs<T extends AccValue> {
  yValid: boolean;
  y: T[];
}

export class MacArray<T extends AccValue> implements CycleModel<MacArrayInputs<T>, MacArrayOutputs<T>> {
  readonly rows: number;
  readonly cols: number;
  readonly os: boolean;
  // PE registers (private: read them with peRegister), index r * cols + c
  private readonly hQ: Int32Array;
  private readonly hValidQ: Uint8Array;
  private readonly vQ: Int32Array;
  private readonly vValidQ: Uint8Array;
  private readonly lastQ: Uint8Array;
  private readonly tagQ: Int32Array;
  private readonly sQ: Int32Array;
  private readonly accQ: T[];
  // os drain: a down-counter per column, the captured bottom value and its valid
  private readonly drainCnt: Int32Array;
  private readonly ycolQ: T[];
  private readonly ycolValidQ: Uint8Array;
  /** cycles stepped since reset: the ring-buffer index of every delay line */
  private t = 0;
  // edge skew: row r delays {h, h_valid} by r; column c delays {v, v_valid, last, tag, ps} by c (ps in
  // ws/is only: the os array has no partial-sum path); output deskew: lane c by C-1-c. One flat buffer of
  // ring buffers per signal (see `skewBase`, `deskewBase`).
  private readonly hSkew: Int32Array;
  private readonly hValidSkew: Uint8Array;
  private readonly vSkew: Int32Array;
  private readonly vValidSkew: Uint8Array;
  private readonly lastSkew: Uint8Array;
  private readonly tagSkew: Int32Array;
  private readonly psSkew: T[];
  private readonly deskew: T[];
  /** os: this cycle's drain trigger per column */
  private readonly shiftNow: Uint8Array;
  // this cycle's values at the array edges after the skew (column 0 / row 0 inputs)
  private readonly hIn: Int32Array;
  private readonly hvIn: Uint8Array;
  private readonly vIn: Int32Array;
  private readonly vvIn: Uint8Array;
  private readonly lastIn: Uint8Array;
  private readonly tagIn: Int32Array;
  private readonly psIn: T[];

  constructor(
    design: Design,
    readonly rule: AccRule<T> = accRule(design) as AccRule<T>,
  ) {
    const R = (this.rows = design.array.rows);
    const C = (this.cols = design.array.cols);
    this.os = design.array.dataflow === 'os';
    const z = rule.zero;
    this.hQ = new Int32Array(R * C);
    this.hValidQ = new Uint8Array(R * C);
    this.vQ = new Int32Array(R * C);
    this.vValidQ = new Uint8Array(R * C);
    this.lastQ = new Uint8Array(R * C);
    this.tagQ = new Int32Array(R * C);
    this.sQ = new Int32Array(R * C);
    this.accQ = new Array<T>(R * C).fill(z);
    // skew lines 0..n-1 take skewBase(n) registers; the deskew lanes as many as the column skew
    this.hSkew = new Int32Array(skewBase(R));
    this.hValidSkew = new Uint8Array(skewBase(R));
    this.vSkew = new Int32Array(skewBase(C));
    this.vValidSkew = new Uint8Array(skewBase(C));
    this.lastSkew = new Uint8Array(skewBase(C));
    this.tagSkew = new Int32Array(skewBase(C));
    this.psSkew = new Array<T>(this.os ? 0 : skewBase(C)).fill(z);
    this.deskew = new Array<T>(skewBase(C)).fill(z);
    this.drainCnt = new Int32Array(C);
    this.ycolQ = new Array<T>(C).fill(z);
    this.ycolValidQ = new Uint8Array(C);
    this.shiftNow = new Uint8Array(C);
    this.hIn = new Int32Array(R);
    this.hvIn = new Uint8Array(R);
    this.vIn = new Int32Array(C);
    this.vvIn = new Uint8Array(C);
    this.lastIn = new Uint8Array(C);
    this.tagIn = new Int32Array(C);
    this.psIn = new Array<T>(C).fill(z);
  }

  /**
   * A PE register by its RTL name (`hdl/mac_pe.sv`): the value held in the current cycle. Its VCD path below
   * `mac_array` is `peRegisterPath(r, c, name)`; operands are lane values (see `laneToBits`).
   */
  peRegister(r: number, c: number, name: PeRegister): number | T {
    const p = r * this.cols + c;
    switch (name) {
      case 'acc_q': return this.accQ[p];
      case 's_q': return this.sQ[p];
      case 'h_q': return this.hQ[p];
      case 'v_q': return this.vQ[p];
      case 'h_valid_q': return this.hValidQ[p];
      case 'v_valid_q': return this.vValidQ[p];
      case 'last_q': return this.lastQ[p];
      case 'tag_q': return this.tagQ[p];
    }
  }

  /** the outputs of the current cycle (the hot loops read `yValid()` and `y(c)` directly) */
  outputs(): MacArrayOutputs<T> {
    return { yValid: this.yValid(), y: Array.from({ length: this.cols }, (_, c) => this.y(c)) };
  }

  /** y_valid_o of the current cycle (a register) */
  yValid(): boolean {
    const C = this.cols;
    return this.os ? this.ycolValidQ[C - 1] === 1 : this.hValidQ[(this.rows - 1) * C + C - 1] === 1;
  }

  /** y_o lane c of the current cycle (a register) */
  y(c: number): T {
    const depth = this.cols - 1 - c;
    return depth === 0 ? this.laneSource(c) : this.deskew[deskewBase(this.cols, c) + (this.t % depth)];
  }

  private laneSource(c: number): T {
    return this.os ? this.ycolQ[c] : this.accQ[(this.rows - 1) * this.cols + c];
  }

  /** one rising clock edge with the given edge inputs */
  step(i: MacArrayInputs<T>): void {
    const R = this.rows;
    const C = this.cols;
    const t = this.t;
    // 1. the skewed edge values of this cycle (delay line outputs, or the inputs for depth 0), and the
    //    delay lines take this cycle's inputs
    const { hIn, hvIn, vIn, vvIn, lastIn, tagIn, psIn, hSkew, hValidSkew, vSkew, vValidSkew, lastSkew, tagSkew, psSkew } = this;
    const hv = i.hValid ? 1 : 0;
    hIn[0] = i.h[0];
    hvIn[0] = hv;
    for (let r = 1; r < R; r++) {
      const k = skewBase(r) + (t % r);
      hIn[r] = hSkew[k];
      hvIn[r] = hValidSkew[k];
      hSkew[k] = i.h[r];
      hValidSkew[k] = hv;
    }
    const vv = i.vValid ? 1 : 0;
    const last = i.last ? 1 : 0;
    vIn[0] = i.v[0];
    vvIn[0] = vv;
    lastIn[0] = last;
    tagIn[0] = i.tag;
    for (let c = 1; c < C; c++) {
      const k = skewBase(c) + (t % c);
      vIn[c] = vSkew[k];
      vvIn[c] = vValidSkew[k];
      lastIn[c] = lastSkew[k];
      tagIn[c] = tagSkew[k];
      vSkew[k] = i.v[c];
      vValidSkew[k] = vv;
      lastSkew[k] = last;
      tagSkew[k] = i.tag;
    }
    if (!this.os) {
      psIn[0] = i.ps[0];
      for (let c = 1; c < C; c++) {
        const k = skewBase(c) + (t % c);
        psIn[c] = psSkew[k];
        psSkew[k] = i.ps[c];
      }
    }
    // 2. output deskew takes the old lane sources
    for (let c = 0; c < C - 1; c++) this.deskew[deskewBase(C, c) + (t % (C - 1 - c))] = this.laneSource(c);
    if (this.os) this.stepOs(R, C);
    else this.stepStationary(R, C);
    this.t = t + 1;
  }

  /**
   * os: drain capture from the old state, then the PEs, then the drain counters. Drain step 1 is the
   * trigger (`last` leaving the bottom PE), step j >= 2 has drainCnt = R - j + 1; row r shifts in steps
   * 1..r+1, i.e. when triggered or drainCnt >= R - r.
   */
  private stepOs(R: number, C: number): void {
    const { hQ, hValidQ, vQ, vValidQ, lastQ, accQ, rule, shiftNow, drainCnt, hIn, hvIn, vIn, vvIn, lastIn } = this;
    const bottom = (R - 1) * C;
    for (let c = 0; c < C; c++) {
      const trigger = lastQ[bottom + c] === 1;
      const sh = trigger || drainCnt[c] !== 0;
      shiftNow[c] = trigger ? 1 : 0;
      if (sh) this.ycolQ[c] = accQ[bottom + c];
      this.ycolValidQ[c] = sh ? 1 : 0;
    }
    // bottom-right first, so that every neighbour read is still the old register
    for (let r = R - 1; r >= 0; r--) {
      for (let c = C - 1; c >= 0; c--) {
        const p = r * C + c;
        const h = c === 0 ? hIn[r] : hQ[p - 1];
        const hv = c === 0 ? hvIn[r] : hValidQ[p - 1];
        const v = r === 0 ? vIn[c] : vQ[p - C];
        const vv = r === 0 ? vvIn[c] : vValidQ[p - C];
        const last = r === 0 ? lastIn[c] : lastQ[p - C];
        if (hv === 1 && vv === 1) accQ[p] = rule.mac(accQ[p], h, v);
        else if (shiftNow[c] === 1 || drainCnt[c] >= R - r) accQ[p] = r === 0 ? rule.zero : accQ[p - C];
        vValidQ[p] = vv;
        lastQ[p] = vv & last;
        if (hv === 1) hQ[p] = h;
        hValidQ[p] = hv;
        if (vv === 1) vQ[p] = v;
      }
    }
    for (let c = 0; c < C; c++) {
      if (shiftNow[c] === 1) drainCnt[c] = R - 1;
      else if (drainCnt[c] > 0) drainCnt[c]--;
    }
  }

  /** ws/is: load beats stop at tag 0, stream beats add to the partial sum from above */
  private stepStationary(R: number, C: number): void {
    const { hQ, hValidQ, vQ, vValidQ, tagQ, sQ, accQ, rule, hIn, hvIn, vIn, vvIn, tagIn, psIn } = this;
    for (let r = R - 1; r >= 0; r--) {
      for (let c = C - 1; c >= 0; c--) {
        const p = r * C + c;
        const hv = c === 0 ? hvIn[r] : hValidQ[p - 1];
        const vv = r === 0 ? vvIn[c] : vValidQ[p - C];
        if (hv === 1) {
          const h = c === 0 ? hIn[r] : hQ[p - 1];
          accQ[p] = rule.mac(r === 0 ? psIn[c] : accQ[p - C], h, sQ[p]);
          hQ[p] = h;
        }
        hValidQ[p] = hv;
        if (vv === 1) {
          const v = r === 0 ? vIn[c] : vQ[p - C];
          const tag = r === 0 ? tagIn[c] : tagQ[p - C];
          if (tag === 0) sQ[p] = v;
          else tagQ[p] = tag - 1;
          vValidQ[p] = tag !== 0 ? 1 : 0;
          vQ[p] = v;
        } else vValidQ[p] = 0;
      }
    }
  }
}
