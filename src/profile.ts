import type { KernelTime } from './backend/backend.js';
import { getBackend } from './runtime.js';

export type { KernelTime };

/** What {@link profile} returns. */
export interface ProfileResult<T> {
  /** What `fn` returned. */
  result: T;
  /** Time per kernel, summed over its launches, most time first. */
  kernels: KernelTime[];
  /** The kernels' total time: GPU time on WebGPU (timestamp queries), wall time on the CPU. */
  totalMs: number;
  /** The backend that ran `fn` (`'webgpu'` or `'cpu'`). */
  backend: string;
}

/**
 * Runs `fn` and reports the time of every kernel it launched, e.g. the top kernels of one
 * training step. On WebGPU each dispatch gets a pass of its own with timestamp queries, which
 * slows the profiled run itself: use it to see where the time goes, not how long things take.
 *
 * PyTorch equivalent: `torch.profiler.profile()` and `prof.key_averages()`.
 *
 * @example
 * ```ts
 * const p = await wg.profile(async () => {
 *   const loss = model.forward(x).sub(y).pow(2).mean();
 *   loss.backward();
 *   await loss.item();
 * });
 * console.log(wg.formatProfile(p, 5));
 * ```
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

/**
 * The `top` kernels of a {@link profile} result as an aligned text table: kernel, calls, ms and
 * share of the total.
 *
 * PyTorch equivalent: `prof.key_averages().table(row_limit=top)`.
 */
export function formatProfile(p: Pick<ProfileResult<unknown>, 'kernels' | 'totalMs'>, top = 10): string {
  const rows = p.kernels.slice(0, top);
  const width = Math.max(6, ...rows.map((k) => k.kernel.length));
  const lines = rows.map(
    (k) => `${k.kernel.padEnd(width)}  ${String(k.count).padStart(6)}  ${k.ms.toFixed(3).padStart(9)}  ${((100 * k.ms) / (p.totalMs || 1)).toFixed(1).padStart(5)}%`,
  );
  return [`${'kernel'.padEnd(width)}  ${'calls'.padStart(6)}  ${'ms'.padStart(9)}  ${'share'.padStart(6)}`, ...lines].join('\n');
}
