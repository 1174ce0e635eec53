import convSrc from '../../../shaders/conv.wgsl';
import { WebgradError } from '../../errors.js';
import type { ConvArgs, Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { groupsFor } from './dims.js';
import { defineKernel } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { type ParamValues, shaderInterface } from './shader-interface.js';
import type { GPUStorage } from './storage.js';
import { matmulTiles, type KernelProfile, type MatmulTiles } from './tuner.js';

const CONV_IO = shaderInterface(
  {
    m: 'u32',        // GEMM rows, columns and depth of one group (see shaders/conv.wgsl)
    n: 'u32',
    k: 'u32',
    k_chunk: 'u32',  // k per split (the weight gradient's split-K; k otherwise)
    a_m: 'u32',      // A's stride between rows
    groups: 'u32',
    in_c: 'u32',
    in_h: 'u32',
    in_w: 'u32',
    out_c: 'u32',
    out_h: 'u32',
    out_w: 'u32',
    k_h: 'u32',
    k_w: 'u32',
    s_h: 'u32',
    s_w: 'u32',
    p_h: 'u32',
    p_w: 'u32',
    d_h: 'u32',
    d_w: 'u32',
    icg: 'u32',
    ocg: 'u32',
    total: 'u32',    // sum_splits: elements of the result
    splits: 'u32',
    has_bias: 'u32', // conv_fwd: a bias is bound (a parameter there, not a pipeline constant: one pipeline fewer to compile)
  },
  {
    a: { binding: 1, access: 'r', type: 'T', vec4: 'a4' },
    b: { binding: 2, access: 'r', type: 'T', vec4: 'b4' },
    bias: { binding: 3, access: 'r', type: 'T' },
    out: { binding: 4, access: 'w', type: 'T' },
  },
);
const CONV = defineKernel('conv2d', convSrc, 'conv', CONV_IO, ['a', 'b', 'bias', 'out']);
const CONV_FWD = defineKernel('conv2d', convSrc, 'conv_fwd', CONV_IO, ['a', 'b', 'bias', 'out']);
const CONV_DW = defineKernel('conv2dWeightGrad', convSrc, 'conv_dw', CONV_IO, ['a', 'b', 'out']);
const SUM_SPLITS = defineKernel('conv2dSumSplits', convSrc, 'sum_splits', CONV_IO, ['a', 'out']);

type ConvParams = ParamValues<typeof CONV_IO.params>;
type Mode = 0 | 1 | 2;
const OP_NAME = ['conv2d', 'conv2dInputGrad', 'conv2dWeightGrad'] as const;

const pow2ceil = (v: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/**
 * The tiles of the implicit GEMM (the gradients; the forward on GPUs, and where conv_fwd does
 * not apply: convForwardTiles). GPU: matmul's for the same [m, n] (tuner.ts: 16x16
 * invocations, 4x4 outputs, workgroup memory; not yet measured on a real GPU for conv).
 * CPU-emulated: direct loads with as many rows per invocation as m allows (up to 8), because
 * m is the channel count (8 to 64) and each B element (a tap of the image, with its bounds
 * checks) is then reused by 8 rows instead of 2. Measured on lavapipe (bench/experiments/
 * conv-tiles.ts, MNIST 8->16, batch 64, 14x14, 5x5, medians of 3, a shared 2-core machine):
 *   forward      matmul's (8x8 invocations, 2x8 outputs) 106 ms | 16x2, 8x8 33.5 | 32x2, 8x4 101 | shared 16x16, 4x4 700
 *   input grad   269 | 168 | 220 | 1629        weight grad (n = 200)   291 | 169 | 108 | 964
 * CIFAR-like 32->64 (batch 32, 16x16, 3x3; m = 64): 8x8 invocations of 8x8 outputs 428 / 279 / 366 ms,
 * 16x2 of 8x8 291 / 260 / 270, 32x2 of 8x4 371 / 348 / 399 (forward / input grad / weight grad).
 * So 2 rows of invocations of 8 rows each (more, smaller workgroups for the 2 threads to share),
 * 8 columns each when n is large, 4 columns over 32 invocations when it is short.
 */
export function convTiles(m: number, n: number, profile: KernelProfile): MatmulTiles {
  if (profile === 'gpu') return matmulTiles(m, n, profile);
  const tm = Math.min(8, pow2ceil(m));
  const wgY = Math.min(2, pow2ceil(Math.ceil(m / tm)));
  const [wgX, tn] = n >= 256 ? [16, 8] : [Math.min(32, pow2ceil(n)), Math.min(4, pow2ceil(Math.ceil(n / 32)))];
  return { SHARED: false, WG_X: wgX, WG_Y: wgY, BK: 16, TM: tm, TN: tn };
}

/** conv_fwd's input elements per invocation and kernel row (shaders/conv.wgsl). */
const fwdWindow = (a: ConvArgs, tn: number): number => (tn - 1) * a.strideW + (a.kW - 1) * a.dilW + 1;
const MAX_WINDOW = 32;
/** conv_fwd keeps a workgroup's weights in workgroup memory up to WebGPU's default 16 KiB. */
const SHARED_A_BYTES = 16384;

/**
 * The forward's tiles. GPU: matmul's for the same [m, n] (the generic kernel). CPU-emulated:
 * `conv_fwd` (WG_Y = 1): an output row per invocation split into equal blocks, as many
 * channels per invocation as 64 accumulators allow; from 16 output channels up 8 channels x
 * blocks of at most 8 columns, below that blocks of at most 16 (4 channels at 14 or 16).
 * Blocks shrink where a strided or dilated window would exceed MAX_WINDOW; null where none
 * fits (the generic kernel runs). Measured on lavapipe with bench/experiments/conv-tiles.ts
 * (wall time of the dispatch, variants interleaved, median of the per-round ratios to conv_fwd's
 * tiles, 11-31 rounds, the shared 2-core machine at load 9-13):
 *   generic kernel (16x2 invocations of 8x8) over conv_fwd: MNIST 8->16 (64x14x14, 5x5) 1.3-1.9x,
 *     CIFAR 32->64 (32x16x16, 3x3) 1.8x, MNIST 1->8 (28x28) 3.0-3.9x, CIFAR 3->32 1.6-1.8x
 *   conv_fwd's tiles over 8 channels x 8 columns: CIFAR 32->64 0.81-0.82 (8x8 faster),
 *     CIFAR 3->32 0.70-0.89; 8 x 7 over 4 x 14: MNIST 8->16 0.89, MNIST 1->8 1.12-1.41 (slower:
 *     so 4 x 14 below 16 channels); 16 x 4 (CIFAR 32->64) 2.4x slower; 8 x 16 (128
 *     accumulators, spilled) ~4x slower.
 * The kernel's own steps, each measured the same way: the input window once per kernel row
 * instead of a load per tap, ~1.3x (MNIST); the weights in workgroup memory, ~1.5x at MNIST (none
 * at CIFAR); the window as vec4 loads, 1.2-1.4x; the weights as [k][row] vec4s, 1.2-1.3x at CIFAR.
 */
export function convForwardTiles(a: ConvArgs, profile: KernelProfile): MatmulTiles | null {
  const m = a.outC / a.groups;
  if (profile === 'gpu') return matmulTiles(m, a.batch * a.outH * a.outW, profile);
  const deep = m >= 16;
  const maxTn = deep ? 8 : 16;
  let tn = Math.ceil(a.outW / Math.ceil(a.outW / maxTn));
  while (tn > 1 && fwdWindow(a, tn) > MAX_WINDOW) tn = Math.ceil(tn / 2);
  if (fwdWindow(a, tn) > MAX_WINDOW) return null;
  const tm = Math.max(1, Math.min(Math.floor(64 / tn), deep ? 8 : 16, m));
  return { SHARED: false, WG_X: 32, WG_Y: 1, BK: 16, TM: tm, TN: tn };
}

/**
 * Workgroups the weight gradient aims for by cutting its long k (batch·outH·outW) into
 * splits: its [ocg, icg·kh·kw] output is a handful of tiles (MNIST's 8->16 5x5: one), which
 * alone would keep one core of lavapipe or one SM of a GPU busy.
 */
const SPLIT_TARGET: Record<KernelProfile, number> = { gpu: 256, 'cpu-emulated': 16 };
/** Fewest k steps per split: below this, the extra partial sums cost more than they spread. */
const SPLIT_MIN_K = 256;
const MAX_SPLITS = 64;

function geometry(a: ConvArgs, mode: Mode): { m: number; n: number; k: number; aM: number } {
  const icg = a.inC / a.groups;
  const ocg = a.outC / a.groups;
  const khw = a.kH * a.kW;
  if (mode === 0) return { m: ocg, n: a.batch * a.outH * a.outW, k: icg * khw, aM: icg * khw };
  if (mode === 1) return { m: icg, n: a.batch * a.inH * a.inW, k: ocg * khw, aM: khw };
  return { m: ocg, n: icg * khw, k: a.batch * a.outH * a.outW, aM: a.outH * a.outW };
}

/** conv_fwd's TM rows of k weights fit workgroup memory (SHARED_A). */
const sharedWeights = (tiles: MatmulTiles, k: number): boolean => Math.ceil(tiles.TM / 4) * 16 * k <= SHARED_A_BYTES;

/**
 * Tiles forced by the measurements (bench/experiments/conv-tiles.ts): WG_Y = 1 runs the direct
 * kernels (conv_fwd, conv_dw) with them where they apply, WG_Y > 1 the generic one; 'generic'
 * is the generic kernel with convTiles' choice.
 */
export type ForcedTiles = MatmulTiles | 'generic';

function launch(gpu: GpuRuntime, mode: Mode, aSt: Storage, bSt: Storage, bias: Storage | null, a: ConvArgs, force?: ForcedTiles): GPUStorage {
  const op = OP_NAME[mode];
  const ab = gpu.buf(aSt, op);
  const bb = gpu.buf(bSt, op);
  const biasB = bias === null ? null : gpu.buf(bias, op);
  if (aSt.dtype !== 'float32' || bSt.dtype !== 'float32') throw new WebgradError(op, `expected float32 storages, got ${aSt.dtype} and ${bSt.dtype}`);
  const { m, n, k, aM } = geometry(a, mode);
  const outN = m * n * a.groups;
  const out = gpu.alloc(outN, 'float32', op);
  if (outN === 0) return out;
  if (k === 0) {
    gpu.live(op);
    gpu.recorder.clear(out.buffer!, outN * 4, op);
    return out;
  }
  const generic = force === 'generic';
  const forced = generic ? convTiles(m, n, gpu.profile) : force;
  // The gradients' direct forms on CPU-emulated adapters. Both read vec4s: the buffers must
  // hold whole ones (pool size classes do; an exact size near the binding limit may not).
  if (mode === 1 && !generic && (forced === undefined || forced.WG_Y === 1) && bb.size % 16 === 0) {
    const t = inputGradTiles(a, gpu.profile);
    if (t !== null && (forced === undefined || sharedWeights(forced, (a.outC / a.groups) * a.kH * a.kW))) {
      const ta = t.args;
      const tk = (ta.inC / ta.groups) * ta.kH * ta.kW;
      return runFwd(gpu, forced ?? t.tiles, ta, tk, true, { a: ab, b: bb, bias: null, out }, op);
    }
  }
  if (mode === 2 && !generic && (forced === undefined || forced.WG_Y === 1) && ab.size % 16 === 0 && bb.size % 16 === 0) {
    const tiles = forced ?? weightGradTiles(a, gpu.profile);
    if (tiles !== null && runDw(gpu, tiles, a, ab, bb, out, op)) return out;
  }
  const tiles = forced ?? (mode === 0 ? convForwardTiles(a, gpu.profile) : null) ?? convTiles(m, n, gpu.profile);
  // The forward's direct tiles with one row of invocations run conv_fwd; forced WG_Y > 1 keeps
  // the generic kernel (for the measurements).
  // conv_fwd reads the input as vec4s: its buffer must hold whole ones (pool size classes do;
  // an exact size near the binding limit may not).
  const fwd = mode === 0 && !generic && !tiles.SHARED && tiles.WG_Y === 1 && fwdWindow(a, tiles.TN) <= MAX_WINDOW && bb.size % 16 === 0;
  const gx = fwd ? Math.ceil((a.batch * a.outH * Math.ceil(a.outW / tiles.TN)) / tiles.WG_X) : Math.ceil(n / (tiles.WG_X * tiles.TN));
  const gy = Math.ceil(m / (tiles.WG_Y * tiles.TM));
  let splits = 1;
  if (mode === 2) {
    const want = Math.ceil(SPLIT_TARGET[gpu.profile] / (gx * gy * a.groups));
    splits = Math.max(1, Math.min(want, MAX_SPLITS, Math.floor(k / SPLIT_MIN_K)));
  }
  const kChunk = Math.ceil(k / splits / tiles.BK) * tiles.BK;
  splits = Math.ceil(k / kChunk);
  const gz = a.groups * splits;
  const maxGroups = gpu.maxGroupsPerDim;
  if (gx > maxGroups || gy > maxGroups || gz > maxGroups) {
    throw new WebgradError(op, `a [${m}, ${n}] product in ${gz} groups is too large for one WebGPU grid (at most ${maxGroups} workgroups per dimension)`);
  }
  const params = convParams(a, { m, n, k, aM }, outN, kChunk, splits, biasB !== null);
  if (fwd) return runFwd(gpu, tiles, a, k, false, { a: ab, b: bb, bias: biasB, out }, op);
  const partial = splits > 1 ? gpu.alloc(outN * splits, 'float32', op) : null;
  const variant = { types: { T: 'f32' as const }, constants: { MODE: mode, HAS_BIAS: biasB !== null, STRIDE_ONE: mode === 1 && a.strideH === 1 && a.strideW === 1, ...tiles } };
  gpu.run(CONV, variant, { a: ab, b: bb, bias: biasB ?? gpu.dummyRead, out: (partial ?? out).buffer! }, params, [gx, gy, gz], op);
  if (partial) {
    gpu.run(SUM_SPLITS, { types: { T: 'f32' } }, { a: partial.buffer!, out: out.buffer! }, params, groupsFor(outN, 256), op);
    gpu.release(partial);
  }
  return out;
}

function convParams(a: ConvArgs, g: { m: number; n: number; k: number; aM: number }, total: number, kChunk: number, splits: number, hasBias: boolean): ConvParams {
  return {
    m: g.m, n: g.n, k: g.k, k_chunk: kChunk, a_m: g.aM, groups: a.groups,
    in_c: a.inC, in_h: a.inH, in_w: a.inW, out_c: a.outC, out_h: a.outH, out_w: a.outW, k_h: a.kH, k_w: a.kW,
    s_h: a.strideH, s_w: a.strideW, p_h: a.padH, p_w: a.padW, d_h: a.dilH, d_w: a.dilW,
    icg: a.inC / a.groups, ocg: a.outC / a.groups, total, splits, has_bias: hasBias ? 1 : 0,
  };
}

/**
 * conv_fwd over `a` (the forward's geometry), or with `flip` the input gradient as the
 * forward `a` = inputGradTiles' transposed geometry describes, reading the original weights.
 */
function runFwd(gpu: GpuRuntime, tiles: MatmulTiles, a: ConvArgs, k: number, flip: boolean, io: { a: PooledBuffer; b: PooledBuffer; bias: PooledBuffer | null; out: GPUStorage }, op: string): GPUStorage {
  const m = a.outC / a.groups;
  const n = a.batch * a.outH * a.outW;
  const gx = Math.ceil((a.batch * a.outH * Math.ceil(a.outW / tiles.TN)) / tiles.WG_X);
  const gy = Math.ceil(m / tiles.TM);
  const maxGroups = gpu.maxGroupsPerDim;
  if (gx > maxGroups || gy > maxGroups || a.groups > maxGroups) {
    throw new WebgradError(op, `a [${m}, ${n}] product in ${a.groups} groups is too large for one WebGPU grid (at most ${maxGroups} workgroups per dimension)`);
  }
  const params = convParams(a, { m, n, k, aM: k }, m * n * a.groups, k, 1, io.bias !== null);
  const sharedA = sharedWeights(tiles, k);
  const constants = {
    WG_X: tiles.WG_X, TM: tiles.TM, TN: tiles.TN, K_W: a.kW, S_W: a.strideW, D_W: a.dilW, SHARED_A: sharedA, KA: sharedA ? k : 1, FLIP: flip,
  };
  gpu.run(CONV_FWD, { types: { T: 'f32' }, constants }, { a: io.a, b: io.b, bias: io.bias ?? gpu.dummyRead, out: io.out.buffer! }, params, [gx, gy, a.groups], op);
  return io.out;
}

/**
 * The input gradient on CPU-emulated adapters at stride 1: dx is the forward convolution of dy
 * with the weights flipped in both kernel axes and transposed (in <-> out channels), padded by
 * d·(k-1) - p, so conv_fwd's structure applies (shaders/conv.wgsl, FLIP). Strided convolutions
 * (their dy would need zeros between its elements) and padding past the kernel's reach keep the
 * generic kernel, as do geometries whose window conv_fwd cannot hold and whose weights do not
 * fit workgroup memory (conv_fwd's SHARED_A). Measured on lavapipe (bench/experiments/
 * conv-tiles.ts AB=1, medians of 5-9 interleaved rounds, generic over direct): MNIST 8->16
 * (batch 64, 14x14, 5x5) 1.8x, MNIST 1->8 2.7x, CIFAR 3->32 2.0x; CIFAR 32->64 (3x3, weights
 * past workgroup memory) 0.96x, so that one keeps the generic kernel.
 */
export function inputGradTiles(a: ConvArgs, profile: KernelProfile): { args: ConvArgs; tiles: MatmulTiles } | null {
  if (profile === 'gpu' || a.strideH !== 1 || a.strideW !== 1) return null;
  const padH = a.dilH * (a.kH - 1) - a.padH;
  const padW = a.dilW * (a.kW - 1) - a.padW;
  if (padH < 0 || padW < 0) return null;
  const args: ConvArgs = {
    ...a, inC: a.outC, outC: a.inC, inH: a.outH, inW: a.outW, outH: a.inH, outW: a.inW, padH, padW,
  };
  const tiles = convForwardTiles(args, profile);
  if (tiles === null || !sharedWeights(tiles, (a.outC / a.groups) * a.kH * a.kW)) return null;
  return { args, tiles };
}

/** conv_dw's accumulators per invocation (TM x K_W) and the invocations it aims for. */
const DW_ACC = 64;
const DW_LANES = 1024;
/** Fewest output rows per split of conv_dw. */
const DW_MIN_ROWS = 8;
/**
 * conv_dw only where the weight gradient has few taps per output channel (icg·kh·kw): there the
 * generic kernel's columns (those taps) leave its tiles mostly empty. Measured on lavapipe
 * (conv-tiles.ts, AB=1, generic over conv_dw, medians of 5-9 interleaved rounds): MNIST 1->8
 * (25 taps) 3.6x, CIFAR 3->32 (27) 1.5x faster; MNIST 8->16 (200) 0.84x, CIFAR 32->64 (288)
 * 0.36x, i.e. slower: with many taps the generic kernel fills its 8x4 tiles and conv_dw's
 * per-row vec4 loads of TM·TN gradients (unaligned rows: phase selects) cost more than its
 * reuse saves.
 */
const DW_MAX_TAPS = 64;

/**
 * The weight gradient's tiles on CPU-emulated adapters (`conv_dw`): TM output channels x the
 * K_W taps of one input channel and kernel row per invocation (TM·K_W <= 64 accumulators and
 * TM·TN <= 64 gradients held, the channels in equal blocks),
 * output rows in equal blocks of at most 16 columns (fewer where the input window would exceed
 * MAX_WINDOW). null on GPUs and where no block fits (the generic kernel runs).
 */
export function weightGradTiles(a: ConvArgs, profile: KernelProfile): MatmulTiles | null {
  if (profile === 'gpu' || a.kW > DW_ACC || (a.inC / a.groups) * a.kH * a.kW > DW_MAX_TAPS) return null;
  let tn = Math.ceil(a.outW / Math.ceil(a.outW / 16));
  while (tn > 1 && fwdWindow(a, tn) > MAX_WINDOW) tn = Math.ceil(tn / 2);
  if (fwdWindow(a, tn) > MAX_WINDOW) return null;
  const ocg = a.outC / a.groups;
  const maxTm = Math.max(1, Math.min(Math.floor(DW_ACC / a.kW), Math.floor(DW_ACC / tn), 16));
  const tm = Math.ceil(ocg / Math.ceil(ocg / maxTm));   // equal blocks of channels
  return { SHARED: false, WG_X: 32, WG_Y: 1, BK: 16, TM: tm, TN: tn };
}

/** conv_dw, split over the batch·outH output rows and summed by sum_splits; false when the grid cannot hold it. */
function runDw(gpu: GpuRuntime, tiles: MatmulTiles, a: ConvArgs, dy: PooledBuffer, x: PooledBuffer, out: GPUStorage, op: string): boolean {
  const icg = a.inC / a.groups;
  const ocg = a.outC / a.groups;
  const blocks = a.groups * Math.ceil(ocg / tiles.TM) * icg * a.kH;
  const rows = a.batch * a.outH;
  let splits = Math.max(1, Math.min(Math.ceil(DW_LANES / blocks), MAX_SPLITS, Math.floor(rows / DW_MIN_ROWS)));
  const chunk = Math.ceil(rows / splits);
  splits = Math.ceil(rows / chunk);
  const gx = Math.ceil((blocks * splits) / tiles.WG_X);
  if (gx > gpu.maxGroupsPerDim) return false;
  const total = a.outC * icg * a.kH * a.kW;
  const params = convParams(a, geometry(a, 2), total, chunk, splits, false);
  const partial = splits > 1 ? gpu.alloc(total * splits, 'float32', op) : null;
  const constants = { WG_X: tiles.WG_X, TM: tiles.TM, TN: tiles.TN, K_W: a.kW, S_W: a.strideW, D_W: a.dilW };
  gpu.run(CONV_DW, { types: { T: 'f32' }, constants }, { a: dy, b: x, out: (partial ?? out).buffer! }, params, [gx, 1, 1], op);
  if (partial) {
    gpu.run(SUM_SPLITS, { types: { T: 'f32' } }, { a: partial.buffer!, out: out.buffer! }, params, groupsFor(total, 256), op);
    gpu.release(partial);
  }
  return true;
}

/** conv2d forward (bias fused into the store). `forced` tiles are for the measurements. */
export function conv2d(gpu: GpuRuntime, x: Storage, w: Storage, bias: Storage | null, a: ConvArgs, forced?: ForcedTiles): GPUStorage {
  return launch(gpu, 0, w, x, bias, a, forced);
}

/** dx of conv2d (convTranspose2d's forward). */
export function conv2dInputGrad(gpu: GpuRuntime, dy: Storage, w: Storage, a: ConvArgs, forced?: ForcedTiles): GPUStorage {
  return launch(gpu, 1, w, dy, null, a, forced);
}

/** dw of conv2d, split along batch·outH·outW and summed in split order. */
export function conv2dWeightGrad(gpu: GpuRuntime, x: Storage, dy: Storage, a: ConvArgs, forced?: ForcedTiles): GPUStorage {
  return launch(gpu, 2, dy, x, null, a, forced);
}
