import matmulSrc from '../../../shaders/matmul.wgsl';
import { WebgradError } from '../../errors.js';
import type { MatmulArgs, Storage } from '../backend.js';
import { elemType } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { matmulTiles, type MatmulTiles } from './tuner.js';
import type { GPUStorage } from './storage.js';

const MATMUL = defineKernel('matmul', matmulSrc, 'matmul', [[1, 'r'], [2, 'r'], [3, 'w']]);

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
  // Grids are at most 65535 deep: very large batches go out as several dispatches.
  for (let b0 = 0; b0 < batch; b0 += maxGroups) {
    const depth = Math.min(maxGroups, batch - b0);
    gpu.run(
      MATMUL,
      variant,
      [ab, bb, out.buffer!],
      (p) => p.u32(m).u32(n).u32(k).u32(aBatchStride).u32(bBatchStride).u32(b0),
      [gx, gy, depth],
      'matmul',
    );
  }
  return out;
}
