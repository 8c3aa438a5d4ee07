import { codeFormat, formatRange, intFormat, type NumFormat as TensorFormat } from '../../arith/format.js';
import { inputQuant, integerInference } from '../../model/infer.js';
import { modelShapes, shapeSize } from '../../model/shapes.js';
import type { QuantizedModel } from '../../model/types.js';
import { InputError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { lastOperand, type BindModel, type ModelRun, type Txn } from './models.js';

/**
 * `"model": "accelerator"`: a whole network at an accelerator's host interface. The golden model is
 * lowbit's integer reference inference of the QuantizedModel (`--model`; src/model/infer.ts, the definition
 * the TS accelerator model and lowbit's own RTL reproduce bit for bit). The network's parameters reach the
 * RTL through the binding's `load` stream (src/rtl/bind/param_image.ts) before the first image.
 *
 * Operands. `x`: one image's input integers (the model's input format, CHW order for a CNN), `lanes(x)`
 * per beat, so an image is B = ceil(inputs / lanes(x)) beats, lanes past its end 0; `last` (optional) is 1
 * on its last beat. `y`: its output integers (int32 logits of an accumulator stage, else the last stage's
 * format), `lanes(y)` per beat, ceil(outputs / lanes(y)) beats, lanes past the end not compared; `y_last`
 * (optional) 1 on the last beat. Binary (±1) values travel as 1-bit lanes, 1 = +1.
 * Input transaction = one beat; image i is input transactions [i*B, i*B + B - 1].
 */
export interface AcceleratorModel extends BindModel {
  qm: QuantizedModel;
  inputs: number;
  outputs: number;
  /** the cycles of a one-multiply-per-cycle engine for one image: the sum of the layers' products */
  macs: number;
}

/** The format of the network's output integers. */
function outputFormat(qm: QuantizedModel): TensorFormat {
  for (let i = qm.layers.length - 1; i >= 0; i--) {
    const l = qm.layers[i];
    if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
    return l.output.kind === 'accumulator' ? { type: 'int', bits: 32, signed: true } : l.output.output.format;
  }
  throw new InputError(`model ${qm.name} has no dense or conv2d layer; an accelerator binding needs one`);
}

const toLane = (f: TensorFormat, v: number): bigint => BigInt(f.type === 'binary' ? (v > 0 ? 1 : 0) : v);
const fromLane = (f: TensorFormat, v: bigint): number => (f.type === 'binary' ? (v === 1n ? 1 : -1) : Number(v));

export function acceleratorModel(qm: QuantizedModel): AcceleratorModel {
  const q = inputQuant(qm);
  if (q === null) throw new InputError(`model ${qm.name}: its input is not quantized; an accelerator binding drives integers`);
  const inFmt = q.format;
  const outFmt = outputFormat(qm);
  const shapes = modelShapes(qm);
  const inputs = shapeSize(qm.inputShape);
  const outputs = shapeSize(shapes[shapes.length - 1]);
  let macs = 0;
  qm.layers.forEach((l, i) => {
    if (l.kind === 'dense') macs += l.inFeatures * l.outFeatures;
    if (l.kind === 'conv2d') macs += shapeSize(shapes[i + 1]) * l.inChannels * l.kernel[0] * l.kernel[1];
  });
  const beatsOf = (n: number, lanes: number): number => Math.ceil(n / lanes);
  return {
    name: 'accelerator',
    qm,
    inputs,
    outputs,
    macs,
    operands: [
      { name: 'x', dir: 'in', optional: false, format: () => codeFormat(inFmt), lanes: 'any', describe: `input integers of model ${qm.name}` },
      { ...lastOperand, describe: '1 on the last beat of an image' },
      { name: 'y', dir: 'out', optional: false, format: () => codeFormat(outFmt), lanes: 'any', describe: `output integers of model ${qm.name}` },
      { name: 'y_last', dir: 'out', optional: true, format: () => intFormat(1, false), lanes: { fixed: 1 }, describe: '1 on the last beat of an image\'s outputs' },
    ],
    stimulus(_d, lanes, bound, seed, images) {
      // seeded images, uniform over the input format; the first two at its minimum and maximum
      const rng = new Rng(seed);
      const r = formatRange(inFmt);
      const out: Txn[] = [];
      for (let i = 0; i < images; i++) {
        const img = Array.from({ length: inputs }, () => (i === 0 ? r.min : i === 1 ? r.max : inFmt.type === 'binary' ? (rng.u32() & 1 ? 1 : -1) : rng.int(r.min, r.max)));
        const B = beatsOf(inputs, lanes.x);
        for (let b = 0; b < B; b++) {
          const t: Txn = { x: Array.from({ length: lanes.x }, (_, k) => (b * lanes.x + k < inputs ? toLane(inFmt, img[b * lanes.x + k]) : 0n)) };
          if (bound.has('last')) t.last = [b === B - 1 ? 1n : 0n];
          out.push(t);
        }
      }
      return out;
    },
    run(_d, txns, bound, lanes) {
      const B = beatsOf(inputs, lanes.x);
      if (txns.length % B !== 0) throw new InputError(`accelerator: ${txns.length} input beats are not whole images of ${B} beats (${inputs} inputs, ${lanes.x} per beat)`);
      const images = txns.length / B;
      const x = new Int32Array(images * inputs);
      txns.forEach((t, k) => {
        const at = Math.floor(k / B) * inputs + (k % B) * lanes.x;
        for (let j = 0; j < lanes.x && (k % B) * lanes.x + j < inputs; j++) x[at + j] = fromLane(inFmt, t.x[j]);
      });
      const y = images > 0 ? integerInference(qm, x).output : new Int32Array(0);
      const res: ModelRun = { outputs: [], from: [], to: [] };
      const BY = beatsOf(outputs, lanes.y);
      for (let i = 0; i < images; i++) {
        for (let b = 0; b < BY; b++) {
          // only the lanes inside the output vector: the rest of the last beat is not compared
          const n = Math.min(lanes.y, outputs - b * lanes.y);
          const t: Txn = { y: Array.from({ length: n }, (_, j) => toLane(outFmt, y[i * outputs + b * lanes.y + j])) };
          if (bound.has('y_last')) t.y_last = [b === BY - 1 ? 1n : 0n];
          res.outputs.push(t);
          res.from.push(i * B);
          res.to.push(i * B + B - 1);
        }
      }
      return res;
    },
  };
}
