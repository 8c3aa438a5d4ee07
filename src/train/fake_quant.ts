/**
 * PyTorch's affine fake quantizers, bit for bit in float32 (docs/train.md "Fake quantization: PyTorch's
 * rules"; checked against values made by torch in test/unit/fixtures/torch/).
 *
 * Forward, `torch.fake_quantize_per_tensor_affine` / `_per_channel_affine` (ATen's CPU kernel):
 *   inv = f32(1 / s);  q = f32(zp + nearbyint(f32(x * inv)))     (nearbyint: ties to even)
 *   y = f32((clamp(q, qmin, qmax) - zp) * s);   dL/dx = dL/dy * [qmin <= q <= qmax]
 * Learnable (`torch._fake_quantize_learnable_per_tensor_affine` / `_per_channel_affine`, LSQ-style): the
 * zero point is a float made an integer zp (`learnableZeroPoint`), and per element of the backward
 *   q = nearbyint(f32(zp + x * inv))  (fused: x * inv is not rounded);  dL/dx = dL/dy * [qmin <= q <= qmax]
 *   inside:  dL/ds = f32(f32(f32(dy * f32((q - zp) * s - x)) * inv) * g)  (fused),  dL/dzp = 0
 *   outside: dL/ds = f32(f32(dy * f32(qmin - zp or qmax - zp)) * g),  dL/dzp = f32(f32(-dy * s) * g)
 * with g the grad factor (LSQ: 1 / sqrt(numel * qmax)); torch returns the sums of these over the tensor
 * (per channel: over each channel), which lowbit adds in float64 and rounds once (torch's float32
 * reduction order depends on the CPU's vector width, so sums may differ from torch's in the last bits).
 */
import { roundHalfEven } from '../arith/index.js';

const f = Math.fround;

/** The integer q of one element (before clamping), torch's forward order: zp + nearbyint(x * inv). */
function qForward(x: number, inv: number, zp: number): number {
  return f(zp + roundHalfEven(f(x * inv)));
}

/**
 * torch.fake_quantize_per_channel_affine over `x` laid out [channels][inner] (axis 0 outermost after any
 * leading dims folded into `x.length / (channels * inner)` repeats); per tensor is channels = 1.
 * Writes y and the gradient mask (1 inside the range, 0 outside) when `mask` is given.
 */
export function fakeQuantAffine(
  x: Float32Array, scale: ArrayLike<number>, zeroPoint: ArrayLike<number>, qmin: number, qmax: number, inner: number,
  y: Float32Array, mask?: Float32Array,
): Float32Array {
  const C = scale.length;
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % C;
    const s = f(scale[c]!);
    const zp = zeroPoint[c]!;
    const q = qForward(x[i]!, f(1 / s), zp);
    y[i] = f((Math.min(Math.max(q, qmin), qmax) - zp) * s);
    if (mask) mask[i] = +(q >= qmin && q <= qmax);
  }
  return y;
}

/**
 * The integer zero point of the learnable quantizers. Per tensor (ATen's `_get_zero_point_from_tensor`): the
 * forward uses trunc(clamp(nearbyint(zp))), the backward trunc(clamp(f32(zp + 0.5))). Per channel
 * (`_get_rounded_zero_point`): clamp(nearbyint(zp)) in both directions.
 */
export function learnableZeroPoint(zp: number, qmin: number, qmax: number, perChannel: boolean, forward: boolean): number {
  const v = perChannel || forward ? roundHalfEven(f(zp)) : f(f(zp) + 0.5);
  return Math.trunc(Math.min(Math.max(v, qmin), qmax));
}

function zeroPoints(zeroPoint: ArrayLike<number>, qmin: number, qmax: number, forward: boolean): number[] {
  return Array.from(zeroPoint, (z) => learnableZeroPoint(z, qmin, qmax, zeroPoint.length > 1, forward));
}

/**
 * torch._fake_quantize_learnable_per_{tensor,channel}_affine forward (float zero points; `scale.length` 1 is
 * per tensor). Per channel the kernel rounds the fused sum: q = nearbyint(f32(zp + x * inv)).
 */
