import { badValue } from './errors.js';

/**
 * Keys that come from data (sweep axes, dotted Design paths, scheme names, JSON field names used as object
 * keys) must never be `__proto__`, `constructor` or `prototype`: assigning through them would change
 * Object.prototype for the whole process. `checkDataKey` refuses them (each part of a dotted path).
 */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export function checkDataKey(where: string, key: string, dotted = false): string {
  const parts = dotted ? key.split('.') : [key];
  for (const p of parts) {
    if (FORBIDDEN_KEYS.includes(p)) throw badValue(where, key, `a name that is not ${FORBIDDEN_KEYS.join(', ')}${dotted ? ' (in any part of the path)' : ''}`);
    if (dotted && p === '') throw badValue(where, key, 'a dotted path without empty parts, e.g. array.dataflow');
  }
  return key;
}
