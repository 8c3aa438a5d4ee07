/**
 * One processing element (PE) of the systolic MAC array — the cycle-exact model of `hdl/mac_pe.sv`.
 * Its arithmetic (the accumulate rule `ovf(base + h * v)`, operand placement and lanes) is `mac_rule.ts`.
 *
 * Timing (all outputs registered; one rising edge per `step`):
 *   h_q <= h_i when h_valid_i;  h_valid_q <= h_valid_i        (pass right, one cycle)
 *   v_q <= v_i when v_valid_i                                  (pass down, one cycle)
 *   os:     v_valid_q <= v_valid_i; last_q <= v_valid_i & last_i
 *           if h_valid_i & v_valid_i: acc_q <= ovf(acc_q + h_i * v_i)
 *           else if shift_i:           acc_q <= ps_i           (drain: take the PE above's acc, 0 at the top)
 *   ws, is: a load beat carries `tag` = rows still to travel: when v_valid_i and tag_i == 0 the PE keeps it,
 *           s_q <= v_i (the stationary operand); otherwise it passes on: v_valid_q <= v_valid_i & tag_i != 0,
 *           tag_q <= tag_i - 1 (when passing).
 *           if h_valid_i:              acc_q <= ovf(ps_i + h_i * s_q)
 */
import type { Dataflow, Design } from './design.js';
import type { CycleModel, RegisterProbe } from './cycle_model.js';
import type { AccRule, AccValue } from './mac_rule.js';

/** The Verilog parameters of `hdl/mac_pe.sv` / `hdl/mac_array.sv`, mapped from a Design. */
export function macVerilogParams(d: Design): Record<string, number> {
  return {
    WBits: d.weight.bits,
    ABits: d.activation.bits,
    WSigned: d.weight.signed ? 1 : 0,
    ASigned: d.activation.signed ? 1 : 0,
    AccBits: d.accumulator.bits,
    AccSat: d.accumulator.overflow === 'SAT' ? 1 : 0,
    Dataflow: ['os', 'ws', 'is'].indexOf(d.array.dataflow),
  };
}

/** Inputs of one PE for one cycle (names as the ports of `hdl/mac_pe.sv`, without the `_i`). */
export interface MacPeInputs<T extends AccValue> {
  h: number;
  hValid: boolean;
  v: number;
  vValid: boolean;
  last: boolean;
  tag: number;
  shift: boolean;
  ps: T;
}

/** The outputs of one PE in a cycle (the ports of `hdl/mac_pe.sv`, without the `_o`): its registers. */
export interface MacPeOutputs<T extends AccValue> {
  hValid: boolean;
  h: number;
  vValid: boolean;
  v: number;
  last: boolean;
  tag: number;
  acc: T;
}

/** The registers of one PE, named as in `hdl/mac_pe.sv`. */
export type PeRegister = 'acc_q' | 's_q' | 'h_q' | 'v_q' | 'h_valid_q' | 'v_valid_q' | 'last_q' | 'tag_q';

/**
 * The cycle-stepped single-PE model (the `mac_pe` unit). Its private fields are the registers of
 * `hdl/mac_pe.sv`; the outputs are the registers themselves, and `register(name)` reads any of them by its
 * RTL name (flags as 0/1). The array model (`mac_array.ts`) inlines the same rule over typed storage for
 * speed; tests prove the two agree through the shared `AccRule`.
 */
export class MacPe<T extends AccValue>
  implements CycleModel<MacPeInputs<T>, MacPeOutputs<T>>, RegisterProbe<PeRegister, number | T>
{
  private hQ = 0;
  private hValidQ = false;
  private vQ = 0;
  private vValidQ = false;
  private lastQ = false;
  private tagQ = 0;
  private sQ = 0;
  private accQ: T;

  constructor(
    readonly dataflow: Dataflow,
    readonly rule: AccRule<T>,
  ) {
    this.accQ = rule.zero;
  }

  /** the outputs of the current cycle */
  outputs(): MacPeOutputs<T> {
    return { hValid: this.hValidQ, h: this.hQ, vValid: this.vValidQ, v: this.vQ, last: this.lastQ, tag: this.tagQ, acc: this.accQ };
  }

  /** a register of the current cycle by its RTL name */
  register(name: PeRegister): number | T {
    switch (name) {
      case 'acc_q': return this.accQ;
      case 's_q': return this.sQ;
      case 'h_q': return this.hQ;
      case 'v_q': return this.vQ;
      case 'h_valid_q': return +this.hValidQ;
      case 'v_valid_q': return +this.vValidQ;
      case 'last_q': return +this.lastQ;
      case 'tag_q': return this.tagQ;
    }
  }

  /** one rising clock edge */
  step(i: MacPeInputs<T>): void {
    if (this.dataflow === 'os') {
      if (i.hValid && i.vValid) this.accQ = this.rule.mac(this.accQ, i.h, i.v);
      else if (i.shift) this.accQ = i.ps;
      this.vValidQ = i.vValid;
      this.lastQ = i.vValid && i.last;
    } else {
      if (i.hValid) this.accQ = this.rule.mac(i.ps, i.h, this.sQ);
      if (i.vValid && i.tag === 0) this.sQ = i.v;
      if (i.vValid && i.tag !== 0) this.tagQ = i.tag - 1;
      this.vValidQ = i.vValid && i.tag !== 0;
    }
    if (i.hValid) this.hQ = i.h;
    this.hValidQ = i.hValid;
    if (i.vValid) this.vQ = i.v;
  }
}
