/**
 * Activation layers, quantized or not (see quantizers.ts for the maths of each method):
 *   relu, hardtanh (clamp to [-1, 1]), sign (binary, STE = hardtanh gradient), dorefa / pact / lsq
 *   (b-bit unsigned, output q * scale with q = actQuantInt(y)), and dropout (inverted, seeded).
 * Every quantized activation exposes `outScale()` (the real value of one integer step) so the next layer
 * can recover the integers in exact mode.
 */
import { SCALE_CLIP, grow, param, type Layer, type Param } from './layer.js';
import { actLevels, actQuantInt, lsqActInt, quantizeGradDoReFa, type ActQuantMethod } from './quantizers.js';
import type { Rng } from '../util/rng.js';
import { learnableQ, learnableScaleGrad } from './fake_quant.js';

export class Activation implements Layer {
  readonly kind = 'activation';
  /** PACT clip a or LSQ step s (one per tensor) */
  readonly alpha: Param | null;
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  readonly n: number;
  /** LSQ: the step was initialized from the first training batch (kept in a resumable training state) */
  lsqInit = false;
  private size = 0;

  constructor(readonly method: ActQuantMethod, readonly bits: number) {
    this.n = method === 'sign' ? 1 : actLevels(bits);
    if (method === 'pact') {
      this.alpha = param('alpha', 1, false, { clip: SCALE_CLIP });
      this.alpha.value[0] = 3; // Choi et al. start a at a few units after batch-norm
    } else if (method === 'lsq') {
      this.alpha = param('step', 1, false, { clip: SCALE_CLIP });
      this.alpha.value[0] = 1 / this.n;
    } else this.alpha = null;
  }

  get quantized(): boolean {
    return this.method === 'sign' || this.method === 'dorefa' || this.method === 'pact' || this.method === 'lsq';
  }

  get binary(): boolean {
    return this.method === 'sign';
  }

  /** The real value of one output step: 1 (binary), 1/n (dorefa), a/n (pact), s (lsq). */
  outScale(): number {
    if (this.method === 'sign') return 1;
    if (this.method === 'dorefa') return Math.fround(1 / this.n);
    if (this.method === 'pact') return Math.fround(this.alpha!.value[0]! / this.n);
    if (this.method === 'lsq') return this.alpha!.value[0]!;
    return 1;
  }

  /** 1/scale used inside the quantizer (float64). */
  invStep(): number {
    if (this.method === 'dorefa') return this.n;
    if (this.method === 'pact') return this.n / this.alpha!.value[0]!;
    if (this.method === 'lsq') return Math.fround(1 / this.alpha!.value[0]!);
    return 1;
  }

  /** The integer this activation outputs for input y (quantized methods only). */
  quantInt(y: number): number {
    if (this.method === 'lsq') return lsqActInt(y, this.invStep(), this.n);
    return actQuantInt(y, this.binary, this.invStep(), this.n);
  }

  outShape(s: number[]): number[] {
    return s;
  }

  params(): Param[] {
    return this.alpha ? [this.alpha] : [];
  }

