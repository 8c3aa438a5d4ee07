/**
 * Save and restore the complete training state of a network (every parameter, batch-norm running
 * statistics) next to the spec that rebuilds it: `state.json` + `state.bin` (little-endian float32, the
 * tensors concatenated in `params()` order, then each batch-norm's mean and var). The FP32 checkpoint
 * (contracts section 5) cannot hold QAT-only parameters (PACT clips, LSQ steps, the logit scale), so the
 * export reads this state; it is also how a long run keeps its latest epoch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { InputError } from '../util/errors.js';
import { buildNetwork, type NetSpec } from './arch.js';
import { BatchNorm } from './norm.js';
import type { Network } from './network.js';

export interface TrainState {
  spec: NetSpec;
  seed: number;
  meta: Record<string, unknown>;
}

function tensors(net: Network): Float32Array[] {
  const out = net.params().map((p) => p.value);
  for (const l of net.layers) if (l instanceof BatchNorm) out.push(l.mean, l.var);
  return out;
}

export function saveState(dir: string, net: Network, st: TrainState): void {
  const ts = tensors(net);
  const total = ts.reduce((a, t) => a + t.length, 0);
  const buf = new Float32Array(total);
  let off = 0;
  for (const t of ts) {
    buf.set(t, off);
    off += t.length;
  }
  writeFileAtomic(join(dir, 'state.bin'), new Uint8Array(buf.buffer));
  writeFileAtomic(join(dir, 'state.json'), JSON.stringify({ format: 'lowbit-train-state', version: 1, ...st, floats: total }, null, 1));
}

export function loadState(dir: string): { net: Network; state: TrainState } {
  const jp = join(dir, 'state.json');
  let j: TrainState & { format?: string; floats?: number };
  try {
    j = JSON.parse(readFileSync(jp, 'utf8'));
  } catch (e) {
    throw new InputError(`${jp}: cannot read the training state (${(e as Error).message})`);
  }
  if (j.format !== 'lowbit-train-state') throw new InputError(`${jp}: format ${JSON.stringify(j.format)}; expected "lowbit-train-state"`);
  const net = buildNetwork(j.spec, j.seed);
  const ts = tensors(net);
  const total = ts.reduce((a, t) => a + t.length, 0);
  const raw = readFileSync(join(dir, 'state.bin'));
  if (raw.length !== total * 4) throw new InputError(`${join(dir, 'state.bin')}: ${raw.length} bytes; the spec needs ${total * 4}`);
  const buf = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  let off = 0;
  for (const t of ts) {
    t.set(buf.subarray(off, off + t.length));
    off += t.length;
  }
  return { net, state: { spec: j.spec, seed: j.seed, meta: j.meta } };
}
