/**
 * The R x C systolic MAC array — the cycle-exact model of `hdl/mac_array.v` (edge interface, skew and
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
 * Skew: row r's h (and h_valid) passes r registers, column c's {v, v_valid, last} and ps pass c registers,
 * so the beat entering at cycle t meets PE(r,c) at cycle t + r + c.
 *
 * os: PE(r,c) accumulates Y[m0+r][n0+c] over the K beats of a fold. When `last` leaves the bottom PE of
 *   column c (cycle D_c = s + K + R - 1 + c for a fold whose first beat is at s), the column shifts its
 *   accumulators down for R cycles (zeros enter at the top, so the column is cleared for the next fold);
 *   the bottom value is captured in `ycol_q[c]`, then deskewed by C-1-c registers. Rows leave bottom first:
 *   y_o carries row m0+R-1-j at cycle s + K + R + C - 1 + j, j = 0..R-1.
 *   Stall rule: the first beat of the next fold must come >= 2R cycles after the last beat of this one
 *   (s' >= s + K + 2R - 1): then PE(r,c)'s first MAC of the next fold (cycle s' + r + c) comes after the
 *   column's last drain step (cycle D_c + R - 1), when the whole column holds zeros. (For R >= 2 one cycle
 *   less also works, since a MAC wins over the last drain step of row 0; lowbit keeps the simpler rule.)
 * ws/is: R load beats j = 0..R-1 at cycles l+j carry row j of the stationary tile with tag j; PE(j,c) keeps
 *   beat j at cycle l+2j+c. A stream beat m (h_i, ps_i) at cycle e+m, e >= l+R, reaches PE(r,c) at e+m+r+c
 *   (after its load, since e+r+c > l+2r+c), the sum leaves
 *   the bottom of column c at e+m+R+c and, deskewed, y_o carries it at cycle e+m+R+C-1.
 *   Rules: stream beats may follow the R load beats immediately; the next fold's load beats may follow the
 *   last stream beat immediately (folds overlap); a ps_i beat must not be issued before it is known.
 */
import type { Design } from './design.js';
import { accRule, type AccRule, type AccValue } from './mac_pe.js';

export interface MacArrayInputs<T extends AccValue> {
  hValid: boolean;
  h: Int32Array;
  vValid: boolean;
  v: Int32Array;
  last: boolean;
  tag: number;
  ps: T[];
}

/** The registers of one PE, named as in `hdl/mac_pe.v`. */
export type PeRegister = 'acc_q' | 's_q' | 'h_q' | 'v_q' | 'h_valid_q' | 'v_valid_q' | 'last_q' | 'tag_q';

/** The VCD / hierarchical path of a PE register below the `mac_array` top. */
export function peRegisterPath(r: number, c: number, name: PeRegister): string {
  return `g_row[${r}].g_col[${c}].u_pe.${name}`;
}

