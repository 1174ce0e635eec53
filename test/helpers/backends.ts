import { afterAll, beforeAll, describe } from 'vitest';
import * as wg from 'webgrad-gpu';
import { noGpu } from './require-gpu.js';

/** Why the WebGPU suites skip on this machine, or null when an adapter exists. */
let gpuSkipReason: string | null = null;

/**
 * The backends an op suite runs on: always both. Without an adapter the WebGPU blocks of
 * `describeEachBackend` are reported as skipped (with the reason), unless CI or
 * WEBGRAD_REQUIRE_GPU=1 makes that a failure (test/helpers/require-gpu.ts).
 */
export async function backendsUnderTest(): Promise<wg.BackendChoice[]> {
  try {
    await wg.init({ backend: 'webgpu', verbose: false });
    wg.destroy();
    gpuSkipReason = null;
  } catch (e) {
    gpuSkipReason = noGpu('WebGPU suites', (e as Error).message);
  }
  return ['cpu', 'webgpu'];
}

/** Null when `backend` can run here, else why its tests are skipped. */
export const skipReason = (backend: wg.BackendChoice): string | null => (backend === 'webgpu' ? gpuSkipReason : null);

/** The backends that can actually run here (for suites that loop over backends themselves). */
export const runnable = (backends: wg.BackendChoice[]): wg.BackendChoice[] => backends.filter((b) => skipReason(b) === null);

/** describe() once per backend, with that backend selected for the block's tests. */
export function describeEachBackend(backends: wg.BackendChoice[], name: string, body: (backend: wg.BackendChoice) => void): void {
  for (const backend of backends) {
    const skip = skipReason(backend);
    if (skip) {
      // Still declared, so every test shows up as skipped under a name that says why.
      describe.skip(`${name} [${backend}] (SKIPPED: ${skip})`, () => body(backend));
      continue;
    }
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await wg.init({ backend, verbose: false });
      });
      afterAll(() => wg.destroy());
      body(backend);
    });
  }
}
