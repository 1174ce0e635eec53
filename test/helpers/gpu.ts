import { createWebGPUBackend, type WebGPUBackend } from '../../src/backend/webgpu/device.js';

/**
 * A WebGPU backend on this machine's adapter, or null (the caller skips its GPU tests).
 * Under CI=true a missing adapter is a failure, not a skip: CI installs lavapipe for this.
 */
export async function gpuBackendOrSkip(): Promise<WebGPUBackend | null> {
  let backend: WebGPUBackend | null = null;
  let why = 'no adapter';
  try {
    backend = await createWebGPUBackend();
  } catch (e) {
    why = (e as Error).message;
  }
  if (backend === null) {
    if (process.env.CI === 'true') throw new Error(`CI=true but no WebGPU backend could be created: ${why}`);
    console.warn(`WebGPU backend tests skipped: ${why}`);
  }
  return backend;
}
