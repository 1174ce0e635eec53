import sortSrc from '../../../shaders/sort.wgsl';
import type { ReduceLayout } from '../../shape.js';
import type { Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { elemType, groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
import { shaderInterface } from './shader-interface.js';
import type { GpuRuntime } from './runtime.js';
import type { GPUStorage } from './storage.js';

export const SORT_IO = shaderInterface(
  {
    total: 'u32',   // padded pairs: lines rounded up so that total is a multiple of BLOCK
    p_len: 'u32',   // each line padded to a power of two
    k: 'u32',       // bitonic stage (local_sort: 0 = sort whole blocks)
    j: 'u32',       // stride (global_step)
    lines: 'u32',
    size: 'u32',
    inner: 'u32',
    kk: 'u32',      // extract: positions kept per line
    desc: 'u32',
  },
  {
    x: { binding: 1, access: 'r', type: 'T' },
    keys: { binding: 2, access: 'w', type: 'u32' },
    vals: { binding: 3, access: 'w', type: 'u32' },
    out: { binding: 4, access: 'w', type: 'i32' },
  },
);
const LOAD = defineKernel('sortKeys', sortSrc, 'load_keys', SORT_IO, ['x', 'keys', 'vals']);
const LOCAL = defineKernel('sortLocal', sortSrc, 'local_sort', SORT_IO, ['keys', 'vals']);
const GLOBAL = defineKernel('sortGlobal', sortSrc, 'global_step', SORT_IO, ['keys', 'vals']);
const EXTRACT = defineKernel('sortExtract', sortSrc, 'extract', SORT_IO, ['vals', 'out']);

/** Pairs sorted per workgroup in workgroup memory (8 KiB of keys and positions). */
export const BLOCK = 1024;
const WG = 256;

const nextPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** The padded layout of `lines` lines of `size`: P per line and the total, a multiple of BLOCK. */
export function sortLayout(lines: number, size: number): { pLen: number; total: number } {
  const pLen = nextPow2(size);
  const perBlock = Math.max(1, BLOCK / pLen);
  return { pLen, total: Math.ceil(lines / perBlock) * perBlock * pLen };
}

type SortParams = { total: number; p_len: number; k: number; j: number; lines: number; size: number; inner: number; kk: number; desc: number };

/**
 * Sorts the padded (key, position) lines in `keys`/`vals` in place: one local pass sorts every
 * block of 1024; a line longer than that then needs, per stage k, one global pass per stride
 * >= 1024 and one local pass for the rest (66 dispatches for a line of 2^20).
 */
export function sortPairs(gpu: GpuRuntime, keys: PooledBuffer, vals: PooledBuffer, pLen: number, total: number, op: string): void {
  const base: SortParams = { total, p_len: pLen, k: 0, j: 0, lines: 0, size: 0, inner: 1, kk: 0, desc: 0 };
  const bufs = { keys, vals };
  const variant = { types: { T: 'f32' as const } };
  gpu.run(LOCAL, variant, bufs, base, total / BLOCK, op);
  for (let k = 2 * BLOCK; k <= pLen; k *= 2) {
    for (let j = k / 2; j >= BLOCK; j /= 2) gpu.run(GLOBAL, variant, bufs, { ...base, k, j }, groupsFor(total / 2, WG), op);
    gpu.run(LOCAL, variant, bufs, { ...base, k }, total / BLOCK, op);
  }
}

export function sortIndices(gpu: GpuRuntime, x: Storage, layout: ReduceLayout, kk: number, descending: boolean): GPUStorage {
  const op = 'sort';
  const xb = gpu.buf(x, op);
  const { outer, size, inner } = layout;
  const lines = outer * inner;
  const out = gpu.alloc(outer * kk * inner, 'int32', op);
  if (lines === 0 || kk === 0) return out;
  const { pLen, total } = sortLayout(lines, size);
  const keys = gpu.alloc(total, 'int32', op);
  const vals = gpu.alloc(total, 'int32', op);
  const params: SortParams = { total, p_len: pLen, k: 0, j: 0, lines, size, inner, kk, desc: descending ? 1 : 0 };
  const variant = { types: { T: elemType(x.dtype) }, constants: { IS_FLOAT: x.dtype !== 'int32' } };
  gpu.run(LOAD, variant, { x: xb, keys: keys.buffer!, vals: vals.buffer! }, params, groupsFor(total, WG), op);
  sortPairs(gpu, keys.buffer!, vals.buffer!, pLen, total, op);
  gpu.run(EXTRACT, { types: { T: 'f32' } }, { vals: vals.buffer!, out: out.buffer! }, params, groupsFor(outer * kk * inner, WG), op);
  gpu.release(keys);
  gpu.release(vals);
  return out;
}
