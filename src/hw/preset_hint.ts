import type { QuantizedModel } from '../model/types.js';
import { InputError } from '../util/errors.js';
import { compileModel } from './accel_compile.js';
import type { Design } from './design.js';
import { PRESETS, PRESET_NAMES, type PresetName } from './presets.js';

/** The presets `model` compiles onto at batch 1, in PRESET_NAMES order. */
export function presetsFor(model: QuantizedModel): PresetName[] {
  return PRESET_NAMES.filter((n) => {
    try {
      compileModel(model, PRESETS[n]);
      return true;
    } catch (e) {
      if (e instanceof InputError) return false;
      throw e;
    }
  });
}

/**
 * `e` with the presets the model compiles onto appended, when `e` is the compiler's refusal of `model` on
 * `design` (its message starts "model M on design D:") and some other preset holds the model: the shipped
 * models each have theirs (sfc-w4a4 runs on int8-mnist), and the default `--design int8` holds few, so the
 * user gets a working `--design` besides the Design field to change. Anything else is returned as it is.
 */
export function withPresetHint(e: unknown, model: QuantizedModel, design: Design): unknown {
  if (!(e instanceof InputError) || !e.message.startsWith(`model ${model.name} on design ${design.name}:`)) return e;
  const fits = presetsFor(model).filter((n) => n !== design.name);
  if (fits.length === 0 || fits.some((n) => e.message.includes(`preset ${n} `))) return e; // none, or named already
  return new InputError(`${e.message}; or use a preset it compiles on: --design ${fits.join(' or ')}`);
}
