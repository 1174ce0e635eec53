// Per-kernel GPU times for both libraries, without touching either: `npm run bench -- --profile`.
//
// Both libraries get their adapter from `navigator.gpu`, so we hand them a wrapped GPU whose
// devices are created with 'timestamp-query' and whose command encoders put every dispatch in
// a compute pass of its own with timestampWrites (begin, end). The pipeline (re-)set and bind
// groups are replayed into each one-dispatch pass, so the recorded work is unchanged; only the
// pass boundaries move. After each submit the timestamps are resolved and read back, and the
// durations are summed per pipeline label (webgrad: 'kernel:entry'; tfjs: its program name)
// and grid size.
//
// Profiling adds passes and readbacks, so its wall times are not benchmark numbers: use it for
// where the GPU time goes, and the table for how long things take.
import { median, type Case, type Runner } from './harness.js';

type Lib = 'webgrad' | 'tfjs';

interface Pending {
  lib: Lib;
  labels: string[];
  querySet: GPUQuerySet;
  readback: GPUBuffer;
}

export interface KernelTime {
  label: string;
  count: number;
  ms: number;
}

const MAX_DISPATCHES_PER_ENCODER = 1024;

export class Profiler {
  enabled = false;
  readonly #times: Record<Lib, Map<string, { count: number; ns: number }>> = { webgrad: new Map(), tfjs: new Map() };
  readonly #inFlight: Promise<void>[] = [];
  readonly #finished = new WeakMap<GPUCommandBuffer, Pending>();

  /** A GPU object like `gpu` whose devices time every dispatch when `enabled`. */
  wrap(gpu: GPU): GPU {
    const prof = this;
    return new Proxy(gpu, {
      get(target, prop) {
        if (prop === 'requestAdapter') {
          return async (opts?: GPURequestAdapterOptions) => {
            const adapter = await target.requestAdapter(opts);
            return adapter ? prof.#wrapAdapter(adapter) : null;
          };
        }
        return bound(target, prop);
      },
    });
  }

