import { WebgradError } from '../errors.js';

// The option checks every optimizer and scheduler shares. Infinity is refused with NaN: an
// infinite lr or decay turns every parameter into ±Inf/NaN on the first step.

export function checkNumber(op: string, name: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new WebgradError(op, `invalid ${name}: ${String(value)} (expected ${expected})`);
  }
}

export const nonNegative = (op: string, name: string, value: unknown): void =>
  checkNumber(op, name, value, (v) => v >= 0, 'a finite number >= 0');

/** A number in [0, 1) (momentum-like coefficients: 1 would never forget). */
export const unitInterval = (op: string, name: string, value: unknown): void =>
  checkNumber(op, name, value, (v) => v >= 0 && v < 1, 'a number in [0, 1)');

/** A number in [0, 1] (rho and alpha: torch.optim accepts 1). */
export const closedUnitInterval = (op: string, name: string, value: unknown): void =>
  checkNumber(op, name, value, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');

export function checkBetas(op: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) throw new WebgradError(op, `betas must be a pair [beta1, beta2], got ${String(betas)}`);
  betas.forEach((b, i) => unitInterval(op, `beta parameter at index ${i}`, b));
}

export function checkBoolean(op: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new WebgradError(op, `${name} must be a boolean, got ${String(value)}`);
}

export function checkInteger(op: string, name: string, value: unknown, min: number): void {
  checkNumber(op, name, value, (v) => Number.isInteger(v) && v >= min, `an integer >= ${min}`);
}
