/**
 * The one error type webgrad throws for bad input: it names the op and says what was expected,
 * e.g. `mm: shapes [3,4] and [5,6] cannot be multiplied (4 != 5)`.
 */
export class WebgradError extends Error {
  readonly op: string;
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
