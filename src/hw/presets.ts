import { BINARY, intFormat } from '../arith/format.js';
import type { Design } from './design.js';

/**
 * Named Designs (`loadDesign('int8')`, `lowbit simulate --design int8`). Every preset passes
 * `parseDesign`; a JSON design file may start from one with `"base": "<preset>"`.
 *
 * Common to all presets: 64 KiB weight, 64 KiB activation and 16 KiB output buffers, 200 MHz,
 * 16 bytes per cycle off chip (3.2 GB/s).
 */

const buffers = { weightBytes: 65536, activationBytes: 65536, outputBytes: 16384 };

/** 16x16 output-stationary, int8 x int8 -> int32 (WRAP), TFLite double-rounding per-channel requant to int8. */
const int8: Design = {
  name: 'int8',
  array: { rows: 16, cols: 16, dataflow: 'os' },
  weight: intFormat(8, true),
  activation: intFormat(8, true),
  accumulator: { bits: 32, overflow: 'WRAP' },
  requant: {
    mode: 'double', rounding: 'RND_INF', granularity: 'channel',
    out: intFormat(8, true), zeroPoint: 0, relu: false,
  },
  xnor: { bitsPerCycle: 64, thresholds: 1 },
  buffers,
  clockMHz: 200,
  offchipBytesPerCycle: 16,
};

function variant(base: Design, name: string, patch: (d: Design) => void): Design {
  const d = structuredClone(base);
  d.name = name;
  patch(d);
  return d;
}

export const PRESETS = {
  int8,
  /** int8, weight stationary */
  'int8-ws': variant(int8, 'int8-ws', (d) => { d.array.dataflow = 'ws'; }),
  /** int8, input stationary */
  'int8-is': variant(int8, 'int8-is', (d) => { d.array.dataflow = 'is'; }),
  /**
   * int8 weights x uint8 activations, requantized to uint8: ONNX Runtime quantize_static's default formats
   * (QInt8 weights, QUInt8 activations), so its QOperator and QDQ CNNs, whose uint8 maps after a max-pool the
   * int8 x int8 array cannot take, run on the MAC array.
   */
  'int8-u8': variant(int8, 'int8-u8', (d) => {
    d.activation = intFormat(8, false);
    d.requant.out = intFormat(8, false);
  }),
  /** int8 on a 4x4 array: small enough for quick RTL co-simulation */
  tiny: variant(int8, 'tiny', (d) => { d.array.rows = 4; d.array.cols = 4; }),
  /** int8 with a 64x64 array (a TPU-v1-like quarter) */
  'int8-64': variant(int8, 'int8-64', (d) => { d.array.rows = 64; d.array.cols = 64; }),
  /** w4a4 signed, 32-bit WRAP accumulator, per-channel double-rounding requant to int4 */
  int4: variant(int8, 'int4', (d) => {
    d.weight = intFormat(4, true);
    d.activation = intFormat(4, true);
    d.requant.out = intFormat(4, true);
  }),
  /** w2a2 signed, 16-bit SATURATING accumulator, single-rounding requant to int2 */
  int2: variant(int8, 'int2', (d) => {
    d.weight = intFormat(2, true);
    d.activation = intFormat(2, true);
    d.accumulator = { bits: 16, overflow: 'SAT' };
    d.requant.mode = 'single';
    d.requant.out = intFormat(2, true);
  }),
  /**
   * XNOR-popcount design: bipolar ±1 weights and activations (binary, bit 1 = +1; JSON `{bits: 1, signed: true}`),
   * 64 XNOR lanes per cycle, 16-bit popcount accumulator, one threshold per channel (sign activation),
   * bipolar output.
   */
  binary: variant(int8, 'binary', (d) => {
    d.weight = BINARY;
    d.activation = BINARY;
    d.accumulator = { bits: 16, overflow: 'SAT' };
    d.requant = {
      mode: 'shift', rounding: 'TRN', granularity: 'channel',
      out: BINARY, zeroPoint: 0, relu: false,
    };
    d.xnor = { bitsPerCycle: 64, thresholds: 1 };
  }),
  /**
   * The design the shipped binary MNIST MLPs run on (`npm start`): the XNOR-popcount unit (64 lanes) for the
   * ±1 x ±1 layers and a 16x16 w2a8 MAC array for the first layer (uint8 pixels x ±1 weights, as FINN keeps
   * the first layer at higher precision), a 24-bit accumulator (784 x 255 < 2^18) and 1 MiB of weight
   * buffer so that LFC (3 x 1024) stays on chip.
   */
  'binary-mnist': variant(int8, 'binary-mnist', (d) => {
    d.weight = intFormat(2, true);
    d.activation = intFormat(8, true);
    d.accumulator = { bits: 24, overflow: 'SAT' };
    d.xnor = { bitsPerCycle: 64, thresholds: 1 };
    d.buffers = { ...d.buffers, weightBytes: 1048576 };
  }),
  /**
   * The int8 design the shipped low-bit MNIST MLPs run on (`npm start`): as `int8`, with 15-step
   * multi-threshold output stages (4-bit activations) and 512 KiB of weight buffer (SFC's 4-bit weights sit in 8-bit lanes).
   */
  'int8-mnist': variant(int8, 'int8-mnist', (d) => {
    d.xnor = { bitsPerCycle: 64, thresholds: 15 };
    d.buffers = { ...d.buffers, weightBytes: 524288 };
  }),
} satisfies Record<string, Design>;

export type PresetName = keyof typeof PRESETS;

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
