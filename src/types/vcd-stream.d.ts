/**
 * Types for the parts of `vcd-stream` (wavedrom's llparse VCD parser) that lowbit uses: its WASM build.
 * The package ships no types. Values and masks arrive as BigInt for any width; scalar changes carry only
 * a command code (14 = '0', 15 = '1', 16..28 = x/X/z/Z/u/U/w/W/l/L/h/H/-); vectors use command 30 ('b').
 */
declare module 'vcd-stream/out/vcd.js' {
  /** Instantiates the Emscripten WASM module (compiles vcd.wasm). */
  const createVCD: () => Promise<unknown>;
  export default createVCD;
}

declare module 'vcd-stream/lib/web-vcd-parser.js' {
  import type { Writable } from 'node:stream';

  export interface VcdVar {
    kind: 'var';
    /** e.g. `wire`, `reg` */
    type: string;
    size: number;
    /** the id code; Verilator may give several vars the same one */
    link: string;
    /** name with a `[size-1:0]` suffix stripped */
    name: string;
  }
  export interface VcdScope {
    kind: 'scope';
    type: string;
    name: string;
    body: (VcdScope | VcdVar)[];
  }
  export interface VcdInfo {
    wires: VcdScope;
    timescale?: string;
    version?: string;
    date?: string;
    comment?: string;
    /** `declaration` until `$enddefinitions`, then `simulation` */
    status?: string;
  }
  export type VcdChangeFn = (id: string, time: bigint, cmd: number, value?: bigint, mask?: bigint) => void;
  export interface VcdParser extends Writable {
    info: VcdInfo;
    change: {
      /** every value change (sets an empty trigger: all ids) */
      any(fn: VcdChangeFn): void;
      on(id: string, fn: (time: bigint, cmd: number, value?: bigint, mask?: bigint) => void): void;
    };
    getTime(): bigint;
  }
  const webVcdParser: (wasm: unknown) => Promise<VcdParser>;
  export default webVcdParser;
}
