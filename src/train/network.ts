/**
 * A sequential network of training layers: forward through all, backward in reverse, and the wiring
 * exact mode needs (each dense/conv layer learns the scale of the integers feeding it: the input scale
 * for the first, the previous quantized activation's step otherwise).
 */
import { grow, param, prod, type Layer, type Param } from './layer.js';
import { Activation, Dropout } from './activations.js';
import { Dense } from './dense.js';
import type { Rng } from '../util/rng.js';
import { InputError } from '../util/errors.js';
import type { FloatAct } from '../model/weight_only.js';

/** What a network holds besides its parameters and batch-norm statistics that training changes: the
 * dropout generator's state and each LSQ activation's "step initialized" flag. */
export interface NetRunState {
  dropoutRng: number[] | null;
  lsqInit: boolean[];
}

/** Multiplies all values by one learned positive scalar t (softmax temperature of integer logits; it
 * preserves the argmax, so integer logits classify exactly like the trained network). dt = sum dy * x. */
export class Scale implements Layer {
  readonly kind = 'scale';
  readonly t: Param;
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  private size = 0;

  constructor(init: number) {
    this.t = param('t', 1, false, { clip: [1e-4, 1e4] });
    this.t.value[0] = init;
  }

  setSampleSize(s: number): void {
    this.size = s;
  }

  outShape(s: number[]): number[] {
    return s;
  }

  params(): Param[] {
    return [this.t];
  }

  forward(x: Float32Array, n: number): Float32Array {
    const len = n * this.size;
    this.x = x;
    this.y = grow(this.y, len);
    const t = this.t.value[0]!;
    for (let i = 0; i < len; i++) this.y[i] = x[i]! * t;
    return this.y;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const len = n * this.size;
    this.dx = grow(this.dx, len);
    const t = this.t.value[0]!;
    let g = 0;
    for (let i = 0; i < len; i++) {
      g += dy[i]! * this.x[i]!;
      this.dx[i] = dy[i]! * t;
    }
    this.t.grad[0] += g;
    return this.dx;
  }
}

interface Sized {
  setSampleSize(s: number): void;
}

export class Network {
  readonly shapes: number[][];

  constructor(readonly inputShape: number[], readonly layers: Layer[], readonly inputScale = 1 / 255) {
    this.shapes = [inputShape];
    let s = inputShape;
    let scale: () => number = () => inputScale;
    for (const l of layers) {
      if ('setSampleSize' in l) (l as unknown as Sized).setSampleSize(prod(s));
      if (l instanceof Dense || ('inScale' in l && 'exact' in l)) (l as Dense).inScale = scale;
      if (l instanceof Activation && l.quantized) {
        const a = l;
        scale = () => a.outScale();
      }
      s = l.outShape(s);
      this.shapes.push(s);
    }
  }

  get outSize(): number {
    return prod(this.shapes[this.shapes.length - 1]!);
  }

  params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }

  /** Weight-only QAT (float activations in this format, train/float_act.ts); null: integer or FP32 activations. */
  floatAct: FloatAct | null = null;

  /** Turns on the exact integer-equivalent evaluation of quantized dense/conv layers (not of a weight-only
   * network: its activations are floats, its float forward is what the exported model computes). */
  setExact(on: boolean): void {
    for (const l of this.layers) if ('exact' in l) (l as Dense).exact = on && this.floatAct === null;
  }

  /** Optional rounding of every layer output (forward) and input gradient (backward), in place, over
   * the first `len` values: simulated low-precision activations and gradients (src/train/mixed.ts). */
  actHook: ((h: Float32Array, len: number) => void) | null = null;
  gradHook: ((g: Float32Array, len: number) => void) | null = null;

  forward(x: Float32Array, n: number, train: boolean): Float32Array {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      h = this.layers[i]!.forward(h, n, train);
      if (this.actHook && train) this.actHook(h, n * prod(this.shapes[i + 1]!));
    }
    return h;
  }

  backward(dy: Float32Array, n: number): void {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      g = this.layers[i]!.backward(g, n);
      if (this.gradHook && i > 0) this.gradHook(g, n * prod(this.shapes[i]!));
    }
  }

  /** The generator the dropout layers and DoReFa gradient quantizers draw from (buildNetwork sets it: the one that drew the initial weights). */
  rng: Rng | null = null;

  private activations(): Activation[] {
    return this.layers.filter((l): l is Activation => l instanceof Activation);
  }

  runState(): NetRunState {
    return { dropoutRng: this.rng ? this.rng.state() : null, lsqInit: this.activations().map((a) => a.lsqInit) };
  }

  setRunState(s: NetRunState): void {
    const acts = this.activations();
    if (s.lsqInit.length !== acts.length || (s.dropoutRng === null) !== (this.rng === null)) {
      throw new InputError(`run state of ${s.lsqInit.length} activations${s.dropoutRng ? ' with a dropout generator' : ''} does not fit this network`);
    }
    acts.forEach((a, i) => (a.lsqInit = s.lsqInit[i]!));
    if (s.dropoutRng) this.rng!.setState(s.dropoutRng);
  }

  /** True when dropout is present (training differs from eval beyond batch-norm). */
  hasDropout(): boolean {
    return this.layers.some((l) => l instanceof Dropout);
  }
}
