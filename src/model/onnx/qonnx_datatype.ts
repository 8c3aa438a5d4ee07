import { InputError } from '../../util/errors.js';
import { formatRange, type TensorFormat } from '../types.js';
import { smallestIntFormat } from '../../arith/index.js';
import type { GraphProto, TensorValue } from './proto.js';

/**
 * qonnx / FINN DataType annotations (qonnx `core/datatype.py`): the graph's `quantization_annotation` entry
 * `finn_datatype` of a tensor names the values it holds. The integer ones, as lowbit formats:
 *   BIPOLAR {-1, +1} -> binary;  BINARY {0, 1} -> uint1;  TERNARY {-1, 0, 1} -> int2;
 *   INT<b> -2^(b-1) .. 2^(b-1) - 1 -> int b;  UINT<b> 0 .. 2^b - 1 -> uint b.
 * FLOAT32 / FLOAT16 / FIXED<..> / SCALEDINT<..> / FLOAT<..> are not integer types (null).
 */
export function datatypeFormat(name: string): TensorFormat | null {
  if (name === 'BIPOLAR') return { type: 'binary' };
  if (name === 'BINARY') return { type: 'int', bits: 1, signed: false };
  if (name === 'TERNARY') return { type: 'int', bits: 2, signed: true };
  const m = /^(U?)INT(\d+)$/.exec(name);
  return m ? { type: 'int', bits: Number(m[2]), signed: m[1] === '' } : null;
}

/** tensor name -> its `finn_datatype` annotation. */
export function datatypeAnnotations(g: GraphProto): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of g.quantizationAnnotation ?? []) {
    const dt = (a.quantParameterTensorNames ?? []).find((e) => e.key === 'finn_datatype')?.value;
    if (a.tensorName && dt) out.set(a.tensorName, dt);
  }
  return out;
}

/**
 * The format of integer-valued float weights (FINN folds `Quant` weights into such initializers: FoldQuantWeights):
 * the annotated DataType when it is an integer one, else the smallest int format holding the values. Every value
 * must be a whole number inside the format (at most 16 bits, as for a `Quant` of weights).
 */
export function integerWeightFormat(v: TensorValue, annotation: string | undefined, where: string): TensorFormat {
  const bad = v.values.findIndex((x) => !Number.isInteger(x));
  if (bad >= 0) throw new InputError(`${where}: weights (input 1) must be a Quant / BipolarQuant of a constant or whole numbers (FINN's folded weights); element ${bad} is ${v.values[bad]}`);
  const lo = Math.min(...v.values);
  const hi = Math.max(...v.values);
  const named = annotation === undefined ? null : datatypeFormat(annotation);
  const format = named ?? smallestIntFormat(lo, hi);
  const r = format.type === 'binary' ? { min: -1, max: 1 } : formatRange(format);
  const outside = v.values.findIndex((x) => x < r.min || x > r.max || (format.type === 'binary' && x === 0));
  if (outside >= 0) throw new InputError(`${where}: weight element ${outside} is ${v.values[outside]}, outside its annotated DataType ${annotation}`);
  if (format.type === 'int' && format.bits > 16) throw new InputError(`${where}: integer weights of ${format.bits} bits (${lo}..${hi}); lowbit imports widths up to 16`);
  return format;
}