  #wrapAdapter(adapter: GPUAdapter): GPUAdapter {
    const prof = this;
    return new Proxy(adapter, {
      get(target, prop) {
        if (prop === 'requestDevice') {
          return async (desc: GPUDeviceDescriptor = {}) => {
            const features = new Set([...(desc.requiredFeatures ?? [])].flat() as GPUFeatureName[]);
            features.add('timestamp-query');
            const device = await target.requestDevice({ ...desc, requiredFeatures: [...features] });
            // webgrad labels its device; tfjs does not.
            return prof.#wrapDevice(device, desc.label === 'webgrad' ? 'webgrad' : 'tfjs');
          };
        }
        return bound(target, prop);
      },
    });
  }

  #wrapDevice(device: GPUDevice, lib: Lib): GPUDevice {
    const prof = this;
    const queue = new Proxy(device.queue, {
      get(target, prop) {
        if (prop === 'submit') {
          return (buffers: Iterable<GPUCommandBuffer>) => {
            const list = [...buffers];
            target.submit(list);
            for (const cb of list) {
              const p = prof.#finished.get(cb);
              if (p) prof.#inFlight.push(prof.#harvest(p));
            }
          };
        }
        return bound(target, prop);
      },
    });
    return new Proxy(device, {
      get(target, prop) {
        if (prop === 'queue') return queue;
        if (prop === 'createCommandEncoder') {
          return (desc?: GPUCommandEncoderDescriptor) => prof.#wrapEncoder(target, target.createCommandEncoder(desc), lib);
        }
        return bound(target, prop);
      },
      set(target, prop, value) {
        return Reflect.set(target, prop, value, target);
      },
    });
  }

  #wrapEncoder(device: GPUDevice, enc: GPUCommandEncoder, lib: Lib): GPUCommandEncoder {
    const prof = this;
    let pending: Pending | null = null;
    const slot = (label: string): number | null => {
      if (!prof.enabled) return null;
      pending ??= {
        lib,
        labels: [],
        querySet: device.createQuerySet({ type: 'timestamp', count: 2 * MAX_DISPATCHES_PER_ENCODER }),
        readback: device.createBuffer({ size: 16 * MAX_DISPATCHES_PER_ENCODER, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      };
      if (pending.labels.length === MAX_DISPATCHES_PER_ENCODER) return null;
      pending.labels.push(label);
      return pending.labels.length - 1;
    };
    return new Proxy(enc, {
      get(target, prop) {
        if (prop === 'beginComputePass') {
          return (desc?: GPUComputePassDescriptor) => (prof.enabled ? onePassPerDispatch(target, desc, slot, () => pending) : target.beginComputePass(desc));
        }
        if (prop === 'finish') {
          return (desc?: GPUCommandBufferDescriptor) => {
            const p = pending;
            if (p && p.labels.length) {
              const n = p.labels.length * 2;
              const resolve = device.createBuffer({ size: n * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
              target.resolveQuerySet(p.querySet, 0, n, resolve, 0);
              target.copyBufferToBuffer(resolve, 0, p.readback, 0, n * 8);
            }
            const cb = target.finish(desc);
            if (p && p.labels.length) prof.#finished.set(cb, p);
            return cb;
          };
        }
        return bound(target, prop);
      },
    });
  }

  async #harvest(p: Pending): Promise<void> {
    const n = p.labels.length * 2;
    await p.readback.mapAsync(GPUMapMode.READ, 0, n * 8);
    const ts = new BigInt64Array(p.readback.getMappedRange(0, n * 8).slice(0));
    p.readback.unmap();
    p.readback.destroy();
    p.querySet.destroy();
    const times = this.#times[p.lib];
    p.labels.forEach((label, i) => {
      const ns = Number(ts[2 * i + 1] - ts[2 * i]);
      const t = times.get(label) ?? { count: 0, ns: 0 };
      t.count++;
      t.ns += Math.max(0, ns);
      times.set(label, t);
    });
  }

  /** Waits for every timed submit to be read back, then returns and clears the totals. */
  async take(): Promise<Record<Lib, KernelTime[]>> {
    await Promise.all(this.#inFlight.splice(0));
    const out = {} as Record<Lib, KernelTime[]>;
    for (const lib of ['webgrad', 'tfjs'] as const) {
      out[lib] = [...this.#times[lib]].map(([label, t]) => ({ label, count: t.count, ms: t.ns / 1e6 })).sort((a, b) => b.ms - a.ms);
      this.#times[lib].clear();
    }
    return out;
  }
}

/** Binds methods to the real object (native getters and methods reject a Proxy as `this`). */
function bound<T extends object>(target: T, prop: string | symbol): unknown {
  const v = Reflect.get(target, prop, target) as unknown;
  return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
}

/**
 * A stand-in compute pass: remembers the pipeline and bind groups, and runs each dispatch in a
 * real pass of its own with begin/end timestamps (its label: pipeline label and grid).
 */
function onePassPerDispatch(
  enc: GPUCommandEncoder,
  desc: GPUComputePassDescriptor | undefined,
  slot: (label: string) => number | null,
  pending: () => Pending | null,
): GPUComputePassEncoder {
  let pipeline: GPUComputePipeline | null = null;
  const groups = new Map<number, unknown[]>();
  const run = (label: string, dispatch: (p: GPUComputePassEncoder) => void): void => {
    const i = slot(label);
    const p = pending();
    const real = enc.beginComputePass(
      i === null || !p ? desc : { ...desc, timestampWrites: { querySet: p.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } },
    );
    if (pipeline) real.setPipeline(pipeline);
    for (const [index, args] of groups) (real.setBindGroup as (...a: unknown[]) => void)(index, ...args);
    dispatch(real);
    real.end();
  };
  const pass = {
    label: desc?.label ?? '',
    setPipeline(p: GPUComputePipeline) {
      pipeline = p;
    },
    setBindGroup(index: number, ...args: unknown[]) {
      groups.set(index, args.map((a) => (ArrayBuffer.isView(a) ? (a as Uint32Array).slice() : Array.isArray(a) ? [...(a as unknown[])] : a)));
    },
    dispatchWorkgroups(x: number, y = 1, z = 1) {
      run(`${pipeline?.label || '?'} [${x},${y},${z}]`, (r) => r.dispatchWorkgroups(x, y, z));
    },
    dispatchWorkgroupsIndirect(buf: GPUBuffer, offset: number) {
      run(`${pipeline?.label || '?'} [indirect]`, (r) => r.dispatchWorkgroupsIndirect(buf, offset));
    },
    end() {},
    pushDebugGroup() {},
    popDebugGroup() {},
    insertDebugMarker() {},
  };
  return pass as unknown as GPUComputePassEncoder;
}

export interface CaseProfile {
  row: string;
  name: string;
  size: string;
  iterations: number;
  /** Median wall time of one profiled iteration (inflated by profiling: one pass per dispatch). */
  wallMs: Record<Lib, number | null>;
  /** GPU time per iteration, summed over kernels. */
  gpuMs: Record<Lib, number | null>;
  kernels: Record<Lib, KernelTime[]>;
  error?: string;
}

/** Runs each side of `c` a few times with per-dispatch timestamps on. */
export async function profileCase(c: Case, prof: Profiler, iterations: number): Promise<CaseProfile> {
  const out: CaseProfile = {
    row: c.row,
    name: c.name,
    size: c.size,
    iterations,
    wallMs: { webgrad: null, tfjs: null },
    gpuMs: { webgrad: null, tfjs: null },
    kernels: { webgrad: [], tfjs: [] },
  };
  const inner = c.inner ?? 1;
  for (const lib of ['webgrad', 'tfjs'] as const) {
    let r: Runner | null = null;
    try {
      r = await c[lib]();
      for (let w = 0; w < c.warmup; w++) await r.run();
      await prof.take();
      prof.enabled = true;
      const walls: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        await r.run();
        walls.push(performance.now() - t0);
      }
      prof.enabled = false;
      const k = (await prof.take())[lib];
      const per = iterations * inner;
      out.kernels[lib] = k.map((t) => ({ label: t.label, count: t.count / per, ms: t.ms / per }));
      out.gpuMs[lib] = k.reduce((s, t) => s + t.ms, 0) / per;
      out.wallMs[lib] = median(walls) / inner;
    } catch (e) {
      prof.enabled = false;
      out.error = `${out.error ? `${out.error}; ` : ''}${lib}: ${(e as Error).message}`;
    } finally {
      await r?.dispose?.();
    }
  }
  return out;
}

export function formatProfile(p: CaseProfile, top = 8): string {
  const lines = [`row ${p.row} ${p.name} ${p.size}: GPU time per op/step, summed over kernels — webgrad ${fmt(p.gpuMs.webgrad)}, tfjs ${fmt(p.gpuMs.tfjs)}` +
    ` (profiled wall: webgrad ${fmt(p.wallMs.webgrad)}, tfjs ${fmt(p.wallMs.tfjs)})`];
  for (const lib of ['webgrad', 'tfjs'] as const) {
    const total = p.gpuMs[lib] ?? 0;
    const ks = p.kernels[lib];
    lines.push(`  ${lib}: ${ks.reduce((s, k) => s + k.count, 0).toFixed(0)} dispatches`);
    for (const k of ks.slice(0, top)) {
      lines.push(`    ${fmt(k.ms).padStart(9)} ${total ? `${((100 * k.ms) / total).toFixed(0).padStart(3)}%` : ''}  x${+k.count.toFixed(2)}  ${k.label}`);
    }
  }
  if (p.error) lines.push(`  error: ${p.error}`);
  return lines.join('\n');
}

const fmt = (ms: number | null): string => (ms === null ? 'n/a' : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`);
