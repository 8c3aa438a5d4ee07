/**
 * UnitSpec adapter for the whole accelerator, hdl/accel_top.sv <-> src/hw/accel_top.ts (docs/verify.md,
 * "Adding a unit"), so that `lowbit verify --all` and `verify --mutate` cover it like every other unit.
 *
 * Each (Design, seed) draws one random network the Design runs (`drawProgram`: on 'tiny-mixed' an int8 CNN
 * with same/valid padding, stride 1/2, pooling, a uint8 input shifted into the signed array, a w4a2
 * threshold CNN or an MLP with a batch of images on the array rows; on 'binary-32' a ±1 CNN on the XNOR
 * unit with padding, pooling and multi-segment kernel rows, a bit-serial first layer, or a ±1 MLP; on
 * 'tiny-shift', the tiny array of shift PEs, an int8 CNN or MLP whose weights are all power-of-two codes),
 * compiled for memories of a fixed size (CAPACITY, so one Verilator build per Design serves every seed).
 * Its memory images are the simulator's working-directory files (`workFiles`, read by $readmemh).
 *
 * Stimulus and model are on harness words (`unitFromWords`; every port fits one word, so a cycle is 5 input
 * and 4 output words). Stimulus, per run (ceil(cases / 50) runs, at least 1), the host protocol of
 * src/rtl/accel_top.ts with noise: the input words written in a random order, some first with junk, the unused high bits of the last word
 * random; idle cycles reading random output addresses; start_i (sometimes in the cycle of the last write);
 * while busy and in the done cycle random in_we_i / start_i / addresses (which accel_top ignores); then
 * every output word read back in a random order, plus addresses past the outputs.
 *
 * Model: a port-level model of accel_top over the stimulus. While idle, writes land in the input buffer;
 * start_i (idle only) runs the program on the words written since the previous start (the TS model,
 * `runLayers` on `unpackInput`) — busy_o in the next T - 1 cycles, done_o and cycles_o = T in the cycle
 * after (T = `runCycles`), the results in the output buffer from then on; out_data_o is the output word
 * addressed in the previous cycle when that cycle was idle or done, else 0. A start before every input
 * word was written breaks the host protocol (the buffer then holds the previous run's activations): the
 * model refuses such a stimulus.
 */
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import { shiftLevels } from '../../hw/pe_kind.js';
import { compileModel } from '../../hw/accel_compile.js';
import { hostInput, runCycles, runLayers } from '../../hw/accel_top.js';
import { imageTexts } from '../../hw/accel_images.js';
import { layoutBits, type AccelProgram } from '../../hw/accel_program.js';
import { BINARY, convNet, int, randomInts, randomMlp, type ConvSpec } from '../../model/random.js';
import type { QuantizedModel, TensorFormat } from '../../model/types.js';
import { Rng } from '../../util/rng.js';
import { ACCEL_VERILATOR_ARGS, accelDesignParameters, accelDesignPorts, packInput, unpackInput, type AccelCapacity } from '../accel_top.js';
import { hdlFiles } from '../hdl_manifest.js';
import type { UnitDesign, UnitSpec, WordsModelRun } from '../unit.js';
import { unitFromWords, WordsWriter } from '../unit_words.js';

/** The memory sizes of the verification build (every drawn program fits). */
export const CAPACITY: Required<AccelCapacity> = { wDepth: 512, pDepth: 64, actWords: 32, outDepth: 32, layers: 4, gDepth: 1 };

function variant(base: Design, name: string, patch: (d: Design) => void): Design {
  const d = structuredClone(base);
  d.name = name;
  patch(d);
  return d;
}

const DESIGNS: UnitDesign[] = [
  { label: 'tiny-mixed', design: variant(PRESETS.tiny, 'tiny-mixed', (d) => { d.xnor = { bitsPerCycle: 32, thresholds: 3 }; }) },
  {
    label: 'binary-32',
    design: variant(PRESETS.binary, 'binary-32', (d) => { d.xnor.bitsPerCycle = 32; d.array.rows = 2; d.array.cols = 2; }),
  },
  { label: 'tiny-shift', design: variant(PRESETS.tiny, 'tiny-shift', (d) => { d.array.pe = 'shift'; }) },
];

