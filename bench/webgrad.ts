// webgrad's side of the harness: backend selection, the completion wait, counters.
import * as wg from 'webgrad-gpu';
// Internal, for timing only: the current backend object (its flush(), its GPUDevice, its stats).
import { getBackend } from '../src/runtime.js';

export { wg };

interface WebGPUBackendLike {
  readonly name: 'webgpu';
  readonly device: GPUDevice;
  readonly stats: Readonly<Record<string, number>>;
  flush(): void;
}

function gpuBackend(): WebGPUBackendLike | null {
  const b = getBackend() as unknown as Partial<WebGPUBackendLike>;
  return b.name === 'webgpu' && b.device ? (b as WebGPUBackendLike) : null;
}

export interface WebgradContext {
  backend: 'webgpu' | 'cpu';
  info: ReturnType<typeof wg.backendInfo>;
  /**
   * Waits until every op issued so far has finished: submit what is recorded (flush), then the
   * device's onSubmittedWorkDone. The CPU backend computes eagerly, so there is nothing to wait for.
   */
  sync(): Promise<void>;
  /** Cumulative backend counters (WebGPU: dispatches, submits, readbacks, buffers, pipelines). */
  stats(): Record<string, number>;
}

export async function useWebgrad(backend: 'webgpu' | 'cpu'): Promise<WebgradContext> {
  const info = await wg.init({ backend, verbose: false });
  if (info.name !== backend) throw new Error(`webgrad: asked for '${backend}', got '${info.name}'`);
  return {
    backend,
    info,
    sync: async () => {
      const g = gpuBackend();
      if (!g) return;
      g.flush();
      await g.device.queue.onSubmittedWorkDone();
    },
    stats: () => ({ ...(gpuBackend()?.stats ?? {}) }),
  };
}

/** A float32 tensor of `shape` holding a copy of `data`. */
export function wgFrom(data: Float32Array, shape: number[], requiresGrad = false): wg.Tensor {
  const flat = wg.tensor(data);
  const t = flat.reshape(shape);
  flat.dispose(); // the view keeps the storage
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

export function wgInt(data: Int32Array, shape: number[]): wg.Tensor {
  const flat = wg.tensor(data);
  const t = flat.reshape(shape);
  flat.dispose();
  return t;
}

/** Counter deltas over `iters` iterations, per iteration, for the table's JSON. */
export function perIteration(before: Record<string, number>, after: Record<string, number>, iters: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ['dispatches', 'submits', 'readbacks', 'buffersCreated']) {
    if (k in after) out[`${k}PerIter`] = Math.round(((after[k] - (before[k] ?? 0)) / iters) * 100) / 100;
  }
  if ('pipelines' in after) out.pipelines = after.pipelines;
  return out;
}
