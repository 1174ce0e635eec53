import { createWebGPUBackend, type WebGPUBackend } from '../../src/backend/webgpu/device.js';
import { noGpu } from './require-gpu.js';

/**
 * A WebGPU backend on this machine's adapter, or `{ backend: null, skip }` with the reason to
 * pass to `describe.skipIf(...)` names. Under CI (any value) or WEBGRAD_REQUIRE_GPU=1 a
 * missing adapter throws instead (test/helpers/require-gpu.ts).
 */
export async function gpuBackendOrSkip(): Promise<{ backend: WebGPUBackend; skip: null } | { backend: null; skip: string }> {
  let backend: WebGPUBackend | null = null;
  let why = 'no adapter';
  try {
    backend = await createWebGPUBackend();
  } catch (e) {
    why = (e as Error).message;
  }
  if (backend) return { backend, skip: null };
  return { backend: null, skip: noGpu('WebGPU backend tests', why) };
}
