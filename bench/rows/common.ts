// What every row file gets: both libraries on one backend kind, options, seeded host data, and
// the two ways of wrapping an iteration into a timed Runner.
import type * as TF from '@tensorflow/tfjs-core';
import { median, type Runner } from '../harness.js';
import type { TfjsContext } from '../tfjs.js';
import { perIteration, type WebgradContext, type wg } from '../webgrad.js';

export interface RowContext {
  backend: 'webgpu' | 'cpu';
  wgc: WebgradContext;
  tfc: TfjsContext;
  /** Fewer sizes and reps: a smoke run of every row in about a minute. */
  quick: boolean;
  /** Adds the big optional sizes (matmul 2048 on WebGPU). */
  big: boolean;
  /** Row 6 runs all 469 batches instead of a scaled-down epoch. */
  fullEpoch: boolean;
  /**
   * Sizes for a real GPU (bench/gpu-run.sh): matmul up to 4096, many more ops per timed run so
   * that microsecond kernels are not drowned by the submit-and-wait round trip, full epoch.
   */
  gpu: boolean;
  /** Overrides every case's repetition count (--reps). */
  reps: number | null;
}

/** Reps for a case: --reps if given, else the row's default. */
export const repsFor = (ctx: RowContext, dflt: number): number => ctx.reps ?? dflt;

/** Deterministic host data (mulberry32), so both libraries see the same numbers each run. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  const span = hi - lo;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + span * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

export function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const u = randomArray(n, seed, 0, classes);
  return Int32Array.from(u, (v) => Math.min(classes - 1, Math.floor(v)));
}

export function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (out[i * classes + l] = 1));
  return out;
}

interface Iteration {
  /** Issues one iteration's work; `sync` runs after it. */
  step(): void | Promise<void>;
  dispose?(): void;
  /** The step reads back itself (rows 5, 6): its duration is no issue time, so none is reported. */
  waitsInside?: boolean;
}

/** `answer()`: one untimed iteration's result, a tensor (read back, then disposed) or values. */
type WgIteration = Iteration & { answer?(): wg.Tensor | Promise<ArrayLike<number>> };
type TfIteration = Iteration & { answer?(): TF.Tensor | Promise<ArrayLike<number>> };

/**
 * A webgrad runner: `step()` then the backend's completion wait. Counters are the WebGPU
 * backend's dispatch/submit/readback deltas over the last timed iteration, and `issueMs`: the
 * median time per op spent in `step()` itself (JS, encoding, submits; for rows that read back
 * inside the step, the waits too).
 */
export function wgRunner(ctx: RowContext, it: WgIteration, inner = 1): Runner {
  let last: Record<string, number> = {};
  const issue: number[] = [];
  return {
    run: async () => {
      const before = ctx.wgc.stats();
      const t0 = performance.now();
      await it.step();
      issue.push((performance.now() - t0) / inner);
      await ctx.wgc.sync();
      last = perIteration(before, ctx.wgc.stats(), inner);
    },
    dispose: () => it.dispose?.(),
    counters: () => (it.waitsInside ? last : { ...last, issueMs: round3(median(issue)) }),
    answer: it.answer &&
      (async () => {
        const a = await it.answer!();
        if (!('toArray' in a)) return a;
        const v = await a.toArray();
        a.dispose();
        return v;
      }),
  };
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * A tfjs runner: `step()` then submit + onSubmittedWorkDone. Counters: the kernels tfjs runs
 * per op, from one extra (untimed) iteration under tf.profile.
 */
export function tfRunner(ctx: RowContext, it: TfIteration, inner = 1): Runner {
  const tf = ctx.tfc.tf;
  const issue: number[] = [];
  return {
    run: async () => {
      const t0 = performance.now();
      await it.step();
      issue.push((performance.now() - t0) / inner);
      await ctx.tfc.sync();
    },
    dispose: () => it.dispose?.(),
    answer: it.answer &&
      (async () => {
        const a = await it.answer!();
        if (!('dataSync' in a)) return a;
        const v = await a.data();
        a.dispose();
        return v as Float32Array;
      }),
    counters: async () => {
      const info = await tf.profile(async () => {
        await it.step();
      });
      await ctx.tfc.sync();
      const names = new Map<string, number>();
      for (const k of info.kernels) names.set(k.name, (names.get(k.name) ?? 0) + 1);
      return {
        ...(it.waitsInside ? {} : { issueMs: round3(median(issue)) }),
        kernelsPerIter: Math.round((info.kernels.length / inner) * 100) / 100,
        kernels: [...names].map(([n, c]) => `${n}x${c}`).join(' '),
      };
    },
  };
}
