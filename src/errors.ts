/**
 * The one error type webgrad throws for bad input: it names the op and says what was expected,
 * e.g. `mm: shapes [3,4] and [5,6] cannot be multiplied (4 != 5)`. It is thrown before any GPU
 * work, and a refused call changes nothing, so the program may catch it and go on.
 *
 * PyTorch equivalent: the `RuntimeError` / `ValueError` / `IndexError` torch raises for bad
 * arguments.
 *
 * @example
 * ```ts
 * try {
 *   wg.zeros([3, 4]).mm(wg.zeros([5, 6]));
 * } catch (e) {
 *   if (e instanceof wg.WebgradError) console.log(e.op);   // 'mm'
 * }
 * ```
 */
export class WebgradError extends Error {
  /** The op that refused its input (`'mm'`, `'crossEntropy'`, `'init'`, ...). */
  readonly op: string;
  /** `message` is prefixed with `op: `. */
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'WebgradError';
    this.op = op;
  }
}

export function check(cond: unknown, op: string, message: () => string): asserts cond {
  if (!cond) throw new WebgradError(op, message());
}

export const fmtShape = (shape: readonly number[]): string => `[${shape.join(',')}]`;
