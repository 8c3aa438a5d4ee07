import { spawn } from 'node:child_process';
import { ToolError } from '../util/errors.js';
import { onInterrupt } from '../util/fsafe.js';

/** Result of an external tool run. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool asynchronously and collects its output (capped at 4 MiB per stream). A missing executable
 * becomes a ToolError naming it; a non-zero exit is returned, not thrown, so callers word the message.
 */
export function runTool(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ToolResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    // a SIGINT/SIGTERM of lowbit (not only a Ctrl-C of the whole process group) stops the tool too
    const unhook = onInterrupt(() => child.kill('SIGTERM'));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    const CAP = 4 << 20;
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < CAP) out.push(b);
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < CAP) err.push(b);
      errLen += b.length;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      unhook();
      reject(e.code === 'ENOENT' ? new ToolError(`${cmd}: not found on the PATH`) : e);
    });
    child.on('close', (code, signal) => {
      unhook();
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal})` : ''),
      });
    });
  });
}
