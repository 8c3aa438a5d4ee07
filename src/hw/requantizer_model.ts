/**
 * Cycle-stepped model of hdl/requantizer.sv (the maths is in requantizer.ts; timing in its header).
 *
 * Protocol (docs/verify.md, "Timing and the harness protocol"): `outputs()` gives the registered
 * outputs of the current cycle (a function of the state only); `step(inputs)` applies one rising edge. The model starts in the
 * reset state: every register 0, the parameter table all (0, 0).
 *
 * Registers (RTL name in brackets):
 *   stage 1: valid [v1_q], the element and its table entry (acc, M, shift) [the RTL keeps the product]
 *   stage 2: valid [v2_q], scaled value v = requantScale(...) [s2_q]
 *   stage 3: valid [v3_q -> valid_o], y = requantFinish(v) [y3_q -> data_o]
 * Per edge, unless stalled: stage 3 <- finish(stage 2), stage 2 <- scale(stage 1), stage 1 <- inputs
 * (with table[ch] as it was before the edge). Then the table write (independent of the stall).
 */
import { checkInt } from '../util/errors.js';
import {
  checkChannelScale,
  checkRequantizerParams,
  requantFinish,
  requantScale,
  type RequantizerParams,
} from './requantizer.js';
import type { CycleModel, RegisterProbe } from './cycle_model.js';

/** Inputs of one cycle, port by port (`cfg_*_i`, `valid_i`, `ch_i`, `acc_i`, `stall_i`). */
export interface RequantizerInputs {
  cfgWe: boolean;
  cfgCh: number;
  /** int32 multiplier (unused in shift mode) */
  cfgMult: number;
  /** signed shift (double/single, -31..30) or right shift n (shift mode, 0..63) */
  cfgShift: number;
  valid: boolean;
  ch: number;
  /** accumulator, a signed accBits-bit value */
  acc: number;
  stall: boolean;
}

/** Registered outputs of one cycle (`valid_o`, `data_o` as a signed/unsigned value). */
export interface RequantizerOutputs {
  valid: boolean;
  data: number;
}

export class RequantizerModel
  implements CycleModel<RequantizerInputs, RequantizerOutputs>, RegisterProbe<'s2_q', number>
{
  readonly params: RequantizerParams;
  private readonly mult: Int32Array;
  private readonly shift: Int32Array;
  private v1 = false;
  private acc1 = 0;
  private m1 = 0;
  private sh1 = 0;
  private v2 = false;
  /** stage-2 register [s2_q]: the scaled value before the zero point */
  private s2 = 0;
  private v3 = false;
  private y3 = 0;

  constructor(params: RequantizerParams) {
    this.params = checkRequantizerParams(params);
    this.mult = new Int32Array(params.channels);
    this.shift = new Int32Array(params.channels);
  }

  outputs(): RequantizerOutputs {
    return { valid: this.v3, data: this.y3 };
  }

  /** the stage-2 register s2_q of the current cycle */
  register(_name: 's2_q'): number {
    return this.s2;
  }

  /** The table entry of channel `c` as the RTL reads it: (0, 0) outside 0..channels-1. */
  entry(c: number): { multiplier: number; shift: number } {
    if (c >= 0 && c < this.params.channels) return { multiplier: this.mult[c], shift: this.shift[c] };
    return { multiplier: 0, shift: 0 };
  }

  step(i: RequantizerInputs): void {
    const p = this.params;
    if (!i.stall) {
      const accLim = 2 ** (p.accBits - 1);
      checkInt(`acc (i${p.accBits})`, i.acc, -accLim, accLim - 1);
      this.v3 = this.v2;
      this.y3 = requantFinish(this.s2, p);
      this.v2 = this.v1;
      this.s2 = requantScale(this.acc1, this.m1, this.sh1, p);
      const e = this.entry(i.ch);
      this.v1 = i.valid;
      this.acc1 = i.acc;
      this.m1 = e.multiplier;
      this.sh1 = e.shift;
    }
    if (i.cfgWe && i.cfgCh >= 0 && i.cfgCh < p.channels) {
      checkChannelScale(p, i.cfgMult, i.cfgShift, `cfg channel ${i.cfgCh}`);
      this.mult[i.cfgCh] = i.cfgMult;
      this.shift[i.cfgCh] = i.cfgShift;
    }
  }
}
