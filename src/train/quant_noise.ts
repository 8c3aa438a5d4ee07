/**
 * Quant-Noise (Fan, Stock, Graham, Grave, Gribonval, Jegou & Joulin, "Training with Quantization Noise for
 * Extreme Model Compression", 2020), for the layer's scalar quantizer: each training step, every block of
 * `block` consecutive weights of a row (along the input dimension K; the last block of a row may be
 * shorter) is quantized with probability `rate`, independently, and keeps its full-precision latent
 * weights otherwise:
 *   w_hat[i] = q[i] * scale[o]  (block chosen, STE factor of the quantizer)  or  w[i]  (STE factor 1).
 * Evaluation and export (train = false) quantize every block, as the integer model does. The draws come
 * from the network's seeded generator (saved with a run's state like the dropout masks).
 */
import type { Param, WeightTransform } from './layer.js';
import type { Rng } from '../util/rng.js';

export class QuantNoiseTransform implements WeightTransform {
  readonly name = 'quant-noise';
  /** blocks quantized in the last training step, and blocks in all (statistics for tests and logs) */
  lastQuantized = 0;
  lastBlocks = 0;

  constructor(readonly rate: number, readonly block: number, private readonly rng: Rng) {}

  params(): Param[] {
    return [];
  }

  apply(w: Float32Array, what: Float32Array, ste: Float32Array, rows: number, cols: number, train: boolean): void {
    if (!train) return;
    let quantized = 0;
    let blocks = 0;
    for (let o = 0; o < rows; o++) {
      for (let b = 0; b < cols; b += this.block) {
        blocks++;
        if (this.rng.float() < this.rate) {
          quantized++;
          continue;
        }
        const end = o * cols + Math.min(b + this.block, cols);
        for (let i = o * cols + b; i < end; i++) {
          what[i] = w[i]!;
          ste[i] = 1;
        }
      }
    }
    this.lastQuantized = quantized;
    this.lastBlocks = blocks;
  }

  backward(): void {}
}
