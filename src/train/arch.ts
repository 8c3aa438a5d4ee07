/**
 * Architectures by name. MLPs (FINN/Brevitas): `tfc` 3x64, `sfc` 3x256, `lfc` 3x1024, 784 inputs, 10
 * outputs; `cnn`: a small LeNet-style CNN (conv 5x5 same -> BN -> act -> maxpool 2, twice, then dense 10);
 * `cnv`: FINN's CNV shape scaled to MNIST: conv 3x3 valid (no padding, so +-1 activations never meet a
 * padded value) -> BN -> act, in pairs, maxpool 2 after each pair, then [dense -> BN -> act] x F -> dense 10.
 * Default channels 16,16 | 32,32 (28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4: 32*4*4 = 512 features), one
 * hidden dense 256 (FINN's CNV has 64,64 | 128,128 | 256,256 and 512, 512 on 32x32 CIFAR-10; this is sized
 * for the shared 2-core training machine). As in FINN's CNV-W1A1 the first layer takes the 8-bit pixels with the same weights as
 * every other layer (+-1 for W1A1), so only its input is 8-bit. Widths and depth are configurable
 * (`hidden`: conv channels; `fcHidden`: the cnv's hidden dense widths).
 *
 * FP32 (`weights.method = 'none'`): [dense -> BN -> ReLU -> dropout] x L -> dense (+bias).
 * QAT: [dense(Wq) -> BN -> act(Aq) -> dropout] x L -> dense(Wq last, per-tensor scale) -> scale (a learned
 * positive temperature). `inputDropout` adds dropout on the pixels before the first layer (the FINN/Brevitas
 * recipe). Dropout (inverted, `dropout` = drop probability, 0 = none) is the identity at
 * inference, so it is absent from the exported model. The first layer reads 8-bit pixels (integers 0..255,
 * scale 1/255), the FINN choice that keeps the input information (documented in docs/train.md); the last
 * layer outputs raw integer logits.
 */
import { Activation, Dropout, GradQuant } from './activations.js';
import { BatchNorm } from './norm.js';
import { Dense } from './dense.js';
import { Conv2d, MaxPool2d, Flatten } from './conv.js';
import { Network, Scale } from './network.js';
import type { Layer } from './layer.js';
import type { ActQuantMethod, WeightQuantSpec } from './quantizers.js';
import { Rng } from '../util/rng.js';
import { badValue, checkEnum, checkInt } from '../util/errors.js';
import { FloatRound } from './float_act.js';
import type { FloatAct } from '../model/weight_only.js';

import { ARCHS, type ArchName } from './names.js';
export { ARCHS, type ArchName };

export const ARCH_HIDDEN: Record<Exclude<ArchName, 'cnn' | 'cnv'>, number[]> = {
  tfc: [64, 64, 64],
  sfc: [256, 256, 256],
  lfc: [1024, 1024, 1024],
};

export interface NetSpec {
  arch: ArchName;
  /** hidden widths (MLP) or conv channels (CNN); default by arch */
  hidden?: number[];
  /** `cnv` only: hidden dense widths after the conv stack (default [256]; [] = straight to the 10 logits) */
  fcHidden?: number[];
  weights: WeightQuantSpec;
  act: { method: ActQuantMethod; bits: number };
  /** weight bits of the first / last layer (per-layer bit-widths; default: same as `weights`) */
  firstBits?: number;
  /**
   * MLPs only: every weighted layer's own bits (mixed precision, `lowbit autoquant`): `w` its weight bits,
   * `a` the bits of the activation after it (absent for the last layer, whose outputs are raw logits);
   * 1-bit weights are binary, 1-bit activations sign (+-1), others as `weights` / `act` (or int / pact
   * where those are binary). Overrides firstBits/lastBits.
   */
  layerBits?: { w: number; a?: number }[];
  lastBits?: number;
  /** drop probability after every hidden activation (and before the CNN's dense layer); 0 or absent: none */
  dropout?: number;
  /** drop probability on the input pixels (before the first layer); 0 or absent: none */
  inputDropout?: number;
  /** DoReFa gradient bits: dL/dy of every weighted layer but the first and last quantized (absent: FP32) */
  gradBits?: number;
  inputShape?: [number, number, number];
  /**
   * Weight-only QAT: float activations rounded to this format (FloatRound on the input and after every
   * dense/conv output stage), ReLU, `int` weights of 2..8 bits per output channel (the last layer too, with
   * a float bias and no logit scale); exported with the weight-only PTQ rule (docs/train.md).
   */
  floatAct?: FloatAct;
}

/** `layerBits` checked against a QAT MLP of `count` weighted layers (bits 1..16; an `a` on all but the last). */
function checkLayerBits(spec: NetSpec, count: number): { w: number; a?: number }[] {
  const lb = spec.layerBits!;
  if (spec.weights.method === 'none') throw badValue('layerBits', 'with FP32 weights', 'quantized weights (per-layer bits are a QAT setting)');
  if (lb.length !== count) throw badValue('layerBits', `${lb.length} layers`, `${count} (one per weighted layer of ${spec.arch})`);
  lb.forEach((b, i) => {
    checkInt(`layerBits[${i}].w`, b.w, 1, 16);
    if (i < count - 1) checkInt(`layerBits[${i}].a`, b.a, 1, 16);
    else if (b.a !== undefined) throw badValue(`layerBits[${i}].a`, b.a, 'absent: the last layer outputs raw logits');
  });
  return lb;
}

