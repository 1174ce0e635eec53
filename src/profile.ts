import type { KernelTime } from './backend/backend.js';
import { getBackend } from './runtime.js';

export type { KernelTime };

export interface ProfileResult<T> {
  /** What `fn` returned. */
  result: T;
  /** Time per kernel, summed over its launches, most time first. */
  kernels: KernelTime[];
  /** The kernels' total time: GPU time on WebGPU (timestamp queries), wall time on the CPU. */
  totalMs: number;
  backend: string;
}

/**
 * Runs `fn` and reports the time of every kernel it launched, e.g. the top kernels of one
 * training step. On WebGPU each dispatch gets a pass of its own with timestamp queries, which
 * slows the profiled run itself: use it to see where the time goes, not how long things take.
 */
export async function profile<T>(fn: () => T | Promise<T>): Promise<ProfileResult<T>> {
  const backend = getBackend();
  backend.startProfile();
  let result: T;
  let kernels: KernelTime[];
  try {
    result = await fn();
  } finally {
    kernels = await backend.stopProfile();
  }
  return { result, kernels, totalMs: kernels.reduce((s, k) => s + k.ms, 0), backend: backend.name };
}

/** The top kernels as an aligned text table. */
export function formatProfile(p: Pick<ProfileResult<unknown>, 'kernels' | 'totalMs'>, top = 10): string {
  const rows = p.kernels.slice(0, top);
  const width = Math.max(6, ...rows.map((k) => k.kernel.length));
  const lines = rows.map(
    (k) => `${k.kernel.padEnd(width)}  ${String(k.count).padStart(6)}  ${k.ms.toFixed(3).padStart(9)}  ${((100 * k.ms) / (p.totalMs || 1)).toFixed(1).padStart(5)}%`,
  );
  return [`${'kernel'.padEnd(width)}  ${'calls'.padStart(6)}  ${'ms'.padStart(9)}  ${'share'.padStart(6)}`, ...lines].join('\n');
}
