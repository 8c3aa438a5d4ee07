import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/util/errors.js';
import { loadModel } from '../../src/model/locate.js';
import { PRESETS } from '../../src/hw/presets.js';
import { withPresetHint } from '../../src/hw/preset_hint.js';
import { runCli } from './helpers/cli.js';

/**
 * A model the Design cannot hold: the compiler's one line names the Design field to change, and the CLI adds
 * the presets the model compiles onto (the default --design int8 holds few shipped models); each suggested
 * preset then runs the model.
 */
describe('the compiler refusal names the presets that hold the model', () => {
  for (const [model, cmd] of [['sfc-w4a4', 'run'], ['sfc-w1a1', 'estimate'], ['cnn-w4a4', 'run']] as const) {
    it(`${cmd} --model ${model} on the default int8`, async () => {
      const args = cmd === 'run' ? ['run', '--model', model, '--images', '2'] : ['estimate', '--model', model, '--no-area'];
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^lowbit: model ${model} on design int8: [^\\n]*; or use a preset it compiles on: --design [\\w -]+\\n$`));
      const presets = /--design ([\w -]+)\n$/.exec(r.err)![1]!.split(' or ');
      expect(presets.length).toBeGreaterThan(0);
      for (const p of presets) {
        const ok = await runCli([...args, '--design', p, '--json']);
        expect(ok.code, `${p}: ${ok.err}`).toBe(0);
      }
    });
  }

  it('a message that names its preset already is kept as it is; other errors pass through', () => {
    const m = loadModel(join(__dirname, 'fixtures', 'ort_static', 'cnn_qdq_pc.onnx'));
    const named = new InputError(`model ${m.name} on design int8: ... use the preset int8-u8 (int8 x uint8) or a Design (JSON file) with {}`);
    expect(withPresetHint(named, m, PRESETS.int8)).toBe(named);
    const other = new InputError('--images: got 0');
    expect(withPresetHint(other, m, PRESETS.int8)).toBe(other);
    const hinted = withPresetHint(new InputError(`model ${m.name} on design int8: no`), m, PRESETS.int8) as Error;
    expect(hinted.message).toBe(`model ${m.name} on design int8: no; or use a preset it compiles on: --design int8-u8`);
  });
});
