import type { NumFormat } from '../arith/format.js';
import type { Rounding } from '../arith/modes.js';

/**
 * The QuantizedModel: what the hardware computes, layer by layer, in integers (docs/model.md).
 *
 * Tensors are per-sample (the batch is the outer dimension at run time). Feature maps are CHW (NCHW with
 * the batch), as in ONNX and PyTorch; `flatten` therefore orders features c*H*W + h*W + w. Dense weights are
 * `[out][in]` row-major, conv weights `[outC][inC][kh][kw]` row-major (OIHW).
 *
 * Arithmetic of a `dense` / `conv2d` layer (docs/arithmetic.md section 2, TFLite `integer_ops/fully_connected.h`):
 *   acc[o] = wrap32( sum_i (w[o][i] - wZp[o]) * (x[i] - xZp) + bias[o] )
 * Binary (±1) weights and binary inputs use `xnorDot` (docs/arithmetic.md section 5), which is the same sum.
 * Then the `output` stage turns the int32 accumulator into the next layer's integers:
 *   - `requantize`: y = clamp(scale(acc) + yZp, min, max), `scale` one of
 *       multiplier: multiplyByQuantizedMultiplier(acc, M[o], shift[o], variant)   (TFLite)
 *       shift:      roundShift(acc, shift[o], rounding)                            (power-of-two scales)
 *       onnx:       onnxRescale(acc, scale[o], ...)                                (ORT float32 rescale)
 *   - `threshold` (FINN / QONNX MultiThreshold): y = sum_t [acc >= T[o][t]] + offset; bipolar: 2*y - 1
 *   - `accumulator`: y = acc (int32 logits).
 * A float scale is carried everywhere so that an integer `q` means the real value `scale * (q - zeroPoint)`;
 * the integer path never reads it, except in the `onnxruntime` requant mode of the reference inference,
 * which rescales with float32 `inScale * wScale[o] / outScale` as ONNX Runtime does.
 */

/** Version of the manifest schema written by this code; the loader rejects any other. */
export const SCHEMA_VERSION = 1;

/**
 * Format of an integer tensor: arith's NumFormat (src/arith/format.ts) — `{type: 'int', bits, signed}`
 * (1..32 bits in a model) or `{type: 'binary'}` (±1, bit 1 = +1).
 */
export type TensorFormat = NumFormat;
export { formatBits, formatName, formatRange } from '../arith/format.js';

/** Quantization of an activation tensor: integer q stands for `scale * (q - zeroPoint)`. */
export interface ActQuant {
  format: TensorFormat;
  /** real value of one step (float64 holding a float32 value when it came from ONNX) */
  scale: number;
  /** integer zero point, inside the format's range; 0 for binary */
  zeroPoint: number;
}

/** Integer weights of a dense/conv layer. */
export interface WeightTensor {
  format: TensorFormat;
  /** row-major data, one number per weight (binary weights hold -1/+1) */
  data: Int32Array;
  /** zero point per output channel (length outChannels) or per tensor (length 1) */
  zeroPoint: number[];
  /**
   * float scale per output channel or per tensor (same length rule as zeroPoint); with `group` it is the
   * scale of one unit of the widened accumulator, and weight k of row o stands for
   * `scale[o] * group.multiplier[o][k / group.size] * (w - wZp[o])`
   */
  scale: number[];
  /** per-group (block) scales along K as integer multipliers (model/group.ts); absent = one scale per row */
  group?: WeightGroups;
}

/**
 * Per-group weight scales of a dense/conv layer: the row (length K: dense inputs, conv (c, i, j)) is cut
 * into ceil(K / size) groups of `size` consecutive weights (the last may be shorter), and group g of
 * output o accumulates with the integer multiplier m[o][g] (model/group.ts):
 *   acc[o] = wrap32( bias[o] + sum_g m[o][g] * sum_{k in g} (w[o][k] - wZp[o]) (x[k] - xZp) )
 */
export interface WeightGroups {
  /** weights per group along K, 1..K-1 (K or more is one scale per row: no `group`) */
  size: number;
  /** m[o * groups + g], integers 0..GROUP_MULTIPLIER_MAX */
  multiplier: Int32Array;
}

/** How the int32 accumulator is scaled in a `requantize` stage (per channel or per tensor arrays). */
export type Scaling =
  /** TFLite: multiplyByQuantizedMultiplier(acc, multiplier[o], shift[o], variant); multiplier in [0, 2^31) */
  | { kind: 'multiplier'; variant: 'double' | 'single'; multiplier: number[]; shift: number[] }
  /** power of two: roundShift(acc, shift[o], rounding), shift in [0, 62] */
  | { kind: 'shift'; rounding: Rounding; shift: number[] }
  /** ONNX Runtime float32 rescale: float32(acc) * scale[o], clamp, round half to even, + zero point */
  | { kind: 'onnx'; scale: number[] };

/** Output stage of a dense/conv layer. */
export type OutputStage =
  | {
      kind: 'requantize';
      scaling: Scaling;
      /** the integers produced (format, float scale, zero point added after scaling) */
      output: ActQuant;
      /** clamp after adding the zero point, inside the format's range; a fused ReLU has min = zeroPoint */
      clamp: { min: number; max: number };
    }
  | {
      kind: 'threshold';
      /** thresholds[c * steps + t], sorted ascending within a channel; compared with the int32 accumulator */
      thresholds: Int32Array;
      /** 1 (shared by all output channels) or the layer's output channel count */
      channels: number;
      /** thresholds per channel (T); the output counts how many are <= acc: 0..T */
      steps: number;
      /** integer added to the count (FINN MultiThreshold `bias`; e.g. -2^(b-1) for signed outputs) */
      offset: number;
      /** output 2*(count + offset) - 1 (FINN bipolar: scale 2, bias -1); requires format binary */
      bipolar: boolean;
      output: ActQuant;
    }
  | {
      kind: 'accumulator';
      /** the int32 accumulator is the output; its real value is acc * inScale * wScale[o] */
    };