export class MacArray<T extends AccValue> {
  readonly rows: number;
  readonly cols: number;
  readonly os: boolean;
  // PE registers, index r * cols + c
  readonly hQ: Int32Array;
  readonly hValidQ: Uint8Array;
  readonly vQ: Int32Array;
  readonly vValidQ: Uint8Array;
  readonly lastQ: Uint8Array;
  readonly tagQ: Int32Array;
  readonly sQ: Int32Array;
  readonly accQ: T[];
  // skew registers: row r has r stages, column c has c stages; stage s feeds stage s+1, the last feeds the PE
  readonly hSkew: Int32Array[];
  readonly hValidSkew: Uint8Array[];
  readonly vSkew: Int32Array[];
  readonly vValidSkew: Uint8Array[];
  readonly lastSkew: Uint8Array[];
  readonly tagSkew: Int32Array[];
  readonly psSkew: T[][];
  // os drain: a down-counter per column, the captured bottom value and its valid
  readonly drainCnt: Int32Array;
  readonly ycolQ: T[];
  readonly ycolValidQ: Uint8Array;
  // output deskew: lane c has C-1-c stages
  readonly deskew: T[][];
  private readonly shiftNow: Uint8Array;

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
    this.hSkew = Array.from({ length: R }, (_, r) => new Int32Array(r));
    this.hValidSkew = Array.from({ length: R }, (_, r) => new Uint8Array(r));
    this.vSkew = Array.from({ length: C }, (_, c) => new Int32Array(c));
    this.vValidSkew = Array.from({ length: C }, (_, c) => new Uint8Array(c));
    this.lastSkew = Array.from({ length: C }, (_, c) => new Uint8Array(c));
    this.tagSkew = Array.from({ length: C }, (_, c) => new Int32Array(c));
    this.psSkew = Array.from({ length: C }, (_, c) => new Array<T>(this.os ? 0 : c).fill(z));
    this.drainCnt = new Int32Array(C);
    this.ycolQ = new Array<T>(C).fill(z);
    this.ycolValidQ = new Uint8Array(C);
    this.deskew = Array.from({ length: C }, (_, c) => new Array<T>(C - 1 - c).fill(z));
    this.shiftNow = new Uint8Array(C);
  }

  /**
   * A PE register by its RTL name (`hdl/mac_pe.v`): the value held in the current cycle. Its VCD path below
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

  /** y_valid_o of the current cycle (a register) */
  yValid(): boolean {
    const C = this.cols;
    return this.os ? this.ycolValidQ[C - 1] === 1 : this.hValidQ[(this.rows - 1) * C + C - 1] === 1;
  }

  /** y_o lane c of the current cycle (a register) */
  y(c: number): T {
    const C = this.cols;
    if (c < C - 1) return this.deskew[c][C - 2 - c];
    return this.laneSource(c);
  }

  private laneSource(c: number): T {
    return this.os ? this.ycolQ[c] : this.accQ[(this.rows - 1) * this.cols + c];
  }

  /** one rising clock edge with the given edge inputs */
  step(i: MacArrayInputs<T>): void {
    const R = this.rows;
    const C = this.cols;
    const { hQ, hValidQ, vQ, vValidQ, lastQ, tagQ, sQ, accQ, rule } = this;
    const bottom = (R - 1) * C;
    // 1. os drain control (from the old state)
    if (this.os) {
      for (let c = 0; c < C; c++) {
        const trigger = lastQ[bottom + c] === 1;
        this.shiftNow[c] = trigger || this.drainCnt[c] !== 0 ? 1 : 0;
      }
    }
    // 2. output deskew shifts (old lane sources)
    for (let c = 0; c < C - 1; c++) {
      const d = this.deskew[c];
      for (let s = d.length - 1; s > 0; s--) d[s] = d[s - 1];
      d[0] = this.laneSource(c);
    }
    // 3. os capture of the bottom row and counters
    if (this.os) {
      for (let c = 0; c < C; c++) {
        const sh = this.shiftNow[c] === 1;
        if (sh) this.ycolQ[c] = accQ[bottom + c];
        this.ycolValidQ[c] = sh ? 1 : 0;
        if (lastQ[bottom + c] === 1) this.drainCnt[c] = R - 1;
        else if (this.drainCnt[c] > 0) this.drainCnt[c]--;
      }
    }
    // 4. PEs, bottom-right first so that every neighbour read is still the old register
    for (let r = R - 1; r >= 0; r--) {
      for (let c = C - 1; c >= 0; c--) {
        const p = r * C + c;
        let h: number, hv: boolean, v: number, vv: boolean, last: boolean, tag: number, ps: T;
        if (c === 0) {
          h = r === 0 ? i.h[0] : this.hSkew[r][r - 1];
          hv = r === 0 ? i.hValid : this.hValidSkew[r][r - 1] === 1;
        } else {
          h = hQ[p - 1];
          hv = hValidQ[p - 1] === 1;
        }
        if (r === 0) {
          v = c === 0 ? i.v[0] : this.vSkew[c][c - 1];
          vv = c === 0 ? i.vValid : this.vValidSkew[c][c - 1] === 1;
          last = c === 0 ? i.last : this.lastSkew[c][c - 1] === 1;
          tag = c === 0 ? i.tag : this.tagSkew[c][c - 1];
          ps = this.os ? rule.zero : c === 0 ? i.ps[0] : this.psSkew[c][c - 1];
        } else {
          v = vQ[p - C];
          vv = vValidQ[p - C] === 1;
          last = lastQ[p - C] === 1;
          tag = tagQ[p - C];
          ps = accQ[p - C];
        }
        if (this.os) {
          if (hv && vv) accQ[p] = rule.mac(accQ[p], h, v);
          else if (this.shiftNow[c] === 1) accQ[p] = ps;
          vValidQ[p] = vv ? 1 : 0;
          lastQ[p] = vv && last ? 1 : 0;
        } else {
          if (hv) accQ[p] = rule.mac(ps, h, sQ[p]);
          if (vv && tag === 0) sQ[p] = v;
          if (vv && tag !== 0) tagQ[p] = tag - 1;
          vValidQ[p] = vv && tag !== 0 ? 1 : 0;
        }
        if (hv) hQ[p] = h;
        hValidQ[p] = hv ? 1 : 0;
        if (vv) vQ[p] = v;
      }
    }
    // 5. edge skew registers
    for (let r = 1; r < R; r++) {
      const s = this.hSkew[r];
      const sv = this.hValidSkew[r];
      for (let k = r - 1; k > 0; k--) {
        s[k] = s[k - 1];
        sv[k] = sv[k - 1];
      }
      s[0] = i.h[r];
      sv[0] = i.hValid ? 1 : 0;
    }
    for (let c = 1; c < C; c++) {
      const s = this.vSkew[c];
      const sv = this.vValidSkew[c];
      const sl = this.lastSkew[c];
      const st = this.tagSkew[c];
      const sp = this.psSkew[c];
      for (let k = c - 1; k > 0; k--) {
        s[k] = s[k - 1];
        sv[k] = sv[k - 1];
        sl[k] = sl[k - 1];
        st[k] = st[k - 1];
        if (!this.os) sp[k] = sp[k - 1];
      }
      s[0] = i.v[c];
      sv[0] = i.vValid ? 1 : 0;
      sl[0] = i.last ? 1 : 0;
      st[0] = i.tag;
      if (!this.os) sp[0] = i.ps[c];
    }
  }
}
