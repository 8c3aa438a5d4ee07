/**
 * Magnitude pruning with retraining (Han, Pool, Tran & Dally 2015; the first stage of Deep Compression):
 * in each dense/conv layer the round(f N) weights of smallest |w| are removed (kernels/prune.ts) and stay
 * removed while the rest retrain:  w_hat_i = m_i w_hat_i,  dL/dw_i = m_i ste_i dL/dw_hat_i,  m_i in {0, 1}.
 */
import { prunedIndices } from '../kernels/prune.js';
import type { Param, WeightTransform } from './layer.js';

export class PruneMaskTransform implements WeightTransform {
  readonly name = 'prune-weights';
  /** 1 for a kept weight, 0 for a pruned one */
  readonly mask: Uint8Array;

  constructor(w: Float32Array, fraction: number) {
    this.mask = new Uint8Array(w.length).fill(1);
    for (const i of prunedIndices(w, fraction)) this.mask[i] = 0;
  }

  params(): Param[] {
    return [];
  }

  apply(_w: Float32Array, what: Float32Array, ste: Float32Array): void {
    for (let i = 0; i < what.length; i++) {
      if (!this.mask[i]) {
        what[i] = 0;
        ste[i] = 0;
      }
    }
  }

  backward(): void {}
}
