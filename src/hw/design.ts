import type { Overflow, Rounding } from '../arith/modes.js';

/**
 * A Design describes one accelerator. It drives the TS hardware models, the RTL parameters, the cost
 * model and the reports (DESIGN.md convention 2). Load with `loadDesign` / `parseDesign`, which validate
 * every field; derived quantities come from `deriveDesign`, computed once.
 */
export type Dataflow = 'os' | 'ws' | 'is';

export interface OperandFormat {
  /** operand width in bits, 1..16 */
  bits: number;
  /** two's complement when true */
  signed: boolean;
}

export interface RequantConfig {
  /**
   * `double`: TFLite default multiplyByQuantizedMultiplier (SRDHM then RDBPOT, two roundings);
   * `single`: TFLite single-rounding variant (64-bit product, one rounding shift);
   * `shift`: power-of-two scaling only, `roundShift(acc, n, rounding)`.
   */
  mode: 'double' | 'single' | 'shift';
  /** rounding of the shift when `mode` is `shift` */
  rounding: Rounding;
  /** one multiplier/shift per output channel (`channel`) or one for the tensor (`tensor`) */
  granularity: 'channel' | 'tensor';
  /** output width in bits, 1..16 */
  outBits: number;
  /** output signedness */
  outSigned: boolean;
  /** output zero point added after scaling */
  zeroPoint: number;
  /** clamp the output at the zero point from below (fused ReLU) */
  relu: boolean;
}

export interface XnorConfig {
  /** XNOR/popcount lanes: bits of the ±1 vectors consumed per cycle, 1..1024 */
  bitsPerCycle: number;
  /** thresholds per channel for multi-threshold activation: 1 (bipolar sign) .. 255 */
  thresholds: number;
}

export interface Design {
  /** preset name or free text */
  name: string;
  array: { rows: number; cols: number; dataflow: Dataflow };
  weight: OperandFormat;
  activation: OperandFormat;
  /** accumulator width, 2..64, and what happens when a sum does not fit */
  accumulator: { bits: number; overflow: Extract<Overflow, 'WRAP' | 'SAT'> };
  requant: RequantConfig;
  xnor: XnorConfig;
  /** on-chip buffer sizes in bytes */
  buffers: { weightBytes: number; activationBytes: number; outputBytes: number };
  /** clock frequency in MHz */
  clockMHz: number;
  /** off-chip bandwidth in bytes per cycle */
  offchipBytesPerCycle: number;
}
