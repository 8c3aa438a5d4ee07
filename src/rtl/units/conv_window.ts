/**
 * UnitSpec adapter for hdl/conv_window.sv <-> src/hw/window_walk.ts (docs/verify.md, "Adding a unit").
 *
 * Parameters come mechanically from the Design (`convWindowVerilogParams`: Rows = array rows, Lanes =
 * XNOR lanes, HBits, PoolMax). Stimulus (seeded), segments until `cases` cycles:
 *  1. layer walks (80 % of segments): a random conv window (k 1..4, H, W k..7, C 1..4 or, on the
 *     XNOR walk, sometimes L/2..2L channels: kernel rows of several segments; stride 1..2, valid or same
 *     padding) with its descriptor strides (`windowStrides`), rows in use 1..Rows (mac) or a segmented
 *     XNOR walk (50 %); init, then per tile and fold one step per patch element (last on the patch's
 *     last, tile with the tile's last), idle cycles 15 %, the tiles up to past the first output row;
 *  2. random cycles (20 %): every descriptor field random (small or any 32-bit pattern), random controls.
 * Taps, channel and pad value random every cycle. Outputs every cycle; no traced registers (pix_o is the
 * tile register, the rest is combinational in the walk's registers). Written on harness words (the typed fast
 * path); the model fills one `WindowWalkModel` inputs object from each cycle's words (u32 patterns, as numbers)
 * and writes its outputs back.
 */
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import { convWindowVerilogParams, windowStrides } from '../../hw/conv_window.js';
import { WindowWalkModel, type WindowWalkInputs, type WindowWalkParams } from '../../hw/window_walk.js';
import { clog2 } from '../../arith/format.js';
import { Rng } from '../../util/rng.js';
import type { PortSpec, UnitDesign, UnitSpec, WordsModelRun } from '../unit.js';
import { getBits, orBits, portLayout, putRandomBits, unitFromWords, WordsWriter } from '../unit_words.js';
import { hdlFiles } from '../hdl_manifest.js';

function params(d: Design): WindowWalkParams {
  const v = convWindowVerilogParams(d);
  return { rows: v.Rows, lanes: v.Lanes, hBits: v.HBits, poolMax: v.PoolMax };
}

const FIELDS = ['map_h_i', 'map_c_i', 'sh_i', 'pt_i', 'out_w_i', 'rows_i', 'row_len_i', 'in_row_i', 'step_x_i', 'step_y_i', 'origin_i', 'origin_x_i'] as const;

function ports(d: Design): PortSpec[] {
  const p = params(d);
  return [
    ...['init_i', 'tile_i', 'step_i', 'last_i', 'seg_i'].map((name) => ({ name, dir: 'in' as const, width: 1 })),
    ...FIELDS.map((name) => ({ name, dir: 'in' as const, width: 32 })),
    { name: 'pad_i', dir: 'in', width: p.hBits },
    { name: 'tap_i', dir: 'in', width: p.rows * p.hBits },
    { name: 'chan_i', dir: 'in', width: 32 },
    { name: 'tap_idx_o', dir: 'out', width: p.rows * 32 },
    { name: 'h_o', dir: 'out', width: p.rows * p.hBits },
    { name: 'seg_pos_o', dir: 'out', width: 32 },
    { name: 'seg_sh_o', dir: 'out', width: 32 },
    { name: 'seg_nbits_o', dir: 'out', width: clog2(p.lanes + 1) },
    { name: 'pool_idx_o', dir: 'out', width: p.poolMax * p.poolMax * 32 },
    { name: 'pix_o', dir: 'out', width: 32 },
  ];
}

/** The binary-mnist-like 2-row, 32-lane, 2-bit unit and the tiny preset's 4-row, 64-lane, 8-bit one. */
function designs(): UnitDesign[] {
  const bin = structuredClone(PRESETS.binary) as Design;
  bin.name = 'binary-2x2-l32';
  bin.array.rows = 2;
  bin.array.cols = 2;
  bin.xnor.bitsPerCycle = 32;
  return [{ label: 'binary-2x2-l32', design: bin }, { label: 'tiny', design: PRESETS.tiny as Design }];
}

