import { layerOutputShape } from '../shapes.js';
import type { ActQuant, Layer } from '../types.js';
import type { Layout } from './import_layout.js';

/**
 * The layers an importer builds, in order, with unique names and the running per-sample shape; and the
 * input handling shared by the ONNX and QONNX importers: the first quantizer of the float input after its
 * layout ops (a reshape becomes the model's input shape, or a flatten after the `quantize` layer; a Transpose
 * is kept in `inputSrc` to be folded into the first dense layer's weight columns).
 */
export class LayerChain {
  readonly layers: Layer[] = [];
  shape: number[];
  inputSrc: Int32Array | null = null;
  private readonly names = new Set<string>();

  constructor(readonly file: string, readonly inputShape: number[]) {
    this.shape = [...inputShape];
  }

  push(l: Layer): void {
    let n = l.name || l.kind;
    for (let k = 2; this.names.has(n); k++) n = `${l.name}_${k}`;
    l.name = n;
    this.names.add(n);
    this.shape = layerOutputShape(l, this.shape, `${this.file}: ${l.name}`);
    this.layers.push(l);
  }

  /** The `quantize` layer of the float input whose layout ops so far are `lay`. */
  startInput(lay: Layout, name: string, q: ActQuant): void {
    if (lay.src || (lay.shape.length === 1 && this.inputShape.length > 1)) {
      this.push({ kind: 'quantize', name, output: q });
      if (this.inputShape.length > 1) this.push({ kind: 'flatten', name: `${name}_flatten` });
      this.inputSrc = lay.src;
    } else {
      this.inputShape.splice(0, this.inputShape.length, ...lay.shape);
      this.shape = [...lay.shape];
      this.push({ kind: 'quantize', name, output: q });
    }
  }
}
