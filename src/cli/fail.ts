import { LowbitError } from '../util/errors.js';
import { fsErrorToInput, isFsError } from '../util/fs_errors.js';

/**
 * How the CLI ends on an error, in one place: a LowbitError prints its one-line message with its exit code
 * (2 bad input, 1 a failed check); a file-system error becomes the InputError naming the path
 * (src/util/fs_errors.ts); a failed allocation is one line pointing at --max-memory. Anything else is a
 * bug in lowbit: one line asking to report it, the stack only with LOWBIT_DEBUG=1. Returns the exit code.
 */
export function reportFailure(e: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  const err = isFsError(e) ? fsErrorToInput(e) : e;
  if (err instanceof LowbitError) {
    write(`lowbit: ${err.exitCode === 2 ? oneLine(err.message) : err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof RangeError && /allocation failed|Invalid (typed )?array length|Invalid string length|Array buffer allocation|out of memory/i.test(err.message)) {
    write(`lowbit: out of memory (${oneLine(err.message)}); ask for smaller sizes, or set a budget with --max-memory so that lowbit refuses such requests up front\n`);
    return 2;
  }
  if (process.env.LOWBIT_DEBUG === '1') {
    write(`lowbit: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  } else {
    const msg = err instanceof Error ? `${err.name}: ${oneLine(err.message)}` : oneLine(String(err));
    write(`lowbit: internal error (a bug in lowbit): ${msg}; please report it with the command line (LOWBIT_DEBUG=1 prints the stack)\n`);
  }
  return 2;
}

function oneLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ');
}
