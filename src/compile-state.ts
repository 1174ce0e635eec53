import { WebgradError } from './errors.js';

/**
 * Whether a compiled step (src/compile.ts) is running: a readback inside one is refused. Kept
 * apart from compile.ts so that tensor.ts can ask without importing the compiler.
 */
let depth = 0;

export function enterCompiledStep(): void {
  depth++;
}

export function leaveCompiledStep(): void {
  depth--;
}

/** Throws the error a readback inside a compiled step gets. */
export function refuseReadInCompiledStep(op: string): void {
  if (depth === 0) return;
  throw new WebgradError(op, `${op}() inside a compiled step: a step compiled with wg.compile() may not wait for the device. ` +
    'Return the tensor from the step and read it after the call (const loss = step(x, y); await loss.item())');
}

let plans = 0;
/** Counts the plans compiled steps cache (compile.ts), for `wg.memory()`. */
export function notePlans(delta: number): void {
  plans += delta;
}
export const compiledPlans = (): number => plans;
