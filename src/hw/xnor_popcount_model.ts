/**
 * Cycle-stepped model of hdl/xnor_popcount.sv (maths and timing in xnor_popcount.ts).
 *
 * Protocol (docs/verify.md, "Timing and the harness protocol"): `outputs()` = registered outputs of
 * the current cycle (state only), `step(inputs)` = one rising edge. Starts in the reset state: all registers and the threshold
 * table 0.
 *
 * Registers (RTL names): stage 1 [v1_q, first1_q, last1_q, and1_q, neg1_q, sh1_q, nb1_q, pop1_q, ch1_q];
 * stage 2 [acc_q (loads on every valid word), dot2_q and ch2_q (load on a valid last word),
 * v2_q = v1 & last1]; stage 3 [v3_q, dot3_q, act3_q = multiThreshold(dot2_q, table[ch2_q])], loaded on
 * every non-stalled edge. While `stall` is 1 no pipeline register changes; threshold writes still happen
 * (after the stage-3 read of the old table). Out-of-range channel/index writes are ignored; an
 * out-of-range channel reads all-zero thresholds.
 */
import { intFormat, wrapInt, type IntFormat } from '../arith/index.js';
import { badValue, checkInt } from '../util/errors.js';
import {
  checkXnorPopcountParams,
  countBits,
  laneWords,
  multiThreshold,
  wordContribution,
  wordPopcount,
  type XnorPopcountParams,
} from './xnor_popcount.js';
import type { CycleModel, RegisterProbe } from './cycle_model.js';

/** Inputs of one cycle, port by port. `a`, `w`: the lane word, `ceil(lanes/32)` 32-bit words, LSB first. */
export interface XnorPopcountInputs {
  thrWe: boolean;
  thrCh: number;
  thrIdx: number;
  /** signed accBits-bit threshold */
  thrVal: number;
  valid: boolean;
  first: boolean;
  last: boolean;
  /** false: XNOR (±1) word; true: AND (bit-plane) word */
  and: boolean;
  neg: boolean;
  /** 0..31 (AND words) */
  shift: number;
  /** valid bits of this word, 0..2^clog2(lanes+1)-1 (values above lanes mean all lanes) */
  nbits: number;
  ch: number;
  a: Uint32Array;
  w: Uint32Array;
  stall: boolean;
}

/** Registered outputs of one cycle: `valid_o`, `dot_o` (signed), `act_o` (unsigned count). */
export interface XnorPopcountOutputs {
  valid: boolean;
  dot: number;
  act: number;
}

export class XnorPopcountModel
  implements CycleModel<XnorPopcountInputs, XnorPopcountOutputs>, RegisterProbe<'acc_q', number>
{
  readonly params: XnorPopcountParams;
  private readonly fmt: IntFormat;
  private readonly thr: Int32Array;
  /** what an out-of-range channel reads */
  private readonly zeroThr: Int32Array;
  private readonly nbMax: number;
  // stage 1
  private v1 = false;
  private first1 = false;
  private last1 = false;
  private and1 = false;
  private neg1 = false;
  private sh1 = 0;
  private nb1 = 0;
  private pop1 = 0;
  private ch1 = 0;
  // stage 2
  /** [acc_q] the running sum */
  private acc = 0;
  private dot2 = 0;
  private ch2 = 0;
  private v2 = false;
  // stage 3
  private v3 = false;
  private dot3 = 0;
  private act3 = 0;

  constructor(params: XnorPopcountParams) {
    this.params = checkXnorPopcountParams(params);
    this.fmt = intFormat(params.accBits, true);
    this.thr = new Int32Array(params.channels * params.thresholds);
    this.zeroThr = new Int32Array(params.thresholds);
    this.nbMax = 2 ** countBits(params.lanes) - 1;
  }

  outputs(): XnorPopcountOutputs {
    return { valid: this.v3, dot: this.dot3, act: this.act3 };
  }

  /** the stage-2 running sum acc_q of the current cycle */
  register(_name: 'acc_q'): number {
    return this.acc;
  }

  /** Threshold count of `x` for channel `ch` as the RTL computes it (all-zero thresholds out of range). */
  activation(x: number, ch: number): number {
    const p = this.params;
    if (ch >= 0 && ch < p.channels) return multiThreshold(x, this.thr, ch * p.thresholds, p.thresholds);
    return multiThreshold(x, this.zeroThr, 0, p.thresholds);
  }

  step(i: XnorPopcountInputs): void {
    const p = this.params;
    if (!i.stall) {
      checkInt('nbits', i.nbits, 0, this.nbMax);
      checkInt('shift', i.shift, 0, 31);
      const words = laneWords(p.lanes);
      if (i.a.length !== words || i.w.length !== words) {
        throw badValue('a.length / w.length', `${i.a.length} / ${i.w.length}`, `${words} words for ${p.lanes} lanes`);
      }
      // stage 3 from stage 2 (old table)
      this.v3 = this.v2;
      this.dot3 = this.dot2;
      this.act3 = this.activation(this.dot2, this.ch2);
      // stage 2 from stage 1
      this.v2 = this.v1 && this.last1;
      if (this.v1) {
        const c = wordContribution(this.pop1, this.nb1, p.lanes, this.and1, this.neg1, this.sh1);
        const sum = wrapInt((this.first1 ? 0 : this.acc) + c, this.fmt);
        this.acc = sum;
        if (this.last1) {
          this.dot2 = sum;
          this.ch2 = this.ch1;
        }
      }
      // stage 1 from the inputs
      this.v1 = i.valid;
      this.first1 = i.first;
      this.last1 = i.last;
      this.and1 = i.and;
      this.neg1 = i.neg;
      this.sh1 = i.shift;
      this.nb1 = Math.min(i.nbits, p.lanes);
      this.pop1 = wordPopcount(i.a, i.w, i.nbits, i.and, p.lanes);
      this.ch1 = i.ch;
    }
    if (i.thrWe && i.thrCh >= 0 && i.thrCh < p.channels && i.thrIdx >= 0 && i.thrIdx < p.thresholds) {
      const lim = 2 ** (p.accBits - 1);
      checkInt(`thrVal (i${p.accBits})`, i.thrVal, -lim, lim - 1);
      this.thr[i.thrCh * p.thresholds + i.thrIdx] = i.thrVal;
    }
  }
}