/** The activation of `bits` bits: sign for 1, else `method` (pact where `method` is sign). */
function actWithBits(method: ActQuantMethod, bits: number): Activation {
  if (bits === 1) return new Activation('sign', 1);
  return new Activation(method === 'sign' || method === 'relu' || method === 'none' ? 'pact' : method, bits);
}

/** Weight spec of the first/last layer with `bits` overriding (binary/ternary become int at >2 bits). */
function withBits(w: WeightQuantSpec, bits: number | undefined): WeightQuantSpec {
  if (bits === undefined || bits === w.bits) return w;
  if (w.method === 'none') return w;
  if (bits === 1) return { method: 'binary', bits: 1 };
  return { method: w.method === 'binary' || w.method === 'ternary' ? 'int' : w.method, bits, ...(w.group ? { group: w.group } : {}) };
}

/** Integer activations (below 32 bits, not weight-only): the network exports as a QuantizedModel. With FP32
 * (`none`) weights that needs a training method giving integer codes (TTQ, INQ: methods.ts). */
export function quantizedActivations(spec: NetSpec): boolean {
  return spec.act.bits < 32 && spec.floatAct === undefined;
}

export function buildNetwork(spec: NetSpec, seed: number): Network {
  checkEnum('arch', spec.arch, ARCHS);
  const rng = new Rng(seed);
  // FP32 network: FP32 weights and activations, biases; FP32 (latent) weights with quantized activations
  // are a TTQ/INQ network, bias-free like QAT
  const fp = spec.weights.method === 'none' && !quantizedActivations(spec);
  const wo = spec.floatAct !== undefined;
  if (wo) checkWeightOnlySpec(spec);
  // the last layer has a bias in FP32 and weight-only networks; integer-activation QAT scales its logits
  const lastBias = fp || wo;
  const [C, H, W] = spec.inputShape ?? [1, 28, 28];
  const act = (): Layer => (fp || wo ? new Activation(spec.act.method === 'none' ? 'relu' : spec.act.method, 32) : new Activation(spec.act.method, spec.act.bits));
  const layers: Layer[] = [];
  if (spec.layerBits && (spec.arch === 'cnn' || spec.arch === 'cnv')) throw badValue('layerBits', spec.arch, 'an MLP (tfc, sfc, lfc); per-layer bits of CNNs are not built');
  if (spec.inputDropout) layers.push(new Dropout(spec.inputDropout, rng));
  if (spec.arch === 'cnv') {
    const ch = spec.hidden ?? [16, 16, 32, 32];
    if (ch.length < 1 || ch.some((h) => !Number.isInteger(h) || h < 1)) throw badValue('hidden', ch, 'positive integer conv channels');
    let c = C;
    let h = H;
    let w = W;
    ch.forEach((oc, i) => {
      layers.push(new Conv2d(c, oc, 3, 1, 0, h, w, i === 0 ? withBits(spec.weights, spec.firstBits) : spec.weights, fp, rng));
      h -= 2;
      w -= 2;
      layers.push(new BatchNorm(oc, h * w));
      layers.push(act());
      if (i % 2 === 1) {
        layers.push(new MaxPool2d(oc, h, w, 2));
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
      }
      if (h < 1 || w < 1) throw badValue('hidden', ch, `at most as many 3x3 convs as a ${H}x${W} input allows`);
      c = oc;
    });
    layers.push(new Flatten());
    let inF = c * h * w;
    for (const f of spec.fcHidden ?? [256]) {
      if (!Number.isInteger(f) || f < 1) throw badValue('fc-hidden', spec.fcHidden, 'positive integer widths');
      if (spec.dropout) layers.push(new Dropout(spec.dropout, rng));
      layers.push(new Dense(inF, f, spec.weights, fp, rng));
      layers.push(new BatchNorm(f));
      layers.push(act());
      inF = f;
    }
    if (spec.dropout) layers.push(new Dropout(spec.dropout, rng));
    layers.push(new Dense(inF, 10, lastSpec(spec), lastBias, rng));
    if (!lastBias) layers.push(new Scale(logitScaleInit(spec, inF)));
    return withRng(new Network([C, H, W], withGradQuant(withFloatRound(layers, spec), spec, rng)), rng, spec);
  }
  if (spec.arch === 'cnn') {
    const ch = spec.hidden ?? [16, 32];
    let c = C;
    let h = H;
    let w = W;
    ch.forEach((oc, i) => {
      layers.push(new Conv2d(c, oc, 5, 1, 2, h, w, i === 0 ? withBits(spec.weights, spec.firstBits) : spec.weights, fp, rng));
      layers.push(new BatchNorm(oc, h * w));
      layers.push(act());
      layers.push(new MaxPool2d(oc, h, w, 2));
      c = oc;
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    });
    layers.push(new Flatten());
    if (spec.dropout) layers.push(new Dropout(spec.dropout, rng));
    const last = new Dense(c * h * w, 10, lastSpec(spec), lastBias, rng);
    layers.push(last);
    if (!lastBias) layers.push(new Scale(logitScaleInit(spec, c * h * w)));
    return withRng(new Network([C, H, W], withGradQuant(withFloatRound(layers, spec), spec, rng)), rng, spec);
  }
  const hidden = spec.hidden ?? ARCH_HIDDEN[spec.arch];
  if (hidden.length < 1 || hidden.some((h) => !Number.isInteger(h) || h < 1)) throw badValue('hidden', hidden, 'positive integer widths');
  const lb = spec.layerBits ? checkLayerBits(spec, hidden.length + 1) : null;
  let inF = C * H * W;
  hidden.forEach((h, i) => {
    layers.push(new Dense(inF, h, lb ? withBits(spec.weights, lb[i]!.w) : i === 0 ? withBits(spec.weights, spec.firstBits) : spec.weights, false, rng));
    layers.push(new BatchNorm(h));
    layers.push(lb ? actWithBits(spec.act.method, lb[i]!.a!) : act());
    if (spec.dropout) layers.push(new Dropout(spec.dropout, rng));
    inF = h;
  });
  const last = lb ? { ...spec, lastBits: lb[hidden.length]!.w } : spec;
  layers.push(new Dense(inF, 10, lastSpec(last), lastBias, rng));
  if (!lastBias) layers.push(new Scale(logitScaleInit(last, inF)));
  return withRng(new Network([inF === 0 ? 0 : C * H * W], withGradQuant(withFloatRound(layers, spec), spec, rng)), rng, spec);
}

