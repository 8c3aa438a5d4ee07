/**
 * Save and restore the complete training state of a network next to the spec that rebuilds it:
 *   state.json    spec, seed, meta; the names and sha256 of the .bin files; with a checkpoint, its
 *                 scalars (epoch, steps, log, generator states, Adam's t)
 *   state.E.bin   little-endian float32: the tensors in `params()` order, then each batch-norm's mean and
 *                 var (E: the checkpoint's epoch; `state.bin` without a checkpoint)
 *   resume.E.bin  (with a checkpoint) float32: the optimizer's m tensors, then its v tensors
 * The FP32 checkpoint (contracts section 5) cannot hold QAT-only parameters (PACT clips, LSQ steps, the
 * logit scale), so the export reads this state; with a TrainCheckpoint a long run can also continue
 * bit-identically after an interruption (`train(cfg, data, { net, checkpoint })`).
 * Each epoch's .bin files get new names and are written before state.json (atomically), and the previous
 * epoch's are deleted only after it: a crash at any point leaves a complete state of one epoch.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { InputError } from '../util/errors.js';
import { buildNetwork, type NetSpec } from './arch.js';
import { BatchNorm } from './norm.js';
import type { Network } from './network.js';
import type { TrainCheckpoint } from './trainer.js';

export interface TrainState {
  spec: NetSpec;
  seed: number;
  meta: Record<string, unknown>;
}

type CheckpointScalars = Omit<TrainCheckpoint, 'optimizer'> & { optimizer: { t: number; rng: number[]; mFloats: number; vFloats: number } };

interface StateFile extends TrainState {
  format: 'lowbit-train-state';
  version: 2;
  floats: number;
  /** file names of the parameters (`state`) and optimizer moments (`resume`) */
  files?: { state: string; resume?: string };
  sha256: Record<string, string>;
  resume?: CheckpointScalars;
}

/** Every float of a network that training changes and the state keeps: parameters, then BN statistics. */
export function stateTensors(net: Network): Float32Array[] {
  const out = net.params().map((p) => p.value);
  for (const l of net.layers) if (l instanceof BatchNorm) out.push(l.mean, l.var);
  return out;
}

const count = (ts: Float32Array[]): number => ts.reduce((a, t) => a + t.length, 0);

function concat(ts: Float32Array[]): Uint8Array {
  const buf = new Float32Array(count(ts));
  let off = 0;
  for (const t of ts) {
    buf.set(t, off);
    off += t.length;
  }
  return new Uint8Array(buf.buffer);
}

/** Copies consecutive float32 runs of `raw` into `ts` (whose total length the caller checked). */
function scatter(raw: Buffer, ts: Float32Array[]): void {
  const buf = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  let off = 0;
  for (const t of ts) {
    t.set(buf.subarray(off, off + t.length));
    off += t.length;
  }
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const BIN_NAME = /^(state|resume)(\.\d+)?\.bin$/;

export function saveState(dir: string, net: Network, st: TrainState, checkpoint?: TrainCheckpoint): void {
  const tag = checkpoint ? `.${checkpoint.epoch}` : '';
  const files: { state: string; resume?: string } = { state: `state${tag}.bin` };
  const bins: Record<string, Uint8Array> = { [files.state]: concat(stateTensors(net)) };
  let resume: CheckpointScalars | undefined;
  if (checkpoint) {
    const { m, v, t, rng } = checkpoint.optimizer;
    files.resume = `resume${tag}.bin`;
    bins[files.resume] = concat([...m, ...v]);
    resume = { ...checkpoint, optimizer: { t, rng, mFloats: count(m), vFloats: count(v) } };
  }
  const sha: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(bins)) {
    writeFileAtomic(join(dir, name), bytes);
    sha[name] = sha256(bytes);
  }
  const floats = bins[files.state]!.length / 4;
  const file: StateFile = { format: 'lowbit-train-state', version: 2, ...st, floats, files, sha256: sha, ...(resume ? { resume } : {}) };
  writeFileAtomic(join(dir, 'state.json'), JSON.stringify(file, null, 1));
  for (const f of readdirSync(dir)) if (BIN_NAME.test(f) && !(f in bins)) rmSync(join(dir, f), { force: true });
}

function readBin(dir: string, name: string, j: StateFile, floats: number): Buffer {
  const p = join(dir, name);
  let raw: Buffer;
  try {
    raw = readFileSync(p);
  } catch (e) {
    throw new InputError(`${p}: cannot read (${(e as Error).message}); the training state in ${dir} is incomplete`);
  }
  if (raw.length !== floats * 4) throw new InputError(`${p}: ${raw.length} bytes; the spec needs ${floats * 4}`);
  const want = j.sha256?.[name];
  if (want !== undefined && sha256(raw) !== want) {
    throw new InputError(`${p}: its sha256 differs from the one in state.json (the file was changed after the save); this state cannot be used: retrain, or restore the file from a copy`);
  }
  return raw;
}

/** The network (and, if the state has one, the checkpoint to resume training from) saved in `dir`. */
export function loadState(dir: string): { net: Network; state: TrainState; checkpoint: TrainCheckpoint | null } {
  const jp = join(dir, 'state.json');
  let j: StateFile;
  try {
    j = JSON.parse(readFileSync(jp, 'utf8'));
  } catch (e) {
    throw new InputError(`${jp}: cannot read the training state (${(e as Error).message})`);
  }
  if (j.format !== 'lowbit-train-state') throw new InputError(`${jp}: format ${JSON.stringify(j.format)}; expected "lowbit-train-state"`);
  const net = buildNetwork(j.spec, j.seed);
  const ts = stateTensors(net);
  scatter(readBin(dir, j.files?.state ?? 'state.bin', j, count(ts)), ts);
  let checkpoint: TrainCheckpoint | null = null;
  if (j.resume) {
    const { mFloats, vFloats, t, rng } = j.resume.optimizer;
    const shapes = net.params().map((p) => p.value.length);
    const params = shapes.reduce((a, n) => a + n, 0);
    if (mFloats !== params || (vFloats !== 0 && vFloats !== params)) {
      throw new InputError(`${jp}: optimizer moments of ${mFloats} + ${vFloats} floats; the network has ${params} parameters`);
    }
    const m = shapes.map((n) => new Float32Array(n));
    const v = shapes.map((n) => new Float32Array(vFloats ? n : 0)); // SGD keeps empty second moments
    scatter(readBin(dir, j.files?.resume ?? 'resume.bin', j, mFloats + vFloats), [...m, ...v]);
    checkpoint = { ...j.resume, optimizer: { t, rng, m, v } };
  }
  return { net, state: { spec: j.spec, seed: j.seed, meta: j.meta }, checkpoint };
}
