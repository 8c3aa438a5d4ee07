import { expect } from 'vitest';
import { InputError } from '../../../src/util/errors.js';

/** Runs `f`, expects it to throw an InputError, and returns the message (for exact-text assertions). */
export function inputErrorMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}