/**
 * DoReFa's gradient quantizer after every weighted layer but the first and the last (where the authors'
 * SVHN/ImageNet code applies `fg`): `spec.gradBits` bits, or the layers unchanged.
 */
function withGradQuant(layers: Layer[], spec: NetSpec, rng: Rng): Layer[] {
  if (spec.gradBits === undefined) return layers;
  if (!Number.isInteger(spec.gradBits) || spec.gradBits < 1 || spec.gradBits > 16) throw badValue('grad-bits', spec.gradBits, 'an integer in 1..16');
  const weighted: Layer[] = layers.filter((l) => l instanceof Dense || l instanceof Conv2d);
  const out: Layer[] = [];
  for (const l of layers) {
    out.push(l);
    if (l !== weighted[0] && l !== weighted[weighted.length - 1] && weighted.includes(l)) out.push(new GradQuant(spec.gradBits, rng));
  }
  return out;
}

function withRng(net: Network, rng: Rng, spec: NetSpec): Network {
  net.rng = rng;
  net.floatAct = spec.floatAct ?? null;
  return net;
}

/** Weight-only QAT trains what the weight-only exporter stores: int weights of 2..8 bits, one scale per
 * output channel, ReLU networks (no per-layer bits). */
function checkWeightOnlySpec(spec: NetSpec): void {
  if (spec.weights.method !== 'int') throw badValue('weights.method', spec.weights.method, 'int with float activations (weight-only QAT)');
  checkInt('wbits', spec.weights.bits, 2, 8);
  for (const [k, v] of [['firstBits', spec.firstBits], ['lastBits', spec.lastBits], ['layerBits', spec.layerBits]] as const) {
    if (v !== undefined) throw badValue(k, v, 'absent: a weight-only model has one weight width');
  }
}

/**
 * Weight-only QAT: a FloatRound on the input and after each dense/conv output stage (after its batch-norm
 * where one follows, else after the layer), where the weight-only reference rounds to its format.
 */
function withFloatRound(layers: Layer[], spec: NetSpec): Layer[] {
  if (spec.floatAct === undefined) return layers;
  const out: Layer[] = [new FloatRound(spec.floatAct)];
  layers.forEach((l, i) => {
    out.push(l);
    const weighted = (x: Layer | undefined): boolean => x instanceof Dense || x instanceof Conv2d;
    if ((l instanceof BatchNorm && weighted(layers[i - 1])) || (weighted(l) && !(layers[i + 1] instanceof BatchNorm))) out.push(new FloatRound(spec.floatAct!));
  });
  return out;
}

/** The last layer uses one per-tensor weight scale so raw integer logits keep the argmax. */
function lastSpec(spec: NetSpec): WeightQuantSpec {
  const w = withBits(spec.weights, spec.lastBits);
  if (spec.floatAct !== undefined) return w; // float logits: per-channel scales, as the exporter stores
  return w.method === 'binary' ? { ...w, xnorScale: false } : { ...w, perTensor: true };
}

/** Binary logits are integers up to +-fanIn: start the temperature at 1/sqrt(fanIn); else at 1. */
function logitScaleInit(spec: NetSpec, fanIn: number): number {
  return lastSpec(spec).method === 'binary' ? 1 / Math.sqrt(fanIn) : 1;
}
