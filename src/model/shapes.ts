import { InputError } from '../util/errors.js';
import type { Layer, QuantizedModel } from './types.js';

/**
 * Shape propagation through a QuantizedModel (per-sample shapes, no batch dimension).
 * dense: [in] -> [out]; conv2d: [C, H, W] -> [O, H', W'] with H' = floor((H + pt + pb - kh) / sh) + 1;
 * maxpool2d: [C, H, W] -> [C, H', W'] (same formula); flatten: [C, H, W] -> [C*H*W]; quantize, clamp: same.
 */
export function layerOutputShape(layer: Layer, inShape: readonly number[], where: string): number[] {
  const fail = (msg: string): never => {
    throw new InputError(`${where}: ${msg}`);
  };
  switch (layer.kind) {
    case 'quantize':
    case 'clamp':
      return [...inShape];
    case 'flatten':
      return [inShape.reduce((a, b) => a * b, 1)];
    case 'dense': {
      if (inShape.length !== 1) fail(`dense needs a vector input; got shape [${inShape}] (add a flatten layer before it)`);
      if (inShape[0] !== layer.inFeatures) fail(`inFeatures: got ${layer.inFeatures}; the input has ${inShape[0]} features`);
      return [layer.outFeatures];
    }
    case 'conv2d':
    case 'maxpool2d': {
      if (inShape.length !== 3) fail(`${layer.kind} needs a [C, H, W] input; got shape [${inShape}]`);
      const [c, h, w] = inShape as [number, number, number];
      if (layer.kind === 'conv2d' && c !== layer.inChannels) fail(`inChannels: got ${layer.inChannels}; the input has ${c} channels`);
      const [kh, kw] = layer.kernel;
      const [sh, sw] = layer.stride;
      const [pt, pl, pb, pr] = layer.padding;
      const ho = windowOutput(h, pt, pb, kh, sh);
      const wo = windowOutput(w, pl, pr, kw, sw);
      if (ho < 1 || wo < 1) fail(`kernel [${kh}, ${kw}] does not fit the padded input ${h}x${w}`);
      return [layer.kind === 'conv2d' ? layer.outChannels : c, ho, wo];
    }
  }
}

/** Output length of a sliding window (conv, pool) over n positions: floor((n + padLo + padHi - k) / stride) + 1. */
export function windowOutput(n: number, padLo: number, padHi: number, k: number, stride: number): number {
  return Math.floor((n + padLo + padHi - k) / stride) + 1;
}

/** Input shape of every layer and the model output shape: `shapes[i]` is the input of layer i, `shapes[n]` the output. */
export function modelShapes(model: QuantizedModel, source = 'model'): number[][] {
  const shapes: number[][] = [[...model.inputShape]];
  model.layers.forEach((l, i) => {
    shapes.push(layerOutputShape(l, shapes[i]!, `${source}: layers[${i}] (${l.name})`));
  });
  return shapes;
}

/** Number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