/** The model with every dense/conv weight replaced by a random power-of-two level of its format (zero point 0). */
function pow2Weights(rng: Rng, m: QuantizedModel): QuantizedModel {
  for (const l of m.layers) {
    if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
    const lv = shiftLevels(l.weight.format);
    l.weight = { ...l.weight, data: Int32Array.from(l.weight.data, () => lv[rng.int(0, lv.length - 1)]!), zeroPoint: [0] };
  }
  return m;
}

/** A random conv stage: k in 1..kMax, stride 1 or 2, padding 0..floor(k/2), sometimes a 2x2 pool. */
function convSpec(rng: Rng, O: number, kMax: number, pool: boolean): ConvSpec {
  const k = rng.int(1, kMax);
  return { O, k, s: rng.int(1, 2), pad: rng.int(0, k >> 1), ...(pool && rng.u32() & 1 ? { pool: { k: 2, s: 2 } } : {}) };
}

/** Whether every window of a conv stack (and its pools) fits its input, starting from an H x W map. */
function fits(H: number, W: number, convs: ConvSpec[]): boolean {
  for (const c of convs) {
    H = Math.floor((H + 2 * c.pad - c.k) / c.s) + 1;
    W = Math.floor((W + 2 * c.pad - c.k) / c.s) + 1;
    if (c.pool) {
      H = Math.floor((H - 2) / 2) + 1;
      W = Math.floor((W - 2) / 2) + 1;
    }
    if (H < 1 || W < 1) return false;
  }
  return true;
}

function drawModel(rng: Rng, label: string): QuantizedModel {
  const pick = rng.int(0, 2);
  const shape = (cMax: number): [number, number, number] => [rng.int(1, cMax), rng.int(4, 7), rng.int(4, 7)];
  const cnn = (s: [number, number, number], convs: ConvSpec[], w: TensorFormat, a: TensorFormat, kind: 'multiplier-double' | 'threshold' | 'bipolar', first?: TensorFormat): QuantizedModel | undefined =>
    fits(s[1], s[2], convs) ? convNet(rng, s, convs, w, a, kind, first) : undefined;
  let m: QuantizedModel | undefined;
  if (label === 'tiny-shift') {
    const w = int(8, true);
    m = pick === 0 ? cnn(shape(3), [convSpec(rng, rng.int(2, 5), 3, true), convSpec(rng, rng.int(2, 4), 3, false)], w, int(8, true), 'multiplier-double')
      : randomMlp(rng, [rng.int(5, 24), rng.int(3, 9), rng.int(2, 6)], w, int(8, true), 'multiplier-double');
    if (m) pow2Weights(rng, m);
  } else if (label === 'tiny-mixed') {
    if (pick === 0) m = cnn(shape(3), [convSpec(rng, rng.int(2, 5), 5, true), convSpec(rng, rng.int(2, 4), 3, false)], int(8, true), int(8, true), 'multiplier-double', rng.u32() & 1 ? int(8, false) : undefined);
    else if (pick === 1) m = cnn(shape(3), [convSpec(rng, rng.int(2, 5), 3, true)], int(4, true), int(2, false), 'threshold');
    else m = randomMlp(rng, [rng.int(5, 24), rng.int(3, 9), rng.int(2, 6)], int(8, true), int(8, true), 'multiplier-double');
  } else if (pick === 0) {
    m = cnn(shape(12), [convSpec(rng, rng.int(2, 6), 3, true), convSpec(rng, rng.int(2, 5), 3, false)], BINARY, BINARY, 'bipolar');
  } else if (pick === 1) {
    // a bit-serial first layer: signed pixels (zero point 0, so it may be padded)
    m = cnn(shape(2), [convSpec(rng, rng.int(2, 4), 3, true), convSpec(rng, rng.int(2, 4), 2, false)], BINARY, BINARY, 'bipolar', int(4, true));
  } else {
    m = randomMlp(rng, [rng.int(20, 70), rng.int(8, 40), rng.int(2, 10)], BINARY, BINARY, 'bipolar');
  }
  return m ?? drawModel(rng, label);
}

