/**
 * Kernel shape heuristics, kept apart from the launchers that run them. Numbers quoted are
 * from Dawn on lavapipe (Mesa 25, llvmpipe, 2 cores); a real GPU has not measured these yet.
 */

/**
 * 'gpu': workgroup memory and barriers are cheap, tiled kernels win.
 * 'cpu-emulated': lavapipe/SwiftShader run each workgroup on a CPU thread, workgroup memory
 * is ordinary memory and a barrier switches coroutines per SIMD batch; kernels that skip
 * workgroup memory win there (matmul: 8.5 vs 4.2 GFLOP/s at n = 1024).
 */
export type KernelProfile = 'gpu' | 'cpu-emulated';

/** Adapters known to run compute on the CPU. */
export function detectProfile(info: { architecture?: string; device?: string; description?: string }, isFallback: boolean): KernelProfile {
  const text = `${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  return isFallback || /llvmpipe|lavapipe|swiftshader|software/.test(text) ? 'cpu-emulated' : 'gpu';
}

export interface MatmulTiles {
  /** Workgroup memory tiles (the classic tiled kernel) or direct loads. */
  readonly SHARED: boolean;
  readonly WG_X: number;
  readonly WG_Y: number;
  /** k-step of the shared tiles. */
  readonly BK: number;
  /** Outputs per invocation along m (rows) and n (columns), at most 8 each. */
  readonly TM: number;
  readonly TN: number;
}

const pow2ceil = (v: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/** As many invocations along an axis as it has outputs (up to wgMax), then up to tMax each. */
function axis(size: number, wgMax: number, tMax: number): [wg: number, t: number] {
  const wg = Math.min(wgMax, pow2ceil(size));
  return [wg, Math.min(tMax, pow2ceil(Math.ceil(size / wg)))];
}

/**
 * GPU: 16x16 invocations with 4x4 outputs each (64x64 blocks, 8 KiB of workgroup memory at
 * BK = 16), the shape tfjs and most WebGPU matmuls use. CPU-emulated: 8x8 invocations with up
 * to 8x8 outputs each and direct loads (measured 8.5 GFLOP/s at n = 1024 against 5.0 for 4x4).
 * Small m or n shrink the block so that a matrix-vector product does not compute 64 rows.
 * On lavapipe a load instruction costs about the same whether scalar, vec4, uniform or
 * gathered (~30 cycles), so the direct form reads vec4s along m (A stored [k, m]) and n (B
 * stored [k, n]) where it can (matmul.ts vec4Loads: GPT step shapes NN 2048x64x64 2.2x, TN
 * 64x2048x64 1.2-1.3x). Measured and not kept (BENCHMARKS.md, mm-gpt-*.mjs): 16x8 tiles,
 * uniform rows per workgroup, split-k for long-k products on tiny grids.
 */
export function matmulTiles(m: number, n: number, profile: KernelProfile): MatmulTiles {
  const shared = profile === 'gpu';
  const [wgY, tm] = axis(m, shared ? 16 : 8, shared ? 4 : 8);
  const [wgX, tn] = axis(n, shared ? 16 : 8, shared ? 4 : 8);
  return { SHARED: shared, WG_X: wgX, WG_Y: wgY, BK: 16, TM: tm, TN: tn };
}

/**
 * `full()` of at most this many bytes is written with queue.writeBuffer instead of a `fill`
 * dispatch. On lavapipe a one-workgroup dispatch costs ~45 µs of GPU time while a small
 * writeBuffer is a memcpy; on a GPU, 16 KiB over the bus is a few µs, about a dispatch's cost.
 * Every number operand (`x.mul(lr)`, mean's 1/n) and backward's seed is such a full().
 */
export const FULL_UPLOAD_MAX_BYTES = 16 << 10;

/**
 * An arithmetic binary op of at most this many elements and the binary or unary op after it
 * that reads its result run as one dispatch (binary2 in shaders/binary.wgsl, unary_pre in
 * shaders/unary.wgsl): below it a dispatch's fixed cost (~45 µs on lavapipe,
 * bench/experiments/dispatch-floor.ts) dwarfs the work. Above it the ops keep their vec4
 * kernels, which the scalar fused kernels would not match on large tensors.
 */
export const CHAIN_MAX_ELEMS = 4096;