interface LayerBase {
  /** unique name within the model (ONNX node name on import) */
  name: string;
}

/** Float -> integer input stage (ONNX QuantizeLinear): q = saturate(rint(float32(x / scale)) + zeroPoint), rint ties to even. */
export interface QuantizeLayer extends LayerBase {
  kind: 'quantize';
  output: ActQuant;
}

/** Fully connected: y[o] = out(sum_i (w[o][i] - wZp[o]) (x[i] - xZp) + bias[o]). */
export interface DenseLayer extends LayerBase {
  kind: 'dense';
  inFeatures: number;
  outFeatures: number;
  input: ActQuant;
  weight: WeightTensor;
  /** int32 bias per output feature (real scale inScale * wScale[o]), or null */
  bias: Int32Array | null;
  output: OutputStage;
}

/**
 * 2-D convolution over CHW inputs (cross-correlation, as ONNX Conv / PyTorch): for output (o, y, x)
 *   acc = bias[o] + sum_{c,i,j} (w[o][c][i][j] - wZp[o]) * (in[c][y*sh + i - padTop][x*sw + j - padLeft] - xZp)
 * where positions outside the input read the input zero point (so they add 0).
 * Output size: H' = floor((H + padTop + padBottom - kh) / sh) + 1, likewise W'.
 */
export interface Conv2dLayer extends LayerBase {
  kind: 'conv2d';
  inChannels: number;
  outChannels: number;
  /** [kh, kw] */
  kernel: [number, number];
  /** [sh, sw] */
  stride: [number, number];
  /** [top, left, bottom, right] */
  padding: [number, number, number, number];
  input: ActQuant;
  weight: WeightTensor;
  bias: Int32Array | null;
  output: OutputStage;
}

/** Max pooling over CHW integers (monotone, so it commutes with the quantization); padded positions are ignored. */
export interface MaxPool2dLayer extends LayerBase {
  kind: 'maxpool2d';
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right]; a window never lies wholly in the padding */
  padding: [number, number, number, number];
}

/** CHW -> vector of C*H*W features (index c*H*W + h*W + w). */
export interface FlattenLayer extends LayerBase {
  kind: 'flatten';
}

/** Integer clamp: y = min(max(x, min), max). ReLU of a quantized tensor is clamp(min = zeroPoint). */
export interface ClampLayer extends LayerBase {
  kind: 'clamp';
  min: number;
  max: number;
}

/** An operand of an `add` layer: the output of `layers[from]` (an earlier layer) and its quantization. */
export interface AddOperand {
  from: number;
  quant: ActQuant;
}

/**
 * Element-wise sum of two quantized tensors of the same shape (ONNX Runtime com.microsoft QLinearAdd), e.g. a
 * residual connection. Operand `a` (ONNX input A) and `b` (input B) are the outputs of earlier layers; one of
 * them is the previous layer (index i - 1), so the model stays a chain whose add layers also read a skip
 * tensor. The integers follow ORT's x86-64 kernel (src/arith/ort_qlinear.ts):
 *   y = sat(rint(fma(qa, sa/sy, fma(qb, sb/sy, zy - fma(za, sa/sy, sb/sy * zb)))))   in float32
 */
export interface AddLayer extends LayerBase {
  kind: 'add';
  a: AddOperand;
  b: AddOperand;
  output: ActQuant;
}

/**
 * Global average pooling of CHW integers to [C, 1, 1] (ONNX Runtime com.microsoft QLinearGlobalAveragePool):
 *   acc = sum_{h,w} x[c][h][w] - zIn * H*W,  y = rint(clamp(float32(acc) * s, qmin - zOut, qmax - zOut)) + zOut
 * with s = float32(sIn / (sOut * H*W)) (src/arith/ort_qlinear.ts).
 */
export interface GlobalAvgPoolLayer extends LayerBase {
  kind: 'globalavgpool';
  input: ActQuant;
  output: ActQuant;
}

export type Layer = QuantizeLayer | DenseLayer | Conv2dLayer | MaxPool2dLayer | FlattenLayer | ClampLayer | AddLayer | GlobalAvgPoolLayer;
export type LayerKind = Layer['kind'];
export const LAYER_KINDS: readonly LayerKind[] = ['quantize', 'dense', 'conv2d', 'maxpool2d', 'flatten', 'clamp', 'add', 'globalavgpool'];

/** Where a model came from and how good it is. */
export interface Provenance {
  /** producing tool and version, e.g. "lowbit 0.1.0 quantize" or "onnx-import" */
  tool: string;
  /** ISO 8601 date of creation */
  date: string;
  /** the source: checkpoint path, ONNX file, training run */
  source: string;
  /** measured accuracies, e.g. [{dataset: 'mnist-test', metric: 'top1', value: 0.9812, samples: 10000}] */
  accuracy: { dataset: string; metric: string; value: number; samples: number }[];
  /** free-form notes (calibration method, seed, ...) */
  notes?: string;
}

export interface QuantizedModel {
  schemaVersion: typeof SCHEMA_VERSION;
  name: string;
  /**
   * Per-sample input shape: [features] for an MLP or [C, H, W] for a CNN. The input is float when the
   * first layer is `quantize`, otherwise integers in the first layer's input format.
   */
  inputShape: number[];
  layers: Layer[];
  provenance: Provenance;
}

