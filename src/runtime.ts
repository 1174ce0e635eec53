import type { Backend, BackendInfo } from './backend/backend.js';
import { CpuBackend } from './backend/cpu/cpu-backend.js';
import { WebgradError } from './errors.js';
import { logger } from './logger.js';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export interface InitOptions {
  /** 'auto' (default) takes WebGPU when an adapter exists, else the CPU backend. */
  backend?: BackendChoice;
  /** Report the backend chosen, through the logger's `info` (see `setLogger`). Default false. */
  verbose?: boolean;
}

let current: Backend | null = null;

/**
 * @internal Runs `fn` with `backend` as the current one (gradcheck uses the CPU backend in
 * float64 whatever the user chose).
 */
export async function withBackend<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  const prev = getBackend();
  current = backend;
  try {
    return await fn();
  } finally {
    current = prev;
  }
}

/** The backend new tensors are created on; the CPU backend until `init()` picks another. */
export function getBackend(): Backend {
  current ??= new CpuBackend();
  return current;
}

/**
 * Chooses the backend. Calling it again (e.g. after `destroy()` or a lost device) starts over;
 * tensors made on the previous backend cannot be mixed with new ones.
 */
export async function init(opts: InitOptions = {}): Promise<BackendInfo> {
  const choice = opts.backend ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(choice)) {
    throw new WebgradError('init', `backend must be 'auto', 'webgpu' or 'cpu', got '${String(choice)}'`);
  }
  if (current && current.name === 'webgpu') current.destroy();
  current = null;
  if (choice !== 'cpu') {
    const { createWebGPUBackend } = await import('./backend/webgpu/device.js');
    const gpu = await createWebGPUBackend();
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

export const backendInfo = (): BackendInfo => getBackend().info();

/** Releases the device (so a Node process can exit) and returns to the CPU backend. */
export function destroy(): void {
  current?.destroy();
  current = null;
}
