import { afterAll, beforeAll, describe } from 'vitest';
import * as wg from 'webgrad-gpu';

/**
 * The backends an op suite runs on: the CPU backend always, WebGPU when an adapter exists.
 * Under CI=true a missing adapter is a failure, not a skip: CI installs lavapipe for this.
 */
export async function backendsUnderTest(): Promise<wg.BackendChoice[]> {
  try {
    await wg.init({ backend: 'webgpu', verbose: false });
    wg.destroy();
    return ['cpu', 'webgpu'];
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`CI=true but no WebGPU adapter: ${(e as Error).message}`);
    console.warn(`WebGPU suites skipped here: ${(e as Error).message}`);
    return ['cpu'];
  }
}

/** describe() once per backend, with that backend selected for the block's tests. */
export function describeEachBackend(backends: wg.BackendChoice[], name: string, body: (backend: wg.BackendChoice) => void): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await wg.init({ backend, verbose: false });
      });
      afterAll(() => wg.destroy());
      body(backend);
    });
  }
}
