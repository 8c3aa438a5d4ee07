/** Types for comlink's Node adapter (`comlink/dist/esm/node-adapter.mjs`), which ships a `.d.ts` that TS
 * does not pick up for the `.mjs` path. It wraps a `worker_threads` port as a comlink Endpoint. */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: unknown[]): void;
    on(type: string, listener: (value: unknown) => void): void;
    off(type: string, listener: (value: unknown) => void): void;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
