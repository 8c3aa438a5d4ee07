import { InputError } from './errors.js';

/**
 * The one place where file-system errors (Node's `ErrnoException`: ENOENT, EACCES, EISDIR, ENOSPC, ...)
 * become one-line InputErrors (exit 2) that name the path and what to do. `withFsContext` wraps a read or
 * write site; the CLI's top level (src/cli/fail.ts) maps any that still escape with `fsErrorToInput`.
 */
const WHAT: Record<string, string> = {
  ENOENT: 'does not exist (or a folder on its path does not)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder; a file is needed here',
  ENOTDIR: 'a part of the path is not a folder',
  ENOTEMPTY: 'is a folder that is not empty',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'is on a read-only file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'is busy',
  EXDEV: 'cannot be moved across file systems',
  EINVAL: 'is not a valid path here',
  EIO: 'input/output error on the device',
  EFBIG: 'the file is too large',
  ENXIO: 'no such device',
  ETXTBSY: 'is a running program',
};

/** True for a Node file-system error (it has a string `code` such as ENOENT and a `syscall`). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!)
    && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** The InputError for a file-system error at `path` while doing `action` ('read', 'write', ...). */
export function fsErrorToInput(e: NodeJS.ErrnoException, path?: string, action?: string): InputError {
  // a temporary of ours is an implementation detail: name the target the user gave
  const p = (e.path !== undefined && !/\.lowbit-(tmp|old)-/.test(e.path) ? e.path : undefined) ?? path ?? e.path ?? '(unknown path)';
  const what = WHAT[e.code ?? ''] ?? (e.message.split('\n')[0] ?? 'failed');
  const verb = action ?? (e.syscall ? syscallVerb(e.syscall) : 'access');
  const fix = e.code === 'ENOENT' ? 'check the path' : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? 'choose a path you may write/read' : e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'free space or choose another folder' : 'choose another path';
  const also = path !== undefined && p !== path ? ` (while trying to ${verb} ${path})` : '';
  return new InputError(`cannot ${verb} ${p}: ${what} (${e.code})${also}; ${fix}`);
}

function syscallVerb(s: string): string {
  if (/open|read|stat|access|scandir|readlink|realpath/.test(s)) return 'read';
  if (/write|mkdir|rename|unlink|rmdir|rm|copy|symlink|chmod|fsync|ftruncate|truncate/.test(s)) return 'write';
  return 'access';
}

/** Runs `fn`; a file-system error it throws becomes the InputError naming `path`. */
export function withFsContext<T>(path: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isFsError(e)) throw fsErrorToInput(e, path, action);
    throw e;
  }
}
