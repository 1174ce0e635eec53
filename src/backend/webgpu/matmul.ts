import matmulSrc from '../../../shaders/matmul.wgsl';
import { WebgradError } from '../../errors.js';
import type { MatmulArgs, Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { elemType } from './dims.js';
import { defineKernel, type Variant } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { type ParamValues, shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';
import { matmulTiles, type MatmulTiles } from './tuner.js';

const MATMUL_IO = shaderInterface(
  {
    m: 'u32',
    n: 'u32',
    k: 'u32',
    a_batch: 'u32',   // elements between batch matrices of A (0: broadcast)
    b_batch: 'u32',
    inner: 'u32',     // second batch level: batch t reads (t / inner)*a_batch + (t % inner)*a_inner
    a_inner: 'u32',
    b_inner: 'u32',
    batch0: 'u32',    // first batch of this dispatch (grids are at most 65535 deep)
    lo: 'T',          // EPILOGUE: x < lo -> lo_val, x > hi -> hi_val; the gradient passes in [lo, hi]
    lo_val: 'T',
    hi: 'T',
    hi_val: 'T',
  },
  {
    a: { binding: 1, access: 'r', type: 'T', vec4: 'a4' },   // a4: VEC_A
    b: { binding: 2, access: 'r', type: 'T', vec4: 'b4' },   // b4: VEC_B
    out: { binding: 3, access: 'w', type: 'T' },
    ex: { binding: 4, access: 'r', type: 'T' },     // EPILOGUE 2: the clamp's input; 3-5: the bias row
    out2: { binding: 5, access: 'w', type: 'T' },   // EPILOGUE 1, 2: the second result
  },
);
// The epilogue's bindings are used by the entry point whatever EPILOGUE is (WGSL decides that
// from the text), so they are always bound: to tiny dummy buffers when there is no epilogue.
// One kernel per (VEC_A, VEC_B): an entry point may reference only one view of a binding, so
// each variant's prelude defines the readers over the view it uses (matmul.wgsl).
const reader = (x: 'a' | 'b', vec: boolean): string => vec
  ? `fn load_${x}(i: u32) -> T { return ${x}4[i / 4u][i % 4u]; }\nfn load_${x}4(q: u32) -> vec4<T> { return ${x}4[q]; }\n`
  : `fn load_${x}(i: u32) -> T { return ${x}[i]; }\n` +
    `fn load_${x}4(q: u32) -> vec4<T> { return vec4<T>(${x}[4u * q], ${x}[4u * q + 1u], ${x}[4u * q + 2u], ${x}[4u * q + 3u]); }\n`;
const MATMUL = [false, true].map((va) => [false, true].map((vb) =>
  defineKernel('matmul', matmulSrc, 'matmul', MATMUL_IO, ['a', 'b', 'out', 'ex', 'out2'],
    `const VEC_A = ${va};\nconst VEC_B = ${vb};\n${reader('a', va)}${reader('b', vb)}`)));
type MatmulKernel = (typeof MATMUL)[0][0];

type MatmulParams = ParamValues<typeof MATMUL_IO.params>;

/**
 * A product ready to be recorded as one dispatch (float32): `encode()` records it, and
 * fusion.ts may instead record it with a clamp (or clamp gradient) of its result or a bias
 * added to it as the kernel's epilogue (matmulThen, matmulBias).
 */
export interface MatmulLaunch {
  readonly kernel: MatmulKernel;
  readonly a: PooledBuffer;
  readonly b: PooledBuffer;
  readonly out: PooledBuffer;
  readonly variant: Variant;
  readonly params: MatmulParams;
  readonly grid: readonly [number, number, number];
  encode(): void;
}

/**
 * Launches matmul.wgsl with the tiles the tuner picks for this shape (or the given ones).
 * Returns the launch unrecorded when it is one float32 dispatch (for fusion.ts to hold), else
 * records it and returns null.
 */
export function prepareMatmul(
  gpu: GpuRuntime,
  a: Storage,
  b: Storage,
  args: MatmulArgs,
  forced?: MatmulTiles,
): { storage: GPUStorage; launch: MatmulLaunch | null } {
  const ab = gpu.buf(a, 'matmul');
  const bb = gpu.buf(b, 'matmul');
  if (a.dtype !== b.dtype) throw new WebgradError('matmul', `operands are ${a.dtype} and ${b.dtype}`);
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride, inner = 1, aInnerStride = 0, bInnerStride = 0 } = args;
  const storage = gpu.alloc(batch * m * n, a.dtype, 'matmul');
  if (batch * m * n === 0) return { storage, launch: null };
  if (k === 0) {
    gpu.live('matmul');
    gpu.recorder.clear(storage.buffer!, batch * m * n * 4, 'matmul');
    return { storage, launch: null };
  }
  const tiles = forced ?? matmulTiles(m, n, gpu.profile);
  const maxGroups = gpu.maxGroupsPerDim;
  const gx = Math.ceil(n / (tiles.WG_X * tiles.TN));
  const gy = Math.ceil(m / (tiles.WG_Y * tiles.TM));
  if (gx > maxGroups || gy > maxGroups) {
    throw new WebgradError('matmul', `a [${m}, ${n}] output is too large for one WebGPU grid`);
  }
  const variant = { types: { T: elemType(a.dtype) }, constants: { TRANS_A: transA, TRANS_B: transB, ...tiles } };
  const vec = vec4Loads(args, tiles);
  const kernel = MATMUL[+vec.VEC_A][+vec.VEC_B];
  const ob = storage.buffer!;
  const params = (batch0: number): MatmulParams => ({
    m, n, k, a_batch: aBatchStride, b_batch: bBatchStride, inner, a_inner: aInnerStride, b_inner: bInnerStride, batch0, lo: 0, lo_val: 0, hi: 0, hi_val: 0,
  });
  if (batch <= maxGroups && a.dtype === 'float32') {
    const grid = [gx, gy, batch] as const;
    const encode = (): void => gpu.run(kernel, variant, { a: ab, b: bb, out: ob, ex: gpu.dummyRead, out2: gpu.dummyWrite }, params(0), grid, 'matmul');
    return { storage, launch: { kernel, a: ab, b: bb, out: ob, variant, params: params(0), grid, encode } };
  }
  // Grids are at most 65535 deep: very large batches go out as several dispatches.
  for (let b0 = 0; b0 < batch; b0 += maxGroups) {
    const depth = Math.min(maxGroups, batch - b0);
    gpu.run(kernel, variant, { a: ab, b: bb, out: ob, ex: gpu.dummyRead, out2: gpu.dummyWrite }, params(b0), [gx, gy, depth], 'matmul');
  }
  return { storage, launch: null };
}

/**
 * Whether the direct form reads A (stored [k, m]) / B (stored [k, n]) as vec4: the dimension
 * along which an invocation's outputs run is a multiple of 4, as is every batch stride (vec4
 * reads need 16-byte aligned addresses), and the tile per invocation covers whole vec4s.
 * lavapipe, GPT bench shapes: NN 2048x64x192 1.58x, TN 64x64x2048 1.32x (mm-gpt-unrolled.mjs).
 */
export function vec4Loads(args: MatmulArgs, tiles: MatmulTiles): { VEC_A: boolean; VEC_B: boolean } {
  if (tiles.SHARED) return { VEC_A: false, VEC_B: false };
  const { m, n, transA, transB, aBatchStride, bBatchStride, aInnerStride = 0, bInnerStride = 0 } = args;
  const q = (...v: number[]): boolean => v.every((x) => x % 4 === 0);
  return {
    VEC_A: transA && q(m, tiles.TM, aBatchStride, aInnerStride),
    VEC_B: !transB && q(n, tiles.TN, bBatchStride, bInnerStride),
  };
}

/** The product, recorded now (the shape sweep of the tests and benchmarks use `forced`). */
export function matmul(gpu: GpuRuntime, a: Storage, b: Storage, args: MatmulArgs, forced?: MatmulTiles): GPUStorage {
  const { storage, launch } = prepareMatmul(gpu, a, b, args, forced);
  launch?.encode();
  return storage;
}

/**
 * Records `product` with a clamp (`x` null) or a clamp gradient (`x` the clamp's input, the
 * product as dy) of its result as the kernel's epilogue, written to `out2`: one dispatch
 * instead of two, the product itself still written (fusion.ts decides when).
 */
export function matmulThen(
  gpu: GpuRuntime,
  product: MatmulLaunch,
  x: PooledBuffer | null,
  out2: PooledBuffer,
  bounds: { lo: number; lo_val: number; hi: number; hi_val: number },
  op: string,
): void {
  withEpilogue(gpu, product, x === null ? 1 : 2, x ?? gpu.dummyRead, out2, { ...product.params, ...bounds }, op);
}

/** Records `product` with epilogue `epilogue` (shaders/matmul.wgsl EPILOGUE) reading `ex` and writing `out2`. */
function withEpilogue(gpu: GpuRuntime, product: MatmulLaunch, epilogue: number, ex: PooledBuffer, out2: PooledBuffer, params: MatmulParams, op: string): void {
  const variant = { types: product.variant.types, constants: { ...product.variant.constants, EPILOGUE: epilogue } };
  const { a, b, out } = product;
  gpu.run(product.kernel, variant, { a, b, out, ex, out2 }, params, product.grid, `matmul+${op}`);
}

/** How a bias row joins the product in matmulBias: p + bias, p - bias, bias - p. */
export type BiasForm = 'add' | 'sub' | 'rsub';
const BIAS_EPILOGUE: Record<BiasForm, number> = { add: 3, sub: 4, rsub: 5 };

/**
 * Records `product` with a row vector `bias` of n values (one per column, broadcast over rows
 * and batches) added to or subtracted from its result as the kernel's epilogue, written to
 * `out2`: nn.Linear's `x.mm(wᵀ).add(b)` as one dispatch, the product itself still written
 * (fusion.ts decides when).
 */
export function matmulBias(gpu: GpuRuntime, product: MatmulLaunch, bias: PooledBuffer, out2: PooledBuffer, form: BiasForm, op: string): void {
  withEpilogue(gpu, product, BIAS_EPILOGUE[form], bias, out2, product.params, op);
}
