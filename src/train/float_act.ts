/**
 * Float activations of weight-only QAT (`lowbit train --scheme w4afp16`): the layer rounds every value to
 * the activation format of the weight-only model (`roundAct`, model/weight_only.ts: FP16 / BF16 round to
 * nearest even with subnormals and overflow to inf; FP32 keeps the float32 value), in training and
 * evaluation alike, and passes the gradient through unchanged (straight-through: d round(y) / dy := 1).
 * buildNetwork puts one on the input and after every dense/conv output (after its batch-norm, before the
 * ReLU, which commutes with the rounding): where the weight-only reference applies `act`.
 */
import { roundAct, type FloatAct } from '../model/weight_only.js';
import { grow, type Layer } from './layer.js';
import { Elementwise } from './activations.js';

export class FloatRound extends Elementwise implements Layer {
  readonly kind = 'float-round';
  private y: Float32Array = new Float32Array(0);

  constructor(readonly format: FloatAct) {
    super();
  }

  forward(x: Float32Array, n: number): Float32Array {
    const len = n * this.size;
    this.y = grow(this.y, len);
    const y = this.y.subarray(0, len);
    y.set(x.subarray(0, len));
    roundAct(y, this.format);
    return this.y;
  }

  backward(dy: Float32Array): Float32Array {
    return dy;
  }
}
