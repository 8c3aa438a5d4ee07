import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  acquireLock, checkOutputDir, OUTPUT_MARKER, readInputFile, recoverTarget, writeDirAtomic, writeFileAtomic,
} from '../../src/util/fsafe.js';
import { checkAlloc, parseSize, setMemoryBudget, memoryBudget } from '../../src/util/budget.js';
import { fsErrorToInput, withFsContext } from '../../src/util/fs_errors.js';
import { InputError } from '../../src/util/errors.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'lowbit-fsafe-'));
const kind = { kind: 'test-output' };

describe('safe outputs (src/util/fsafe.ts)', () => {
  it('never replaces a folder it did not write; --force does; its own output is replaced', () => {
    const d = tmp();
    const mine = join(d, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'thesis.tex'), 'years of work');
    expect(() => writeDirAtomic(mine, (t) => writeFileSync(join(t, 'a'), '1'), kind)).toThrow(/lowbit did not write .*thesis\.tex.*--force/);
    expect(readFileSync(join(mine, 'thesis.tex'), 'utf8')).toBe('years of work');
    const out = join(d, 'out');
    writeDirAtomic(out, (t) => writeFileSync(join(t, 'a'), '1'), kind);
    writeDirAtomic(out, (t) => writeFileSync(join(t, 'a'), '2'), kind);
    expect(readFileSync(join(out, 'a'), 'utf8')).toBe('2');
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'a']);
    expect(() => writeDirAtomic(out, () => {}, { kind: 'other' })).toThrow(/holds a lowbit test-output folder, not a other/);
    writeDirAtomic(mine, (t) => writeFileSync(join(t, 'a'), '3'), { ...kind, force: true });
    expect(readdirSync(mine).sort()).toEqual([OUTPUT_MARKER, 'a']);
    expect(readdirSync(d).sort()).toEqual(['mine', 'out']); // no temporaries left
  });

  it('refuses a file where a folder goes, and keeps the old folder when fill throws', () => {
    const d = tmp();
    writeFileSync(join(d, 'f'), 'x');
    expect(() => checkOutputDir(join(d, 'f'), kind)).toThrow(/exists and is not a folder/);
    const out = join(d, 'out');
    writeDirAtomic(out, (t) => writeFileSync(join(t, 'a'), '1'), kind);
    expect(() => writeDirAtomic(out, () => { throw new InputError('boom'); }, kind)).toThrow(/boom/);
    expect(readFileSync(join(out, 'a'), 'utf8')).toBe('1');
    expect(readdirSync(d).sort()).toEqual(['f', 'out']);
  });

  it('restores the old folder left between the two renames of a swap, removes dead temporaries', () => {
    const d = tmp();
    const out = join(d, 'm');
    const old = join(d, '.m.lowbit-old-999999999-0123456789abcdef');
    mkdirSync(old);
    writeFileSync(join(old, 'model.json'), 'old');
    const deadTmp = join(d, '.m.lowbit-tmp-999999999-fedcba9876543210');
    mkdirSync(deadTmp);
    recoverTarget(out);
    expect(readFileSync(join(out, 'model.json'), 'utf8')).toBe('old');
    expect(readdirSync(d)).toEqual(['m']);
  });

  it('writes files through an exclusive temporary: a planted symlink is not followed', () => {
    const d = tmp();
    const victim = join(d, 'victim');
    writeFileSync(victim, 'precious');
    // plant symlinks at every name an old lowbit would have used; the random name is not guessable
    for (let i = 0; i < 5; i++) symlinkSync(victim, join(d, `.out.${process.pid}.${Date.now() + i}.tmp`));
    writeFileAtomic(join(d, 'out'), 'new');
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readFileSync(join(d, 'out'), 'utf8')).toBe('new');
    expect(readdirSync(d).filter((f) => f.includes('lowbit-tmp'))).toEqual([]);
  });

  it('locks: a second writer is refused while the first holds the lock; a dead holder is taken over', () => {
    const d = tmp();
    const f = join(d, 'r.jsonl');
    const release = acquireLock(f, 'sweep --out');
    writeFileSync(`${f}.lock`, '1\n'); // pid 1 is alive in every container
    expect(() => acquireLock(f, 'sweep --out')).toThrow(/another lowbit process \(pid 1\)/);
    writeFileSync(`${f}.lock`, '999999999\n');
    const r2 = acquireLock(f, 'sweep --out');
    r2();
    release();
    expect(existsSync(`${f}.lock`)).toBe(false);
  });

  it('reads only regular files inside the budget and inside a folder when asked', () => {
    const d = tmp();
    expect(() => readInputFile('/dev/zero', '--x')).toThrow(/not a regular file/);
    expect(() => readInputFile(d, '--x')).toThrow(/is a folder/);
    expect(() => readInputFile(join(d, 'nope'), '--x')).toThrow(/does not exist/);
    writeFileSync(join(d, 'a'), 'abc');
    symlinkSync('/etc/hostname', join(d, 'link'));
    expect(readInputFile(join(d, 'a'), '--x', { inside: d }).toString()).toBe('abc');
    expect(() => readInputFile(join(d, 'link'), 'blob', { inside: d })).toThrow(/outside/);
    expect(() => readInputFile(join(d, 'a'), '--x', { maxBytes: 2 })).toThrow(/at most 2 bytes/);
  });

  it('a kill mid-write leaves the old output whole; the next write removes the leftover', async () => {
    const d = tmp();
    const out = join(d, 'out');
    writeDirAtomic(out, (t) => writeFileSync(join(t, 'a'), 'old'), kind);
    const url = new URL('../../src/util/fsafe.ts', import.meta.url).href;
    const script = `import(${JSON.stringify(url)}).then((m) => m.writeDirAtomic(${JSON.stringify(out)}, (t) => {
      require('node:fs').writeFileSync(t + '/a', 'new'); process.stdout.write('filling\\n'); const end = Date.now() + 20000; while (Date.now() < end) {}
    }, { kind: 'test-output' }));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=commonjs', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    expect(readFileSync(join(out, 'a'), 'utf8')).toBe('old');
    writeDirAtomic(out, (t) => writeFileSync(join(t, 'a'), 'newer'), kind); // the next run removes the leftover
    expect(readdirSync(d)).toEqual(['out']);
  }, 30000);
});

describe('memory budget and file-system errors', () => {
  it('refuses a request above the budget naming the size and --max-memory', () => {
    const before = memoryBudget();
    setMemoryBudget(parseSize('--max-memory', '1M'));
    try {
      expect(() => checkAlloc('GEMM 16384x16384', 3 * 2 ** 30)).toThrow(/GEMM 16384x16384 needs 3.00 GiB; the memory budget is 1.00 MiB \(raise it with --max-memory/);
      expect(() => checkAlloc('x', NaN)).toThrow(/unbounded/);
      checkAlloc('small', 1000);
    } finally {
      setMemoryBudget(before);
    }
    expect(parseSize('s', '1.5G')).toBe(1.5 * 2 ** 30);
    expect(() => parseSize('--max-memory', 'lots')).toThrow(/--max-memory: got "lots"/);
  });

  it('maps errno errors to one line naming the path', () => {
    expect(() => withFsContext('/nonexistent/x', 'read', () => readFileSync('/nonexistent/x'))).toThrow(/^cannot read \/nonexistent\/x: does not exist.*\(ENOENT\); check the path$/);
    const e = Object.assign(new Error('EACCES: permission denied, open \'/root/x\''), { code: 'EACCES', syscall: 'open', path: '/root/x' });
    expect(fsErrorToInput(e).message).toBe('cannot read /root/x: permission denied (EACCES); choose a path you may write/read');
  });
});
