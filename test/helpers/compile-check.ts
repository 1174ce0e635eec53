// Shared by test/compile.test.ts and test/compile-gpu.test.ts: runs a step eagerly and as a
// `wg.compile`d step from identical fresh states, and compares what every call returned.
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { mulberry32 } from '../../src/data/batch.js';

/** Normal(0, 1)·scale values from `seed`, with NaN, ±Inf, ±0 and large values at every 7th position if `special`. */
export function values(n: number, seed: number, scale = 1, special = false): Float32Array {
  const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-30, 3e38, -3e38, 88, -89, 1e10, 0.5, -2.5];
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = special && i % 7 === 3 ? SPECIAL[Math.floor(i / 7) % SPECIAL.length] : scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

/** A float32 tensor of `shape` with `values(numel, seed, ...)`. */
export function rand(shape: readonly number[], seed: number, opts: { scale?: number; special?: boolean; requiresGrad?: boolean } = {}): wg.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = wg.tensor(values(n, seed, opts.scale ?? 1, opts.special ?? false)).reshape([...shape]);
  return opts.requiresGrad ? t.detach().requiresGrad_() : t;
}

export interface Tol {
  /** |compiled - eager| <= atol + rtol·|eager| for finite eager values. */
  readonly rtol: number;
  readonly atol: number;
}

/** The worst relative error seen by compare(), per test file run (printed at the end of a suite). */
export const worst = { rel: 0, where: '' };

/**
 * Compiled vs eager values: NaN where eager has NaN, the same infinity, finite values within
 * `tol`. Fails listing the first few differing elements.
 */
export function compare(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol): void {
  expect(got.length, `${label}: numel`).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const e = want[i];
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(a);
    else if (!Number.isFinite(e)) ok = a === e;
    else {
      const d = Math.abs(a - e);
      ok = d <= tol.atol + tol.rtol * Math.abs(e);
      const rel = d / Math.max(Math.abs(e), 1e-30);
      if (d > 0 && rel > worst.rel) {
        worst.rel = rel;
        worst.where = `${label}[${i}]: ${a} vs ${e}`;
      }
    }
    if (!ok && bad.length < 5) bad.push(`[${i}] ${a} vs eager ${e}`);
  }
  expect(bad, `${label}: compiled differs from eager (rtol ${tol.rtol}, atol ${tol.atol})`).toEqual([]);
}

type Out = wg.Tensor | wg.Tensor[];
const list = (r: Out): wg.Tensor[] => (Array.isArray(r) ? r : [r]);
const read = async (r: Out): Promise<Float32Array[]> => Promise.all(list(r).map(async (t) => Float32Array.from(await t.toArray())));

/**
 * Builds a state with `make` twice; calls `body(state)` `calls` times eagerly on the first and
 * through `wg.compile` on the second (call 1 traces, calls 2+ run compiled), reading every
 * result after its call; compares call by call (the traced call must be identical to eager,
 * the compiled ones within `tol`). `opts` go to wg.compile. Returns the compiled step's info().
 */
export async function sameAsEager<S>(make: () => S, body: (s: S) => Out, tol: Tol, calls = 3, opts: wg.CompileOptions = {}): Promise<wg.CompiledStepInfo> {
  const eagerState = make();
  const eager: Float32Array[][] = [];
  for (let i = 0; i < calls; i++) eager.push(await read(body(eagerState)));
  const state = make();
  const step = wg.compile(() => body(state), opts);
  for (let i = 0; i < calls; i++) {
    const got = await read(step());
    expect(got.length).toBe(eager[i].length);
    got.forEach((g, k) => compare(`call ${i + 1} result ${k}`, g, eager[i][k], i === 0 ? { rtol: 0, atol: 0 } : tol));
  }
  const info = step.info();
  expect([info.calls, info.traces, info.plans]).toEqual([calls, 1, 1]);
  return info;
}

/** On WebGPU: the compiled calls made fewer dispatches than the traced one. */
export function expectFewerDispatches(info: wg.CompiledStepInfo): void {
  expect(info.dispatches, `dispatches ${info.dispatches} vs eager ${info.eagerDispatches}`).not.toBeNull();
  expect(info.dispatches!).toBeLessThan(info.eagerDispatches!);
}