/** Word offsets of the ports and the words per cycle. */
function layout(d: Design): { p: WindowWalkParams; at: Record<string, number>; inStride: number; outStride: number } {
  return { p: params(d), ...portLayout(ports(d)) };
}

/** A random conv layer's descriptor fields (u32 patterns, in `FIELDS` order) and its walk: beats per patch, tiles, rows. */
function layer(rng: Rng, p: WindowWalkParams): { desc: Uint32Array; seg: boolean; beats: number; tiles: number } {
  const seg = rng.float() < 0.5;
  const [kh, kw] = [rng.int(1, 4), rng.int(1, 4)];
  const [sh, sw] = [rng.int(1, 2), rng.int(1, 2)];
  // XNOR walks: sometimes kernel rows of several segments (kw*C > lanes)
  const C = seg && rng.float() < 0.4 ? rng.int(p.lanes / 2, 2 * p.lanes) : rng.int(1, 4);
  const [H, W] = [rng.int(kh, 7), rng.int(kw, 7)];
  const same = rng.float() < 0.5;
  const pt = same ? Math.floor((kh - 1) / 2) : 0;
  const pl = same ? Math.floor((kw - 1) / 2) : 0;
  const Ho = same ? Math.ceil(H / sh) : Math.floor((H - kh) / sh) + 1;
  const Wo = same ? Math.ceil(W / sw) : Math.floor((W - kw) / sw) + 1;
  const rows = seg ? 1 : rng.int(1, p.rows);
  const s = windowStrides({ H, W, C, kh, kw, sh, sw, pt, pl, Ho, Wo, pad: 0 });
  // a Uint32Array store is the u32 pattern (mod 2^32) of each value
  const desc = Uint32Array.from([H, C, sh, pt, Wo, rows, kw * C, s.inRow, s.stepX, s.stepY, s.origin, s.originX]);
  const beats = seg ? kh * Math.ceil((kw * C) / p.lanes) : kh * kw * C;
  // the walk: past the first output row's end (the wrap), at most all tiles
  return { desc, seg, beats, tiles: Math.min(Math.ceil((Ho * Wo) / rows), Math.ceil(Wo / rows) + 2) };
}

/** Control bits of a cycle, in port order init, tile, step, last, seg. */
const INIT = 1, TILE = 2, STEP = 4, LAST = 8, SEG = 16;

function stimulus(d: Design, seed: number, cases: number): Uint32Array {
  const { p, at, inStride: S } = layout(d);
  const rng = new Rng(seed);
  // a layer walk runs past `cases` (by up to ~1,400 cycles: 9 tiles x 2 folds x 64 beats and idle cycles; 525 seen
  // in 1,200 runs): room for it, so that the buffer is not doubled and copied (untouched pages cost nothing)
  const out = new WordsWriter(S, cases + 2048);
  const hMax = 2 ** p.hBits - 1;
  const { init_i: CTL, map_h_i: DESC, pad_i: PAD, tap_i: TAP, chan_i: CHAN } = at;
  let cycles = 0;
  // one cycle: controls, descriptor, then the draws of pad, taps (row 0 first) and channel
  const push = (ctl: number, desc: Uint32Array): void => {
    const o = out.next();
    const w = out.words;
    for (let b = 0; b < 5; b++) w[o + CTL + b] = (ctl >>> b) & 1;
    for (let k = 0; k < desc.length; k++) w[o + DESC + k] = desc[k];
    w[o + PAD] = rng.int(0, hMax);
    for (let r = 0; r < p.rows; r++) orBits(w, o + TAP, r * p.hBits, rng.int(0, hMax), p.hBits);
    w[o + CHAN] = rng.int(0, 7);
    cycles++;
  };
  while (cycles < cases) {
    if (rng.float() < 0.2) {
      // random cycles: any descriptor, any controls
      const desc = new Uint32Array(FIELDS.length);
      for (let k = 0; k < FIELDS.length; k++) {
        if (rng.float() < 0.5) desc[k] = rng.int(0, 12);
        else putRandomBits(rng, desc, k, 32);
      }
      if (rng.float() < 0.5) desc[FIELDS.indexOf('rows_i')] = rng.int(0, p.rows + 1);
      for (let t = 0; t < 40; t++) {
        const b = (): boolean => rng.float() < 0.3;
        // the draws in port order: init, tile, step, last, seg
        const init = rng.float() < 0.1, tile = b(), step = rng.float() < 0.7, last = b(), seg = b();
        push((init ? INIT : 0) | (tile ? TILE : 0) | (step ? STEP : 0) | (last ? LAST : 0) | (seg ? SEG : 0), desc);
      }
      continue;
    }
    const { desc, seg, beats, tiles } = layer(rng, p);
    const sg = seg ? SEG : 0;
    const folds = beats > 16 ? 1 : rng.int(1, 2);
    push(INIT | sg, desc);
    for (let t = 0; t < tiles; t++) {
      for (let f = 0; f < folds; f++) {
        for (let k = 0; k < beats; k++) {
          while (rng.float() < 0.15) push(sg, desc);
          const last = k === beats - 1;
          push(STEP | sg | (last ? LAST : 0) | (last && f === folds - 1 ? TILE : 0), desc);
        }
      }
    }
  }
  const zero = new Uint32Array(FIELDS.length);
  for (let t = 0; t < 2; t++) push(0, zero);
  return out.finish();
}

