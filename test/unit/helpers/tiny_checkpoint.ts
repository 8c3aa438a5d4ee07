/**
 * A 784-16-10 FP32 MLP checkpoint with weights and biases drawn uniformly from [-0.2, 0.2) by `rng`
 * (first layer weights, its bias, then the second layer's weights), for command-line tests.
 */
import type { Checkpoint } from '../../../src/model/checkpoint.js';
import type { Rng } from '../../../src/util/rng.js';

export function tinyMlpCheckpoint(rng: Rng): Checkpoint {
  const w = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * 0.2);
  return {
    format: 'lowbit-fp32', version: 1, arch: 'tiny', inputShape: [784],
    layers: [{ kind: 'dense', in: 784, out: 16, weight: w(784 * 16), bias: w(16) }, { kind: 'relu' }, { kind: 'dense', in: 16, out: 10, weight: w(160), bias: null }],
  };
}
