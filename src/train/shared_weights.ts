/**
 * Fine-tuning of shared weights (Deep Compression, Han, Mao & Dally, ICLR 2016, section 3.1): the nonzero
 * weights of a layer are clustered by 1-D k-means (kernels/kmeans.ts, seeded k-means++) into K centroids
 * C_k; weight i becomes C_{a(i)}; pruned (zero) weights stay zero and belong to no cluster. Retraining
 * updates only the centroids, each by the sum of the gradients of its weights:
 *   w_hat_i = C_{a(i)} (0 where a(i) = -1),   dL/dC_k = sum_{i: a(i) = k} dL/dw_hat_i,   dL/dw_i = 0.
 */
import { kmeans1d } from '../kernels/kmeans.js';
import { param, type Param, type WeightTransform } from './layer.js';

export class SharedWeightsTransform implements WeightTransform {
  readonly name = 'shared-weights';
  readonly centroids: Param;
  /** cluster of each weight, -1 for a zero (pruned) weight */
  readonly assign: Int32Array;

  /** Clusters the nonzero weights of `w` into (at most) k centroids; `seed` seeds k-means++. */
  constructor(w: Float32Array, k: number, seed: number) {
    const nz: number[] = [];
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz.push(i);
    this.assign = new Int32Array(w.length).fill(-1);
    const km = nz.length > 0 ? kmeans1d(nz.map((i) => w[i]!), k, seed) : null;
    this.centroids = param('centroids', km ? km.centroids.length : 0, false);
    if (km) {
      this.centroids.value.set(km.centroids);
      nz.forEach((i, j) => (this.assign[i] = km.assign[j]!));
    }
  }

  params(): Param[] {
    return [this.centroids];
  }

  apply(_w: Float32Array, what: Float32Array, ste: Float32Array): void {
    const c = this.centroids.value;
    for (let i = 0; i < what.length; i++) {
      const a = this.assign[i]!;
      what[i] = a < 0 ? 0 : c[a]!;
      ste[i] = 0;
    }
  }

  backward(_w: Float32Array, dwhat: Float32Array): void {
    const g = this.centroids.grad;
    for (let i = 0; i < dwhat.length; i++) {
      const a = this.assign[i]!;
      if (a >= 0) g[a] += dwhat[i]!;
    }
  }
}