function model(d: Design, stim: Uint32Array): WordsModelRun {
  const { p, at, inStride: S, outStride: R } = layout(d);
  const m = new WindowWalkModel(p);
  const cycles = stim.length / S;
  const outputs = new Uint32Array(cycles * R);
  const { init_i: CTL, map_h_i: DESC, pad_i: PAD, tap_i: TAP, chan_i: CHAN } = at;
  const { tap_idx_o: TIDX, h_o: H, seg_pos_o: SPOS, seg_sh_o: SSH, seg_nbits_o: SNB, pool_idx_o: POOL, pix_o: PIX } = at;
  const { rows, hBits } = p;
  // one inputs and one outputs object, refilled every cycle
  const x: WindowWalkInputs = {
    init: false, tile: false, step: false, last: false, seg: false, mapH: 0, mapC: 0, sh: 0, pt: 0, outW: 0, rows: 0,
    rowLen: 0, inRow: 0, stepX: 0, stepY: 0, origin: 0, originX: 0, pad: 0, taps: new Array<number>(rows).fill(0), chan: 0,
  };
  const o = m.newOutputs();
  const pool = o.poolIdx.length;
  for (let t = 0, i = 0, y = 0; t < cycles; t++, i += S, y += R) {
    x.init = stim[i + CTL] !== 0;
    x.tile = stim[i + CTL + 1] !== 0;
    x.step = stim[i + CTL + 2] !== 0;
    x.last = stim[i + CTL + 3] !== 0;
    x.seg = stim[i + CTL + 4] !== 0;
    // the descriptor fields in FIELDS order
    const f = i + DESC;
    x.mapH = stim[f];
    x.mapC = stim[f + 1];
    x.sh = stim[f + 2];
    x.pt = stim[f + 3];
    x.outW = stim[f + 4];
    x.rows = stim[f + 5];
    x.rowLen = stim[f + 6];
    x.inRow = stim[f + 7];
    x.stepX = stim[f + 8];
    x.stepY = stim[f + 9];
    x.origin = stim[f + 10];
    x.originX = stim[f + 11];
    x.pad = stim[i + PAD];
    for (let r = 0; r < rows; r++) x.taps[r] = getBits(stim, i + TAP, r * hBits, hBits);
    x.chan = stim[i + CHAN];
    m.cycle(x, o);
    for (let r = 0; r < rows; r++) {
      outputs[y + TIDX + r] = o.tapIdx[r];
      orBits(outputs, y + H, r * hBits, o.h[r], hBits);
    }
    outputs[y + SPOS] = o.segPos;
    outputs[y + SSH] = o.segSh;
    outputs[y + SNB] = o.segNbits;
    for (let k = 0; k < pool; k++) outputs[y + POOL + k] = o.poolIdx[k];
    outputs[y + PIX] = o.pix;
  }
  return { outputs };
}

export const convWindowUnit: UnitSpec = unitFromWords({
  name: 'conv_window',
  top: 'conv_window',
  hdlFiles: () => hdlFiles('conv_window'),
  parameters: (d) => convWindowVerilogParams(d),
  ports,
  designs,
  words: { stimulus, model },
});

export default convWindowUnit;
