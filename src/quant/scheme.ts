/**
 * Quantization schemes: which weight quantizer and how many activation bits each layer gets.
 *
 * Names (`--scheme`):
 * - `wXaY` (X, Y in 1..16): X-bit symmetric narrow-range integer weights (X = 1: binary ±1 with
 *   XNOR-Net scale), Y-bit activations (Y = 1: bipolar ±1). `w8a8`, `w4a4`, `w2a2`, `w1a1` are instances.
 * - `ternary`: TWN ternary weights {-1, 0, +1} * alpha, 8-bit activations.
 * - `pow2`: INQ power-of-two weights (4-bit codes: 0, ±2^k for 4 exponents), 8-bit activations, every scale
 *   a power of two and every requantization a rounding shift (shift-only hardware).
 * Per-layer overrides `SEL=SCHEME` (SEL = `first`, `last` or a compute-layer index 0..n-1), e.g.
 * `first=w8a8`, `last=w8a8`; the override replaces that layer's weight quantizer and output activation
 * bits. The activation bits of a layer are those of its OUTPUT; the network input is quantized to
 * `inputBits` (8) by the `quantize` layer.
 */
import { InputError, badValue, checkInt, didYouMean } from '../util/errors.js';

export type WeightQuant =
  | { kind: 'int'; bits: number }
  | { kind: 'binary' }
  | { kind: 'ternary' }
  | { kind: 'pow2'; bits: number };

export interface LayerScheme {
  weight: WeightQuant;
  /** output activation bits 1..16 (1 = bipolar ±1, or {0,1} after a ReLU) */
  abits: number;
}

export interface Scheme {
  name: string;
  layer: LayerScheme;
  /** power-of-two scales and shift-only requantization */
  shiftOnly: boolean;
  /** per-output-channel weight scales (the logits layer always uses one scale) */
  perChannel: boolean;
  /** bits of the network input (`quantize` layer) */
  inputBits: number;
  /** weights per group along K with per-group scales (0: per channel / per tensor); a layer with K <= group keeps one scale per row */
  group: number;
  /** overrides by compute-layer selector */
  overrides: { sel: 'first' | 'last' | number; layer: LayerScheme }[];
}

export const SCHEME_EXAMPLES = ['w8a8', 'w4a4', 'w2a2', 'w1a1', 'ternary', 'pow2'] as const;

/** Parses a layer scheme name (`w8a8`, `w1a1`, `ternary`, `pow2`, any `wXaY`). */
export function parseLayerScheme(s: string, name = '--scheme'): LayerScheme & { shiftOnly: boolean } {
  if (s === 'ternary') return { weight: { kind: 'ternary' }, abits: 8, shiftOnly: false };
  if (s === 'pow2') return { weight: { kind: 'pow2', bits: 4 }, abits: 8, shiftOnly: true };
  const m = /^w(\d+)a(\d+)$/.exec(s);
  if (m) {
    const wb = Number(m[1]);
    const ab = Number(m[2]);
    if (wb >= 1 && wb <= 16 && ab >= 1 && ab <= 16) {
      return { weight: wb === 1 ? { kind: 'binary' } : { kind: 'int', bits: wb }, abits: ab, shiftOnly: false };
    }
  }
  throw badValue(name, s, `wXaY with X, Y in 1..16 (e.g. w8a8, w4a4, w2a2, w1a1), ternary or pow2${m ? '' : didYouMean(s, SCHEME_EXAMPLES)}`);
}

/** Parses `SEL=SCHEME` overrides. */
export function parseOverride(s: string): Scheme['overrides'][number] {
  const m = /^(first|last|\d+)=(.+)$/.exec(s);
  if (!m) {
    const [sel, ...rest] = s.split('=');
    const near = rest.length > 0 ? didYouMean(sel, ['first', 'last'], (n) => `${n}=${rest.join('=')}`) : '';
    throw badValue('--override', s, `SEL=SCHEME with SEL first, last or a compute-layer index, e.g. first=w8a8${near}`);
  }
  const ls = parseLayerScheme(m[2], `--override ${m[1]}`);
  return { sel: m[1] === 'first' || m[1] === 'last' ? m[1] : Number(m[1]), layer: { weight: ls.weight, abits: ls.abits } };
}

export function makeScheme(name: string, opts: { perChannel?: boolean; overrides?: string[]; inputBits?: number; group?: number } = {}): Scheme {
  const ls = parseLayerScheme(name);
  if ((opts.group ?? 0) > 0 && (ls.weight.kind !== 'int' || ls.shiftOnly)) {
    throw new InputError(`--group ${opts.group}: per-group scales are integer multipliers of integer weights; scheme ${name} has ${weightQuantName(ls.weight)} weights${ls.shiftOnly ? ' and shift-only scales' : ''} (use wXaY with X >= 2, or drop --group)`);
  }
  return {
    name,
    layer: { weight: ls.weight, abits: ls.abits },
    shiftOnly: ls.shiftOnly,
    perChannel: opts.perChannel ?? false,
    inputBits: checkInt('inputBits', opts.inputBits ?? 8, 2, 16),
    group: checkInt('--group', opts.group ?? 0, 0, 2 ** 31 - 1),
    overrides: (opts.overrides ?? []).map(parseOverride),
  };
}

/** The scheme of compute layer `k` of `n` (later overrides win). */
export function layerSchemeAt(s: Scheme, k: number, n: number): LayerScheme {
  let ls = s.layer;
  for (const o of s.overrides) {
    if (typeof o.sel === 'number' && o.sel >= n) throw badValue('override layer', o.sel, `a compute-layer index 0..${n - 1}`);
    if (o.sel === k || (o.sel === 'first' && k === 0) || (o.sel === 'last' && k === n - 1)) ls = o.layer;
  }
  return ls;
}

export function weightQuantName(w: WeightQuant): string {
  return w.kind === 'int' ? `int${w.bits}` : w.kind === 'pow2' ? `pow2-${w.bits}` : w.kind;
}
