import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining, type RunOptions } from '../../src/train/run.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { loadQuantizedModel } from '../../src/model/format.js';

/** Short runs of each method through runTraining (300 images), checking what each publishes. */
const base: RunOptions = { arch: 'tfc', wbits: 32, abits: 32, epochs: 1, seed: 1, valCount: 0, maxTrain: 300, hidden: [16, 12] };
const dir = mkdtempSync(join(tmpdir(), 'lowbit-methods-'));
const weightsOf = (out: string): Float32Array[] => loadCheckpoint(out).layers.flatMap((l) => (l.kind === 'dense' ? [l.weight] : []));

describe('training methods end to end (runTraining)', () => {
  it('TTQ publishes an FP32 checkpoint whose every layer holds only -W_n, 0, W_p; a distilled W2A2 student learns from it', () => {
    const out = join(dir, 'ttq');
    const s = runTraining({ ...base, ttq: 0.05 }, out);
    expect(s.command).toContain('--ttq 0.05');
    for (const w of weightsOf(out)) {
      const vals = [...new Set(w)].sort((a, b) => a - b);
      expect(vals.length).toBe(3);
      expect(vals[0]).toBeLessThan(0);
      expect(vals[1]).toBe(0);
      expect(vals[2]).toBeGreaterThan(0);
    }
    // weight 0 is plain cross-entropy (the same run as without a teacher); 0.9 learns from the teacher
    const student = { ...base, wbits: 2, abits: 2, maxTrain: 1000 };
    const plain = runTraining(student, null);
    const zero = runTraining({ ...student, teacher: out, distillWeight: 0 }, null);
    const st = runTraining({ ...student, teacher: out, temperature: 4, distillWeight: 0.9 }, join(dir, 'student'));
    expect(st.command).toContain(`--teacher ${out} --temperature 4 --distill-weight 0.9`);
    expect(zero.log[0]!.loss).toBe(plain.log[0]!.loss);
    expect(zero.testAccuracy).toBe(plain.testAccuracy);
    expect(st.log[0]!.loss).not.toBe(plain.log[0]!.loss);
  }, 900_000);

  it('INQ ends with every weight a power of two or zero, at most 2^(b-1)/2 exponents per layer, accuracies per step', () => {
    const out = join(dir, 'inq');
    const s = runTraining({ ...base, inq: [0.5, 0.875, 1], inqBits: 4 }, out);
    expect(s.stages!.map((x) => x.stage)).toEqual(['main run', 'inq 0.5', 'inq 0.5, retrained', 'inq 0.875', 'inq 0.875, retrained', 'inq 1']);
    expect(s.testAccuracy).toBe(s.stages![5]!.testAccuracy);
    for (const w of weightsOf(out)) {
      const exps = new Set<number>();
      for (const v of w) {
        if (v === 0) continue;
        const e = Math.log2(Math.abs(v));
        expect(Number.isInteger(e), `${v}`).toBe(true);
        exps.add(e);
      }
      expect(exps.size).toBeLessThanOrEqual(4);
    }
  }, 900_000);

  it('channel pruning publishes the narrower QuantizedModel; weight sharing leaves K values per layer', () => {
    const out = join(dir, 'pruned');
    const s = runTraining({ ...base, wbits: 4, abits: 4, pruneChannels: 0.5 }, out);
    const m = loadQuantizedModel(out);
    expect(m.layers.flatMap((l) => (l.kind === 'dense' ? [l.outFeatures] : []))).toEqual([8, 6, 10]);
    expect(s.stages![1]!.stage).toMatch(/widths 8,6/);
    const sh = join(dir, 'shared');
    runTraining({ ...base, shareWeights: 4, stageEpochs: 1 }, sh);
    for (const w of weightsOf(sh)) expect(new Set(w).size).toBeLessThanOrEqual(4);
    // Deep Compression: pruned weights stay 0 through retraining and sharing
    const dc = join(dir, 'deep-compression');
    runTraining({ ...base, pruneWeights: 0.75, shareWeights: 4 }, dc);
    for (const w of weightsOf(dc)) {
      expect(w.filter((v) => v === 0).length).toBeGreaterThanOrEqual(Math.round(0.75 * w.length));
      expect(new Set(w).size).toBeLessThanOrEqual(5);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 900_000);
});
