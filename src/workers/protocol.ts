/** The reply of a pool worker's `call`: the function's value, or its error as data. */
export type WorkerReply =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; message: string; stack?: string; exitCode?: number } };
