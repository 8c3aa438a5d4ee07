import { ToolError } from '../util/errors.js';

/**
 * A tiny WebAssembly loader: compiles WAT text (through the `wabt` package, SIMD128 enabled) into an
 * instance whose memory the caller can grow. The WAT must `(import "env" "memory" (memory 1))`; the loader
 * creates that memory, so JS views are re-taken after every `ensureBytes` (growing detaches old views).
 *
 * Compilation is cached per WAT text, so calling `loadWat` again for the same source is cheap.
 */

/** The parts of the WebAssembly JS API used here (tsconfig has no DOM lib, @types/node 20 omits them). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  compile(bin: Uint8Array): Promise<object>;
  Module: new (bin: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  instantiate(m: object, imports: object): Promise<{ exports: Record<string, unknown> }>;
  validate(bin: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface WasmKernel<E> {
  /** the instance's exports (functions) */
  exports: E;
  /** the compiled module (a worker thread instantiating it shares its compiled code) */
  module: object;
  /** the shared linear memory */
  memory: WasmMemory;
  /** grows the memory (in 64 KiB pages) so at least `bytes` bytes exist; old views are then detached */
  ensureBytes(bytes: number): void;
}

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
let wabtPromise: Promise<Wabt> | undefined;
const moduleCache = new Map<string, Promise<object>>();

/** WAT text -> wasm binary (SIMD, bulk memory, sign extension and threads (shared memory) enabled). */
export async function watToWasm(wat: string, name = 'kernel.wat'): Promise<Uint8Array> {
  // loaded on first use: the GEMM kernels ship precompiled and never pay for wabt's start-up
  wabtPromise ??= import('wabt').then((m) => m.default());
  const wabt = await wabtPromise;
  const features = { simd: true, bulk_memory: true, sign_extension: true, mutable_globals: true, threads: true };
  let mod;
  try {
    mod = wabt.parseWat(name, wat, features);
  } catch (e) {
    throw new ToolError(`${name}: WAT does not compile: ${(e as Error).message}`);
  }
  try {
    mod.resolveNames();
    // the features again: wabt validates against its defaults otherwise (no shared memory); its typings omit them
    (mod as unknown as { validate(f: typeof features): void }).validate(features);
    return mod.toBinary({}).buffer.slice();
  } catch (e) {
    throw new ToolError(`${name}: WAT does not validate: ${(e as Error).message}`);
  } finally {
    mod.destroy();
  }
}

/** Compiles (cached) and instantiates `wat` with a fresh memory of `initialPages` 64 KiB pages. */
export async function loadWat<E = Record<string, (...args: number[]) => number>>(
  wat: string,
  opts: { name?: string; initialPages?: number; maximumPages?: number } = {},
): Promise<WasmKernel<E>> {
  let modP = moduleCache.get(wat);
  if (!modP) {
    modP = watToWasm(wat, opts.name).then((bin) => WA.compile(bin));
    moduleCache.set(wat, modP);
    modP.catch(() => moduleCache.delete(wat));
  }
  const module = await modP;
  const memory = new WA.Memory({ initial: opts.initialPages ?? 1, maximum: opts.maximumPages ?? 65536 });
  const instance = await WA.instantiate(module, { env: { memory } });
  return {
    exports: instance.exports as unknown as E,
    module,
    memory,
    ensureBytes(bytes: number): void {
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
    },
  };
}

/**
 * A memory of `initialPages` 64 KiB pages, growable to `maximumPages`, shared between threads: its buffer is
 * a SharedArrayBuffer, it can be posted to a worker thread, and growing it keeps its address (views taken
 * before a grow stay valid but do not cover the new pages). For modules importing `(memory ... shared)`.
 */
export function sharedWasmMemory(initialPages = 1, maximumPages = 65536): WasmMemory {
  return new WA.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
}

/**
 * Synchronous variant for an already-compiled binary (Node compiles any size synchronously), or a
 * compiled module (`WasmKernel.module`, e.g. posted from another thread). Used by the GEMM kernels, whose
 * binary is embedded, so they need no async start-up. `memory`: the memory to import
 * (a `sharedWasmMemory` for a module declaring a shared memory); by default a fresh unshared one.
 */
export function instantiateWasmSync<E>(
  bin: Uint8Array | object, initialPages = 1, maximumPages = 65536, memory = new WA.Memory({ initial: initialPages, maximum: maximumPages }),
): WasmKernel<E> {
  const module = bin instanceof Uint8Array ? new WA.Module(bin) : bin;
  const instance = new WA.Instance(module, { env: { memory } });
  return {
    exports: instance.exports as unknown as E,
    module,
    memory,
    ensureBytes(bytes: number): void {
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
    },
  };
}

/** Whether this runtime supports WebAssembly SIMD128 (Node 20 does). */
export function simdSupported(): boolean {
  // (module (func (result v128) (v128.const i64x2 0 0)))
  const bin = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
  ]);
  return WA.validate(bin);
}
