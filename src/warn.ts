/**
 * Warnings for silent traps (PyTorch warns in the same places). Each distinct `key` warns once
 * per process: a training loop that reads a non-leaf `.grad` every step must not print a
 * thousand lines. They go through the logger (`wg.setLogger`), like every word the library says.
 */
import { logger } from './logger.js';

const warned = new Set<string>();

export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  logger().warn(`webgrad: ${message}`);
}

/** @internal For tests: forget which warnings were given, so each can be seen again. */
export function resetWarnings(): void {
  warned.clear();
}
