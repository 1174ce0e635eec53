import { WebgradError } from './errors.js';

/**
 * Checks an options argument: absent (undefined), or a plain object whose own keys are all in
 * `accepted`. A misspelt or unsupported key is refused by name instead of silently ignored:
 * `crossEntropy(x, t, { ignoreIndex: 2 })` must not return a loss computed without it.
 * Returns the options (an empty object when absent) typed for destructuring.
 */
export function options<T extends object>(op: string, opts: T | undefined | null, accepted: readonly (keyof T & string)[]): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new WebgradError(op, `options must be an object, got ${Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  for (const key of Object.keys(opts)) {
    if (!(accepted as readonly string[]).includes(key)) {
      const list = accepted.length > 0 ? accepted.join(', ') : 'none';
      throw new WebgradError(op, `unknown option '${key}' (accepted: ${list})`);
    }
  }
  return opts;
}