/** The random program of (design, seed): redrawn until it compiles into CAPACITY (deterministic). */
export function drawProgram(label: string, design: Design, seed: number): AccelProgram {
  const rng = new Rng(seed ^ 0x0acce1);
  for (let tries = 0; tries < 50; tries++) {
    const m = drawModel(rng, label);
    let p: AccelProgram;
    try {
      p = compileModel(m, design, { batch: rng.int(1, design.array.rows) });
    } catch {
      continue;
    }
    const words = Math.ceil(p.actBits / 32);
    if (p.wDepth <= CAPACITY.wDepth && p.pDepth <= CAPACITY.pDepth && words <= CAPACITY.actWords && p.outDepth <= CAPACITY.outDepth && p.layers.length <= CAPACITY.layers) return p;
  }
  throw new Error(`accel_top: no random program for ${label} (seed ${seed}) fits the verification build's memories`);
}

function labelOf(d: Design): string {
  return DESIGNS.find((u) => u.design.name === d.name)?.label ?? d.name;
}

function programOf(d: Design, seed: number): AccelProgram {
  return drawProgram(labelOf(d), d, seed);
}

/** The random inputs of run r: `images` images in the model's input format (as `hostInput` takes them). */
function runWords(p: AccelProgram, rng: Rng): Uint32Array {
  const q = p.layers[0];
  const x = randomInts(rng, p.images * p.inputElems, q.xFormat);
  for (let i = 0; i < x.length; i++) x[i] += p.inputShift;
  return packInput(p, hostInput(p, x, 0, p.images));
}

/** The input port layout: one word per port (in_we_i, in_addr_i, in_data_i, start_i, out_addr_i). */
const IN_STRIDE = 5;
/** The output port layout: one word per port (busy_o, done_o, cycles_o, out_data_o). */
const OUT_STRIDE = 4;

function stimulus(design: Design, seed: number, cases: number): Uint32Array {
  const p = programOf(design, seed);
  const rng = new Rng(seed);
  const prm = accelDesignParameters(design, CAPACITY);
  const actWords = prm.ActWords as number;
  const outDepth = prm.OutDepth as number;
  const T = runCycles(p);
  const E = p.images * p.outputElems;
  const used = layoutBits(p.layers[0].inLayout, p.layers[0].win.H * p.layers[0].win.W * p.layers[0].win.C);
  const runs = Math.max(1, Math.ceil(cases / 50));
  // per run at most 3 cycles per input word, the start, T busy/done cycles, E reads and 3 idle cycles
  const out = new WordsWriter(IN_STRIDE, runs * (3 * Math.ceil(used / 32) + T + E + 4) + 1);
  const cycle = (we: number, addr: number, data: number, start: number, outAddr: number): void => {
    const o = out.next();
    const w = out.words;
    w[o] = we;
    w[o + 1] = addr;
    w[o + 2] = data; // the store takes data mod 2^32
    w[o + 3] = start;
    w[o + 4] = outAddr;
  };
  const idle = (): void => cycle(0, rng.int(0, actWords - 1), rng.u32(), 0, rng.int(0, outDepth - 1));
  for (let r = 0; r < runs; r++) {
    const words = runWords(p, rng);
    const W = words.length;
    // junk in the bits past the map (the last word's high bits)
    if (used % 32 !== 0) words[W - 1] |= rng.u32() & ~((1 << (used % 32)) - 1);
    const order = Array.from({ length: W }, (_, i) => i);
    for (let i = W - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const w of order) {
      if (rng.float() < 0.2) cycle(1, w, rng.u32(), 0, rng.int(0, outDepth - 1));
      if (rng.float() < 0.2) idle();
      cycle(1, w, words[w], 0, rng.int(0, outDepth - 1));
    }
    // start, sometimes together with a last (repeated) write
    const withWrite = rng.float() < 0.3;
    const w = order[W - 1];
    cycle(withWrite ? 1 : 0, w, words[w], 1, rng.int(0, outDepth - 1));
    // busy cycles and the done cycle: accel_top ignores writes and starts
    for (let t = 1; t <= T; t++) {
      const noisy = rng.float() < 0.1;
      cycle(noisy ? 1 : 0, rng.int(0, actWords - 1), rng.u32(), noisy && rng.u32() & 1 ? 1 : 0, rng.int(0, outDepth - 1));
    }
    const reads = Array.from({ length: E }, (_, i) => i);
    for (let i = E - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [reads[i], reads[j]] = [reads[j], reads[i]];
    }
    for (const e of reads) cycle(0, 0, 0, 0, e);
    for (let i = 0; i < 3; i++) idle();
  }
  idle();
  return out.finish();
}

