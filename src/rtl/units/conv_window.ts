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
 * tile register, the rest is combinational in the walk's registers).
 */
import type { Design } from '../../hw/design.js';
import { PRESETS } from '../../hw/presets.js';
import { convWindowVerilogParams, windowStrides } from '../../hw/conv_window.js';
import { WindowWalkModel, type WindowWalkInputs, type WindowWalkParams } from '../../hw/window_walk.js';
import { clog2 } from '../../arith/format.js';
import { Rng } from '../../util/rng.js';
import { toBits, type PortSpec, type UnitDesign, type UnitSpec } from '../unit.js';
import { hdlFiles } from '../hdl_manifest.js';

function params(d: Design): WindowWalkParams {
  const v = convWindowVerilogParams(d);
  return { rows: v.Rows, lanes: v.Lanes, hBits: v.HBits, poolMax: v.PoolMax };
}

const FIELDS = ['map_h_i', 'map_c_i', 'sh_i', 'pt_i', 'out_w_i', 'rows_i', 'row_len_i', 'in_row_i', 'step_x_i', 'step_y_i', 'origin_i', 'origin_x_i'] as const;
const KEYS = ['mapH', 'mapC', 'sh', 'pt', 'outW', 'rows', 'rowLen', 'inRow', 'stepX', 'stepY', 'origin', 'originX'] as const;
type Desc = Pick<WindowWalkInputs, (typeof KEYS)[number]>;

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

const pack = (xs: bigint[], width: number): bigint => xs.reduce((a, x, i) => a | (x << BigInt(i * width)), 0n);
const unpack = (v: bigint, n: number, width: number): bigint[] =>
  Array.from({ length: n }, (_, i) => BigInt.asUintN(width, v >> BigInt(i * width)));

/** A random conv layer's descriptor fields (u32 patterns) and its walk: beats per patch, tiles, rows. */
function layer(rng: Rng, p: WindowWalkParams): { desc: Desc; seg: boolean; beats: number; tiles: number } {
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
  const u = (x: number): bigint => BigInt.asUintN(32, BigInt(x));
  const desc: Desc = {
    mapH: u(H), mapC: u(C), sh: u(sh), pt: u(pt), outW: u(Wo), rows: u(rows), rowLen: u(kw * C), inRow: u(s.inRow),
    stepX: u(s.stepX), stepY: u(s.stepY), origin: u(s.origin), originX: u(s.originX),
  };
  const beats = seg ? kh * Math.ceil((kw * C) / p.lanes) : kh * kw * C;
  // the walk: past the first output row's end (the wrap), at most all tiles
  return { desc, seg, beats, tiles: Math.min(Math.ceil((Ho * Wo) / rows), Math.ceil(Wo / rows) + 2) };
}

function stimulus(d: Design, seed: number, cases: number): bigint[][] {
  const p = params(d);
  const rng = new Rng(seed);
  const stim: bigint[][] = [];
  const hMax = 2 ** p.hBits - 1;
  const push = (c: Partial<WindowWalkInputs>, desc: Desc): void => {
    stim.push([
      ...[c.init, c.tile, c.step, c.last, c.seg].map((b) => (b ? 1n : 0n)),
      ...KEYS.map((k) => desc[k]),
      BigInt(rng.int(0, hMax)), pack(Array.from({ length: p.rows }, () => BigInt(rng.int(0, hMax))), p.hBits),
      BigInt(rng.int(0, 7)),
    ]);
  };
  while (stim.length < cases) {
    if (rng.float() < 0.2) {
      // random cycles: any descriptor, any controls
      const f = (): bigint => (rng.float() < 0.5 ? BigInt(rng.int(0, 12)) : rng.bigBits(32));
      const desc = Object.fromEntries(KEYS.map((k) => [k, f()])) as Desc;
      if (rng.float() < 0.5) desc.rows = BigInt(rng.int(0, p.rows + 1));
      for (let t = 0; t < 40; t++) {
        const b = (): boolean => rng.float() < 0.3;
        push({ init: rng.float() < 0.1, tile: b(), step: rng.float() < 0.7, last: b(), seg: b() }, desc);
      }
      continue;
    }
    const { desc, seg, beats, tiles } = layer(rng, p);
    const folds = beats > 16 ? 1 : rng.int(1, 2);
    push({ init: true, seg }, desc);
    for (let t = 0; t < tiles; t++) {
      for (let f = 0; f < folds; f++) {
        for (let k = 0; k < beats; k++) {
          while (rng.float() < 0.15) push({ seg }, desc);
          const last = k === beats - 1;
          push({ step: true, last, seg, tile: last && f === folds - 1 }, desc);
        }
      }
    }
  }
  for (let t = 0; t < 2; t++) push({}, Object.fromEntries(KEYS.map((k) => [k, 0n])) as Desc);
  return stim;
}

function model(d: Design, stim: bigint[][]): { outputs: bigint[][] } {
  const p = params(d);
  const ins = ports(d).filter((q) => q.dir === 'in');
  const m = new WindowWalkModel(p);
  const outputs: bigint[][] = [];
  for (const v of stim) {
    const u = v.map((x, j) => toBits(x, ins[j].width, ins[j].name));
    const desc = Object.fromEntries(KEYS.map((k, j) => [k, u[5 + j]])) as Desc;
    const x: WindowWalkInputs = {
      init: u[0] !== 0n, tile: u[1] !== 0n, step: u[2] !== 0n, last: u[3] !== 0n, seg: u[4] !== 0n, ...desc,
      pad: u[17], taps: unpack(u[18], p.rows, p.hBits), chan: u[19],
    };
    const o = m.outputs(x);
    outputs.push([pack(o.tapIdx, 32), pack(o.h, p.hBits), o.segPos, o.segSh, o.segNbits, pack(o.poolIdx, 32), o.pix]);
    m.step(x);
  }
  return { outputs };
}

export const convWindowUnit: UnitSpec = {
  name: 'conv_window',
  top: 'conv_window',
  hdlFiles: () => hdlFiles('conv_window'),
  parameters: (d) => convWindowVerilogParams(d),
  ports,
  designs,
  stimulus,
  model,
};

export default convWindowUnit;