export function fakeQuantLearnable(
  x: Float32Array, scale: ArrayLike<number>, zeroPoint: ArrayLike<number>, qmin: number, qmax: number, inner: number, y: Float32Array,
): Float32Array {
  const zps = zeroPoints(zeroPoint, qmin, qmax, true);
  if (scale.length === 1) return fakeQuantAffine(x, scale, zps, qmin, qmax, inner, y);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / inner) % scale.length;
    const s = f(scale[c]!);
    const q = roundHalfEven(f(zps[c]! + x[i]! * f(1 / s)));
    y[i] = f((Math.min(Math.max(q, qmin), qmax) - zps[c]!) * s);
  }
  return y;
}

/** The backward's integer of x: nearbyint(f32(zp + x * inv)), the multiply-add fused (x * inv is exact in float64). */
export function learnableQ(x: number, inv: number, zp: number): number {
  return roundHalfEven(f(zp + x * inv));
}

/**
 * One element's dL/ds of the learnable quantizer, from its upstream gradient d, input x, unclamped integer
 * q (`learnableQ`), float32 scale s and inv = f32(1/s), zero point and grad factor g (see the file header).
 */
export function learnableScaleGrad(d: number, x: number, q: number, s: number, inv: number, zp: number, qmin: number, qmax: number, g: number): number {
  if (q < qmin) return f(f(d * f(qmin - zp)) * g);
  if (q > qmax) return f(f(d * f(qmax - zp)) * g);
  return f(f(f(d * f((q - zp) * s - x)) * inv) * g);
}

/** Gradients of the learnable fake quantizer: per element (dx, dscale, dzeroPoint) and the per-channel sums. */
export interface LearnableGrads {
  dx: Float32Array;
  dscaleEach: Float32Array;
  dzeroPointEach: Float32Array;
  dscale: Float32Array;
  dzeroPoint: Float32Array;
}

/**
 * torch._fake_quantize_learnable_per_{tensor,channel}_affine backward (see the file header). ATen's CPU
 * build contracts `zp + x * inv` and `(q - zp) * s - x` into fused multiply-adds (one rounding each); both
 * are computed here exactly in float64 (a product of two float32 values and a small integer or a nearby
 * float32 is exact in float64) and rounded once to float32.
 */
export function fakeQuantLearnableBackward(
  dy: Float32Array, x: Float32Array, scale: ArrayLike<number>, zeroPoint: ArrayLike<number>, qmin: number, qmax: number,
  inner: number, gradFactor: number,
): LearnableGrads {
  const C = scale.length;
  const n = x.length;
  const g = f(gradFactor);
  const zps = zeroPoints(zeroPoint, qmin, qmax, false);
  const out: LearnableGrads = {
    dx: new Float32Array(n), dscaleEach: new Float32Array(n), dzeroPointEach: new Float32Array(n),
    dscale: new Float32Array(C), dzeroPoint: new Float32Array(C),
  };
  const sumS = new Float64Array(C);
  const sumZ = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % C;
    const s = f(scale[c]!);
    const inv = f(1 / s);
    const zp = zps[c]!;
    const xi = x[i]!;
    const d = dy[i]!;
    const q = learnableQ(xi, inv, zp);
    const inside = q >= qmin && q <= qmax;
    out.dx[i] = d * +inside; // dy * 0 keeps the sign of dy (-0), as torch does
    out.dscaleEach[i] = learnableScaleGrad(d, xi, q, s, inv, zp, qmin, qmax, g);
    out.dzeroPointEach[i] = inside ? 0 : f(f(f(-d) * s) * g);
    sumS[c] += out.dscaleEach[i]!;
    sumZ[c] += out.dzeroPointEach[i]!;
  }
  for (let c = 0; c < C; c++) {
    out.dscale[c] = f(sumS[c]!);
    out.dzeroPoint[c] = f(sumZ[c]!);
  }
  return out;
}
