/**
 * Grid shapes for the memory-bound kernels (elementwise, reductions, softmax), kept apart from
 * the launchers that run them. `KernelProfile` comes from tuner.ts (matmul's heuristics).
 *
 * Lavapipe ('cpu-emulated') runs each workgroup on a CPU thread with the invocations in SIMD
 * batches of 8 (llvmpipe, 256-bit), pays a fixed cost per workgroup and a coroutine switch per
 * barrier, so it wants few, narrow workgroups that loop over vec4s. A real GPU ('gpu') wants
 * the opposite: many 256-wide workgroups, one or a few vec4s per invocation.
 *
 * Measured on Dawn/lavapipe (2 cores), GPU time of a vec4 copy of 16M floats (128 MB moved):
 * 64 x 1024 groups, one vec4 each (the old scalar shape, in vec4): 38 ms; 256 x 16384 groups,
 * four floats each (the old shape): 42 ms; grid-stride loops, 64 x 8..128 groups: 11-12 ms;
 * 64 x 512 groups: 14 ms. exp: 14 ms against 48 ms for the old shape.
 */
import type { KernelProfile } from './tuner.js';

export interface GridShape {
  /** Invocations per workgroup (the kernels' `WG` override). */
  readonly wg: number;
  /** Workgroups along x; the kernels loop with stride groups * wg. */
  readonly groups: number;
}

/** At least 1, at most `max`, ceil(units / per). */
const clampGroups = (units: number, per: number, max: number): number => Math.max(1, Math.min(max, Math.ceil(units / per)));

/** Workgroups per dispatch on a CPU-emulated adapter: 8..128 measured the same on 2 cores. */
const CPU_GROUPS = 32;
/** Below this many units per workgroup, a CPU-emulated adapter uses fewer workgroups. */
const CPU_UNITS_PER_GROUP = 64 * 16;
/** The per-dimension limit every adapter supports. */
const MAX_GROUPS = 65535;

/**
 * Shape of a grid-stride elementwise kernel over `units` items (vec4s, or floats for the
 * scalar fallbacks). GPU: one item per invocation up to 65535 workgroups of 256.
 */
export function elementwiseShape(units: number, profile: KernelProfile): GridShape {
  if (profile === 'cpu-emulated') return { wg: 64, groups: clampGroups(units, CPU_UNITS_PER_GROUP, CPU_GROUPS) };
  return { wg: 256, groups: clampGroups(units, 256, MAX_GROUPS) };
}

/**
 * Workgroup width and chunks per line for the `rows` reduction (contiguous lines of `size`
 * elements, `lines` of them). Each (line, chunk) is a workgroup.
 *
 * CPU-emulated: 64 invocations, and a line split only as far as needed for ~32 workgroups in
 * all (a full sum of 16M floats: 32 chunks of 512K, then one 32-element pass), each chunk at
 * least 4K elements. The bench engineer's bench/experiments/reduce-shapes.mjs: vec4 loads with
 * 64 x 8..64 groups 12.6 ms, 256 x 1024 groups (the GPU shape) 46.6 ms.
 * GPU: 256 invocations (64 for medium lines), chunks of ~4K elements, up to 1024 per line
 * while there are few lines.
 */
export function reduceRowsShape(size: number, lines: number, profile: KernelProfile): { wg: number; chunks: number } {
  if (profile === 'cpu-emulated') {
    const wanted = Math.max(1, Math.ceil(CPU_GROUPS / lines));
    return { wg: 64, chunks: Math.max(1, Math.min(Math.ceil(size / 4096), wanted)) };
  }
  const wg = size < 8192 ? 64 : 256;
  return { wg, chunks: Math.max(1, Math.min(Math.ceil(size / (256 * 16)), lines >= 1024 ? 1 : 1024)) };
}

/**
 * Whether contiguous lines of `size` (inner = 1), `lines` of them, get an invocation each
 * (softmax's `cols`) rather than a workgroup each (`rows`). GPU: lines shorter than 512.
 * CPU-emulated: also long lines whenever there are enough of them to fill 64-wide workgroups
 * (no barriers at all; each invocation walks its own line): logSoftmax of 4096 x 1000 with vec4
 * loads, interleaved in one process, 13 ms per line-invocation against 26 ms for 8-wide
 * workgroups per line (which beat 16- and 64-wide ones).
 */
export function invocationPerLine(size: number, lines: number, profile: KernelProfile): boolean {
  if (profile === 'cpu-emulated' && lines >= 256) return true;
  return size < 512;
}

/**
 * Softmax's per-line workgroups (a tree in workgroup memory per line): invocations per
 * workgroup, and how many workgroups share the `lines` (each loops over lines g, g + groups, ...).
 *
 * CPU-emulated: 8 invocations (one llvmpipe SIMD batch, 3 barrier levels) and at most 64
 * workgroups. logSoftmax of 4096 x 1000, vec4, a workgroup per line, GPU time (profile, one
 * run each): 1 wide 45 ms, 4 wide 17 ms, 8 wide 13.2 ms, 16 wide 15.9 ms; the old 64 wide ran
 * 61 ms in the bench. 64 looping workgroups against one per line: 26 vs 28 ms interleaved
 * (within noise; fewer is the cheaper side on lavapipe's per-workgroup cost).
 * GPU: 64 invocations for medium lines, 256 for long ones, a workgroup per line.
 */
export function lineShape(size: number, lines: number, profile: KernelProfile): GridShape {
  if (profile === 'cpu-emulated') return { wg: 8, groups: Math.max(1, Math.min(lines, 64)) };
  return { wg: size < 8192 ? 64 : 256, groups: lines };
}
