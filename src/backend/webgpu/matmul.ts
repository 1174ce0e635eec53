import matmulSrc from '../../../shaders/matmul.wgsl';
import { WebgradError } from '../../errors.js';
import type { MatmulArgs, Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { elemType } from './dims.js';
import { defineKernel, type Variant } from './pipelines.js';
import type { HeldDispatch } from './recorder.js';
import type { GpuRuntime } from './runtime.js';
import { matmulTiles, type MatmulTiles } from './tuner.js';
import type { GPUStorage } from './storage.js';
import type { Params } from './uniforms.js';

// Bindings 4 and 5 serve the clamp epilogues (matmulEpilogue below); dummies otherwise.
const MATMUL = defineKernel('matmul', matmulSrc, 'matmul', [[1, 'r'], [2, 'r'], [3, 'w'], [4, 'r'], [5, 'w']]);

/** A float32 product held by the recorder until the next command, for matmulEpilogue. */
class HeldMatmul implements HeldDispatch {
  constructor(
    readonly a: PooledBuffer,
    readonly b: PooledBuffer,
    readonly out: PooledBuffer,
    readonly variant: Variant,
    readonly params: (p: Params) => void,
    readonly grid: readonly [number, number, number],
    readonly encode: () => void,
  ) {}
}

/** Launches matmul.wgsl with the tiles the tuner picks for this shape (or the given ones). */
export function matmul(gpu: GpuRuntime, a: Storage, b: Storage, args: MatmulArgs, forced?: MatmulTiles): GPUStorage {
  const ab = gpu.buf(a, 'matmul');
  const bb = gpu.buf(b, 'matmul');
  if (a.dtype !== b.dtype) throw new WebgradError('matmul', `operands are ${a.dtype} and ${b.dtype}`);
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = args;
  const out = gpu.alloc(batch * m * n, a.dtype, 'matmul');
  if (batch * m * n === 0) return out;
  if (k === 0) {
    gpu.live('matmul');
    gpu.recorder.clear(out.buffer!, batch * m * n * 4, 'matmul');
    return out;
  }
  const tiles = forced ?? matmulTiles(m, n, gpu.profile);
  const maxGroups = gpu.maxGroupsPerDim;
  const gx = Math.ceil(n / (tiles.WG_X * tiles.TN));
  const gy = Math.ceil(m / (tiles.WG_Y * tiles.TM));
  if (gx > maxGroups || gy > maxGroups) {
    throw new WebgradError('matmul', `a [${m}, ${n}] output is too large for one WebGPU grid`);
  }
  const variant = {
    types: { T: elemType(a.dtype) },
    constants: { TRANS_A: transA, TRANS_B: transB, ...tiles },
  };
  const ob = out.buffer!;
  const params = (b0: number) => (p: Params): void => void p.u32(m).u32(n).u32(k).u32(aBatchStride).u32(bBatchStride).u32(b0);
  if (batch <= maxGroups && a.dtype === 'float32') {
    // One dispatch: held, so that a clamp (or clamp gradient) of the product can join it.
    const grid = [gx, gy, batch] as const;
    const encode = (): void => gpu.run(MATMUL, variant, [ab, bb, ob, gpu.dummyRead, gpu.dummyWrite], params(0), grid, 'matmul');
    gpu.live('matmul');
    gpu.recorder.hold(new HeldMatmul(ab, bb, ob, variant, params(0), grid, encode));
    return out;
  }
  // Grids are at most 65535 deep: very large batches go out as several dispatches.
  for (let b0 = 0; b0 < batch; b0 += maxGroups) {
    const depth = Math.min(maxGroups, batch - b0);
    gpu.run(MATMUL, variant, [ab, bb, ob, gpu.dummyRead, gpu.dummyWrite], params(b0), [gx, gy, depth], 'matmul');
  }
  return out;
}

/**
 * Runs a clamp (`x` null) or clamp gradient (`x` the clamp's input, dy the product) of the
 * held product `product` as the product's epilogue, into `out2`: one dispatch instead of
 * two, the product itself still written. False (nothing done) unless `product` is the output
 * of the held matmul and, for the gradient, `x` is another buffer.
 */
export function matmulEpilogue(
  gpu: GpuRuntime,
  product: PooledBuffer,
  x: PooledBuffer | null,
  out2: PooledBuffer,
  bounds: readonly [lo: number, loVal: number, hi: number, hiVal: number],
  op: string,
): boolean {
  const held = gpu.recorder.held;
  if (!(held instanceof HeldMatmul) || held.out !== product || x === product) return false;
  gpu.recorder.take(held);
  const [lo, loVal, hi, hiVal] = bounds;
  gpu.run(
    MATMUL,
    { types: held.variant.types, constants: { ...held.variant.constants, EPILOGUE: x === null ? 1 : 2 } },
    [held.a, held.b, held.out, x ?? gpu.dummyRead, out2],
    (p) => {
      held.params(p);
      p.f32(lo).f32(loVal).f32(hi).f32(hiVal);
    },
    held.grid,
    `matmul+${op}`,
  );
  return true;
}
