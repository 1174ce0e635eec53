import scanSrc from '../../../shaders/scan.wgsl';
import type { ReduceLayout } from '../../shape.js';
import type { ScanOptions, Storage } from '../backend.js';
import { elemType, groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';

const SCAN_IO = shaderInterface(
  {
    outer: 'u32',
    size: 'u32',
    inner: 'u32',
    chunks: 'u32',
    chunk_len: 'u32',
  },
  {
    x: { binding: 1, access: 'r', type: 'T' },
    off: { binding: 2, access: 'r', type: 'T' },   // HAS_OFF: each chunk's starting value
    out: { binding: 3, access: 'w', type: 'T' },
  },
);
const TOTALS = defineKernel('scan', scanSrc, 'chunk_totals', SCAN_IO, ['x', 'out']);
const OFFSETS = defineKernel('scan', scanSrc, 'chunk_offsets', SCAN_IO, ['x', 'out']);
const SCAN = defineKernel('scan', scanSrc, 'scan', SCAN_IO, ['x', 'off', 'out']);

const WG = 256;
/**
 * Chunks per line: enough (line, chunk) invocations to fill a GPU (as reduce.ts's `cols`), but
 * chunks of at least 64 elements, so the three-pass form only runs where lines are long and
 * few (a cumsum over a [1, 1M] tensor: 16384 chunks of 64 instead of one invocation walking
 * 1M elements).
 */
const THREADS = 16384;
const MIN_CHUNK = 64;

export function scan(gpu: GpuRuntime, x: Storage, layout: ReduceLayout, opts: ScanOptions): GPUStorage {
  const name = opts.op === 'sum' ? 'cumsum' : 'cumprod';
  const xb = gpu.buf(x, name);
  const { outer, size, inner } = layout;
  const lines = outer * inner;
  const out = gpu.alloc(lines * size, x.dtype, name);
  if (lines * size === 0) return out;
  const chunks = Math.max(1, Math.min(Math.ceil(size / MIN_CHUNK), Math.ceil(THREADS / lines)));
  const chunkLen = Math.ceil(size / chunks);
  const params = { outer, size, inner, chunks: Math.ceil(size / chunkLen), chunk_len: chunkLen };
  const n = lines * params.chunks;
  const constants = { OP: opts.op === 'sum' ? 0 : 1, EXCLUSIVE: opts.exclusive, REVERSE: opts.reverse, WG };
  const types = { T: elemType(x.dtype) };
  if (params.chunks === 1) {
    gpu.run(SCAN, { types, constants: { ...constants, HAS_OFF: false } }, { x: xb, off: gpu.dummyRead, out: out.buffer! }, params, groupsFor(n, WG), name);
    return out;
  }
  const totals = gpu.alloc(n, x.dtype, name);
  const offsets = gpu.alloc(n, x.dtype, name);
  gpu.run(TOTALS, { types, constants }, { x: xb, out: totals.buffer! }, params, groupsFor(n, WG), name);
  gpu.run(OFFSETS, { types, constants }, { x: totals.buffer!, out: offsets.buffer! }, params, groupsFor(lines, WG), name);
  gpu.run(SCAN, { types, constants: { ...constants, HAS_OFF: true } }, { x: xb, off: offsets.buffer!, out: out.buffer! }, params, groupsFor(n, WG), name);
  gpu.release(totals);
  gpu.release(offsets);
  return out;
}