function model(design: Design, stim: Uint32Array, run?: { seed: number; cases: number }): WordsModelRun {
  if (run === undefined) throw new Error('accel_top: the model needs the seed its program was drawn with');
  const p = programOf(design, run.seed);
  const prm = accelDesignParameters(design, CAPACITY);
  const T = runCycles(p);
  const W = Math.ceil(p.actBits / 32);
  const inWords = Math.ceil(layoutBits(p.layers[0].inLayout, p.layers[0].win.H * p.layers[0].win.W * p.layers[0].win.C) / 32);
  const buf = new Uint32Array(Math.max(W, inWords));
  const written = new Uint8Array(buf.length);
  const outq = new Uint32Array(prm.OutDepth as number);
  let pending = new Int32Array(0);
  const IDLE = 0, BUSY = 1, DONE = 2;
  let state = IDLE;
  let left = 0;
  let cycles = 0;
  let readData = 0;
  const n = stim.length / IN_STRIDE;
  const outputs = new Uint32Array(n * OUT_STRIDE);
  for (let t = 0, x = 0, y = 0; t < n; t++, x += IN_STRIDE, y += OUT_STRIDE) {
    outputs[y] = state === BUSY ? 1 : 0;
    outputs[y + 1] = state === DONE ? 1 : 0;
    outputs[y + 2] = cycles;
    outputs[y + 3] = readData;
    // the edge at the end of cycle t
    readData = state === BUSY ? 0 : outq[stim[x + 4]];
    if (state === IDLE) {
      const addr = stim[x + 1];
      if (stim[x] === 1 && addr < buf.length) {
        buf[addr] = stim[x + 2];
        written[addr] = 1;
      }
      if (stim[x + 3] === 1) {
        for (let i = 0; i < inWords; i++) {
          if (written[i] === 0) throw new Error(`accel_top model: start_i in cycle ${t} before input word ${i} was written since the last run (the host protocol)`);
        }
        written.fill(0);
        pending = runLayers(p, unpackInput(p, buf.subarray(0, inWords))).pop()!.slice(0, p.images * p.outputElems);
        state = BUSY;
        left = T - 1;
      }
    } else if (state === BUSY) {
      if (--left === 0) {
        state = DONE;
        cycles = T;
        outq.set(pending); // the Int32Array's values as their 32-bit patterns
      }
    } else {
      state = IDLE;
    }
  }
  return { outputs };
}

export const accelTopUnit: UnitSpec = unitFromWords({
  name: 'accel_top',
  top: 'accel_top',
  hdlFiles: () => hdlFiles('accel_top'),
  // without them a Design of more than ~14 columns (the 16x16 presets) fails to build (BLKLOOPINIT)
  verilatorArgs: ACCEL_VERILATOR_ARGS,
  parameters: (d) => accelDesignParameters(d, CAPACITY),
  ports: (d) => accelDesignPorts(accelDesignParameters(d, CAPACITY)),
  designs: () => DESIGNS,
  words: { stimulus, model },
  workFiles(design, seed) {
    return imageTexts(programOf(design, seed));
  },
});
