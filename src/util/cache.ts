import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { InputError } from './errors.js';

/**
 * lowbit's cache folder (Verilator builds, Yosys results, accuracy runs, VCDs), never inside the
 * installed package: `$LOWBIT_CACHE` if set, else `$XDG_CACHE_HOME/lowbit`, else `~/.cache/lowbit`
 * (the XDG base-directory rule). The folder is created by whoever writes into it.
 */
export function userCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.LOWBIT_CACHE_DIR !== undefined && env.LOWBIT_CACHE === undefined) {
    throw new InputError('the environment variable LOWBIT_CACHE_DIR is now LOWBIT_CACHE (the cache folder)');
  }
  if (env.LOWBIT_CACHE) return env.LOWBIT_CACHE;
  const xdg = env.XDG_CACHE_HOME;
  // the XDG spec: a relative XDG_CACHE_HOME is invalid and ignored
  if (xdg && isAbsolute(xdg)) return join(xdg, 'lowbit');
  return join(homedir(), '.cache', 'lowbit');
}