  forward(x: Float32Array, n: number, train: boolean): Float32Array {
    const size = this.size * n;
    this.x = x;
    this.y = grow(this.y, size);
    const y = this.y;
    const m = this.method;
    if (m === 'lsq' && train && !this.lsqInit) {
      // LSQ init: s = 2 mean|y| / sqrt(n)
      let s = 0;
      for (let i = 0; i < size; i++) s += Math.abs(x[i]!);
      this.alpha!.value[0] = Math.max(1e-4, (2 * s) / size / Math.sqrt(this.n));
      this.lsqInit = true;
    }
    if (m === 'relu') for (let i = 0; i < size; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
    else if (m === 'hardtanh') for (let i = 0; i < size; i++) y[i] = x[i]! > 1 ? 1 : x[i]! < -1 ? -1 : x[i]!;
    else if (m === 'none') y.set(x.subarray(0, size));
    else {
      const sc = this.outScale();
      const inv = this.invStep();
      if (m === 'lsq') for (let i = 0; i < size; i++) y[i] = lsqActInt(x[i]!, inv, this.n) * sc;
      else for (let i = 0; i < size; i++) y[i] = actQuantInt(x[i]!, this.binary, inv, this.n) * sc;
    }
    return y;
  }

  /** per-sample size, set by the network builder so buffers larger than the batch are handled */
  setSampleSize(s: number): void {
    this.size = s;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const size = this.size * n;
    this.dx = grow(this.dx, size);
    const x = this.x;
    const dx = this.dx;
    const m = this.method;
    if (m === 'relu') for (let i = 0; i < size; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
    else if (m === 'hardtanh' || m === 'sign') for (let i = 0; i < size; i++) dx[i] = x[i]! >= -1 && x[i]! <= 1 ? dy[i]! : 0;
    else if (m === 'none') dx.set(dy.subarray(0, size));
    else if (m === 'dorefa') for (let i = 0; i < size; i++) dx[i] = x[i]! >= 0 && x[i]! <= 1 ? dy[i]! : 0;
    else if (m === 'pact') {
      const a = this.alpha!.value[0]!;
      let ga = 0;
      for (let i = 0; i < size; i++) {
        const v = x[i]!;
        if (v >= a) {
          ga += dy[i]!;
          dx[i] = 0;
        } else dx[i] = v >= 0 ? dy[i]! : 0;
      }
      this.alpha!.grad[0] += ga;
    } else {
      // lsq: PyTorch's learnable per-tensor fake quantizer, zero point 0, range [0, n] (fake_quant.ts)
      const s = Math.fround(this.alpha!.value[0]!);
      const inv = Math.fround(1 / s);
      const g = Math.fround(1 / Math.sqrt(size * this.n));
      let gs = 0;
      for (let i = 0; i < size; i++) {
        const r = learnableQ(x[i]!, inv, 0);
        dx[i] = dy[i]! * +(r >= 0 && r <= this.n);
        gs += learnableScaleGrad(dy[i]!, x[i]!, r, s, inv, 0, 0, this.n, g);
      }
      this.alpha!.grad[0] += gs;
    }
    return dx;
  }
}

/** A parameter-free, shape-preserving layer (dropout, gradient noise, float rounding). */
export abstract class Elementwise {
  protected size = 0;

  /** per-sample size, set by the network builder */
  setSampleSize(s: number): void {
    this.size = s;
  }

  outShape(s: number[]): number[] {
    return s;
  }

  params(): Param[] {
    return [];
  }
}

/** An elementwise layer that draws from a seeded generator (dropout, gradient noise). */
abstract class SeededElementwise extends Elementwise {
  protected dx: Float32Array = new Float32Array(0);

  constructor(protected readonly rng: Rng) {
    super();
  }
}

/** Inverted dropout: in training y = x * mask / (1 - p) with a seeded Bernoulli mask; identity in eval. */
export class Dropout extends SeededElementwise implements Layer {
  readonly kind = 'dropout';
  private mask: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);

  constructor(readonly p: number, rng: Rng) {
    super(rng);
  }

  forward(x: Float32Array, n: number, train: boolean): Float32Array {
    if (!train || this.p === 0) return x;
    const len = this.size * n;
    this.mask = grow(this.mask, len);
    this.y = grow(this.y, len);
    const keep = 1 / (1 - this.p);
    for (let i = 0; i < len; i++) {
      const m = this.rng.float() >= this.p ? keep : 0;
      this.mask[i] = m;
      this.y[i] = x[i]! * m;
    }
    return this.y;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    if (this.p === 0) return dy;
    const len = this.size * n;
    this.dx = grow(this.dx, len);
    for (let i = 0; i < len; i++) this.dx[i] = dy[i]! * this.mask[i]!;
    return this.dx;
  }
}

/**
 * DoReFa gradient quantization after a weighted layer (tensorpack's `fg`): the identity forward; backward,
 * dL/dy is quantized to `bits` bits with `quantizeGradDoReFa` (noise from the network's seeded generator,
 * which a resumable run saves). Absent from the exported model, like dropout.
 */
export class GradQuant extends SeededElementwise implements Layer {
  readonly kind = 'gradquant';

  constructor(readonly bits: number, rng: Rng) {
    super(rng);
  }

  forward(x: Float32Array): Float32Array {
    return x;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const len = this.size * n;
    this.dx = grow(this.dx, len);
    this.dx.set(dy.subarray(0, len));
    quantizeGradDoReFa(this.dx, n, this.size, this.bits, this.rng);
    return this.dx;
  }
}
