import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';

/** cli-progress, loaded on the first bar (CLI start-up time) */
let bars: typeof CliProgress | undefined;

/** A progress reporter on stderr (never stdout, which carries results). Silent when stderr is not a TTY
 * unless `LOWBIT_PROGRESS=1`; then it prints a line every ~2 s so CI logs still show progress. */
export interface Progress {
  tick(n?: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export function progress(label: string, total: number): Progress {
  if (process.stderr.isTTY) {
    const cliProgress = (bars ??= createRequire(import.meta.url)('cli-progress') as typeof CliProgress);
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] {value}/{total} {eta_formatted} {info}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      tick: (n = 1, info) => bar.increment(n, { info: info ? fmtInfo(info) : '' }),
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  let last = 0;
  const verbose = process.env.LOWBIT_PROGRESS === '1';
  return {
    tick(n = 1, info) {
      done += n;
      const now = Date.now();
      if (verbose && (now - last > 2000 || done === total)) {
        last = now;
        process.stderr.write(`${label} ${done}/${total} ${info ? fmtInfo(info) : ''}\n`);
      }
    },
    stop() {},
  };
}

function fmtInfo(info: Record<string, string | number>): string {
  return Object.entries(info)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : v}`)
    .join(' ');
}
