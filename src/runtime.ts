import { ContextSlot } from './async-context.js';
import type { Backend, BackendInfo, DeviceLostInfo } from './backend/backend.js';
import { CpuBackend } from './backend/cpu/cpu-backend.js';
import { WebgradError } from './errors.js';
import { logger } from './logger.js';
import { options } from './options.js';

/**
 * Which backend {@link init} takes: `'webgpu'` (fails when no adapter exists), `'cpu'`, or
 * `'auto'` (WebGPU when an adapter exists, else the CPU backend with a warning).
 */
export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

/** Options of {@link init}. */
export interface InitOptions {
  /** 'auto' (default) takes WebGPU when an adapter exists, else the CPU backend. */
  backend?: BackendChoice;
  /** Report the backend chosen, through the logger's `info` (see `setLogger`). Default false. */
  verbose?: boolean;
}

let current: Backend | null = null;
const selected = new ContextSlot<Backend>();

/**
 * @internal Runs `fn` with `backend` as the one factories create on (the fuzz and joining tests
 * build CPU references). In Node only `fn` and the async work it starts see it (the selection
 * follows the async context); in browsers it is global while `fn` runs, so code that must not
 * be seen by concurrent tasks (gradcheck) passes synchronous functions only.
 */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  return selected.run(backend, fn);
}

/** The backend new tensors are created on; the CPU backend until `init()` picks another. */
export function getBackend(): Backend {
  const chosen = selected.get();
  if (chosen !== undefined) return chosen;
  current ??= new CpuBackend();
  return current;
}

/**
 * Chooses the backend: WebGPU (`navigator.gpu` in a browser, Dawn from the optional `webgpu`
 * package in Node) or the CPU backend. Calling it again (e.g. after `destroy()` or a lost
 * device) starts over; tensors made on the previous backend cannot be mixed with new ones.
 * It prints nothing unless `verbose` is set; falling back to the CPU warns through the logger
 * (see {@link setLogger}).
 *
 * PyTorch equivalent: choosing `torch.device('cuda' if torch.cuda.is_available() else 'cpu')`,
 * once for the whole program.
 *
 * @example
 * ```ts
 * const info = await wg.init();          // or init({ backend: 'cpu' })
 * console.log(info.name);                // 'webgpu' or 'cpu'
 * ```
 */
export async function init(opts: InitOptions = {}): Promise<BackendInfo> {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new WebgradError('init', `options must be an object like { backend: 'webgpu' }, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  const choice = options('init', opts, ['backend', 'verbose']).backend ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(choice)) {
    throw new WebgradError('init', `backend must be 'auto', 'webgpu' or 'cpu', got '${String(choice)}'`);
  }
  if (current && current.name === 'webgpu') current.destroy();
  current = null;
  if (choice !== 'cpu') {
    const { createWebGPUBackend } = await import('./backend/webgpu/device.js');
    const gpu = await createWebGPUBackend({ onLost: notifyLost });
    if (gpu) current = gpu;
    else if (choice === 'webgpu') throw new WebgradError('init', 'no WebGPU adapter is available (requested backend: webgpu)');
    else logger().warn("webgrad: no WebGPU adapter is available; using the CPU backend (pass init({ backend: 'cpu' }) to choose it without this warning)");
  }
  current ??= new CpuBackend();
  const info = current.info();
  if (opts.verbose) {
    const a = info.adapter;
    logger().info(`webgrad: using the ${info.name} backend${a ? ` (${[a.vendor, a.architecture, a.device].filter(Boolean).join(' ')})` : ''}`);
  }
  return info;
}

const lostListeners = new Set<(info: DeviceLostInfo) => void>();

function notifyLost(info: DeviceLostInfo): void {
  for (const fn of [...lostListeners]) {
    try {
      fn(info);
    } catch (e) {
      logger().warn(`webgrad: an onDeviceLost callback threw: ${(e as Error).message}`);
    }
  }
}

/**
 * Calls `callback` when the WebGPU device is lost (a driver reset or crash, the browser
 * reclaiming the GPU, another `destroy()` of the device): with the reason and message the
 * device reported. From then on every op fails with a clear error; `backendInfo().lost` says
 * why. To continue, call `init()` again, reload your last checkpoint (`wg.load`,
 * `loadStateDict`, `setRngState`) and go on (examples/mnist does: `--resume`). Not called for
 * webgrad's own `destroy()`. Returns a function that removes the callback.
 *
 * PyTorch equivalent: none (a CUDA error is raised by the next call); the nearest is catching
 * it and restarting from a checkpoint.
 *
 * @example
 * ```ts
 * wg.onDeviceLost(({ reason, message }) => console.warn(`GPU lost (${reason}): ${message}`));
 * ```
 */
export function onDeviceLost(callback: (info: DeviceLostInfo) => void): () => void {
  if (typeof callback !== 'function') throw new WebgradError('onDeviceLost', `expected a function, got ${callback === null ? 'null' : typeof callback}`);
  lostListeners.add(callback);
  return () => {
    lostListeners.delete(callback);
  };
}

/**
 * The current backend: its name and, on WebGPU, the adapter's vendor, architecture and device,
 * and `lost` (null while the device works, else the reason and message it was lost with).
 *
 * PyTorch equivalent: `torch.cuda.get_device_name()`.
 */
export const backendInfo = (): BackendInfo => getBackend().info();

/**
 * Releases the device (so a Node process can exit) and returns to the CPU backend; tensors made
 * before can no longer be used.
 *
 * PyTorch equivalent: none (CUDA contexts live as long as the process); `torch.cuda.empty_cache()`
 * is the nearest.
 */
export function destroy(): void {
  current?.destroy();
  current = null;
}
