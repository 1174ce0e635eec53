import type { TypedArray } from '../../dtype.js';
import type { MatmulArgs } from '../backend.js';
import { allocLike } from './storage.js';

/**
 * out[b] = op(A[b]) · op(B[b]) into a contiguous [batch, m, n], in A's dtype.
 *
 * Precision: every output element is accumulated in float64 over p = 0..k-1 in order and rounded
 * once on store, whichever transpose flags or blocking computed it (a k block hands its running
 * float64 sums to the next block through a float64 scratch, never through the output dtype). So
 * the four transpose combinations give bit-identical results for the same mathematical product,
 * float64 results equal a naive in-order float64 loop, and float32 results equal that loop on the
 * float32 inputs rounded once (at least as accurate as PyTorch's float32 accumulation). Float32
 * inputs are widened to float64 while packing, which costs nothing measurable: the kernel is
 * bound by scalar multiply-adds, not by memory.
 *
 * Speed (pure TS, no SIMD): both operands are packed into float64 micro-panels, A as MR rows
 * interleaved along k and B as NR columns interleaved along k (zero-padded at the edges), so all
 * four transpose combinations reach one unit-stride micro-kernel that keeps an MR x NR block of
 * outputs in local scalars (registers) and does MR*NR multiply-adds per MR+NR loads. The k axis
 * is cut into KC blocks so the packed B block and an A micro-panel stay in cache. Scratch arrays
 * are module-level and grow as needed. Zero padding only feeds padded outputs that are never
 * stored, and no A or B value is skipped, so 0 * Inf still makes NaN.
 *
 * Small or thin products (m or n below the micro-tile) skip packing: see `matmulSmall`.
 */
/** Where batch t's matrix of A (or B) starts, over both batch levels of `args`. */
function batchOffset(args: MatmulArgs, t: number, which: 'a' | 'b'): number {
  const inner = args.inner ?? 1;
  const outerStride = which === 'a' ? args.aBatchStride : args.bBatchStride;
  const innerStride = (which === 'a' ? args.aInnerStride : args.bInnerStride) ?? 0;
  return Math.floor(t / inner) * outerStride + (t % inner) * innerStride;
}

export function matmul(a: TypedArray, b: TypedArray, args: MatmulArgs): TypedArray {
  const { batch, m, k, n, transA, transB } = args;
  const out = allocLike(a, batch * m * n);
  if (m === 0 || n === 0 || batch === 0) return out;
  if (k === 0) return out; // empty sums: zeros
  if (m < MR || n < NR) {
    matmulSmall(a, b, out, args);
    return out;
  }
  const mPad = roundUp(m, MR);
  const nPad = roundUp(n, NR);
  const kc = Math.min(k, KC);
  const ap = scratchA(mPad * kc);
  const bp = scratchB(nPad * kc);
  const c = scratchC(mPad * nPad);
  // A and B stay packed across batches that read the same matrix (a broadcast) when k fits
  // one block.
  const oneBlock = kc === k;
  let aPrev = -1;
  let bPrev = -1;
  for (let t = 0; t < batch; t++) {
    const aOff = batchOffset(args, t, 'a');
    const bOff = batchOffset(args, t, 'b');
    for (let p0 = 0; p0 < k; p0 += kc) {
      const kb = Math.min(kc, k - p0);
      const first = p0 === 0;
      if (!(oneBlock && aOff === aPrev)) packA(a, aOff, transA, m, k, p0, kb, mPad, ap);
      if (!(oneBlock && bOff === bPrev)) packB(b, bOff, transB, n, k, p0, kb, nPad, bp);
      aPrev = aOff;
      bPrev = bOff;
      for (let j0 = 0; j0 < nPad; j0 += NR) {
        const bo = j0 * kb;
        for (let i0 = 0; i0 < mPad; i0 += MR) kernel(ap, i0 * kb, bp, bo, c, i0 * nPad + j0, nPad, kb, first);
      }
    }
    // Round once into the output (float32 outputs round here; float64 copy exactly).
    const oOff = t * m * n;
    if (nPad === n) out.set(c.subarray(0, m * n), oOff);
    else for (let i = 0; i < m; i++) out.set(c.subarray(i * nPad, i * nPad + n), oOff + i * n);
  }
  return out;
}

/**
 * Micro-tile: MR rows of A by NR columns of B per kernel call. Measured on node 20 (x64): 4x4,
 * 3x4, 4x3, 2x6 and 4x8 all land at 5.5-6 GFLOP/s (V8 spills part of a 16-accumulator tile,
 * and each typed-array load carries a bounds check); 2x4 and 8x2 are slower, and unrolling
 * the k loop by two is slower still. 4x4 divides the usual power-of-two sizes without padding.
 */
const MR = 4;
const NR = 4;
/** k block: an A micro-panel (MR*KC doubles) and a B micro-panel (NR*KC) sit in L1 together. */
const KC = 256;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/**
 * Packing and accumulator scratch, reused across calls. Arrays up to KEEP_MAX doubles (8 MiB)
 * are kept and grown; bigger products get a fresh array that the GC takes after the call, so a
 * one-off huge product does not pin its scratch for the life of the process.
 */
const KEEP_MAX = 1 << 20;
const scratch: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
function scratchOf(slot: number, len: number): Float64Array {
  const cur = scratch[slot];
  if (cur.length >= len) return cur;
  const fresh = new Float64Array(len);
  if (len <= KEEP_MAX) scratch[slot] = fresh;
  return fresh;
}
const scratchA = (len: number): Float64Array => scratchOf(0, len);
const scratchB = (len: number): Float64Array => scratchOf(1, len);
const scratchC = (len: number): Float64Array => scratchOf(2, len);

/**
 * Packs op(A)[0..m, p0..p0+kb] as micro-panels: panel ip holds rows ip*MR.. as
 * dst[ip*MR*kb + (p-p0)*MR + r]; rows m..mPad are zero.
 */
function packA(
  a: TypedArray,
  off: number,
  trans: boolean,
  m: number,
  k: number,
  p0: number,
  kb: number,
  mPad: number,
  dst: Float64Array,
): void {
  if (trans) {
    // op(A)[i,p] = a[p*m + i]: contiguous in i, so copy MR-wide runs per p.
    for (let i0 = 0; i0 < mPad; i0 += MR) {
      let d = i0 * kb;
      const rows = Math.min(MR, m - i0);
      for (let p = p0; p < p0 + kb; p++) {
        const s = off + p * m + i0;
        if (rows === MR) {
          dst[d] = a[s];
          dst[d + 1] = a[s + 1];
          dst[d + 2] = a[s + 2];
          dst[d + 3] = a[s + 3];
        } else {
          for (let r = 0; r < MR; r++) dst[d + r] = r < rows ? a[s + r] : 0;
        }
        d += MR;
      }
    }
  } else {
    // op(A)[i,p] = a[i*k + p]: contiguous in p, so walk each row along k.
    for (let i0 = 0; i0 < mPad; i0 += MR) {
      const base = i0 * kb;
      for (let r = 0; r < MR; r++) {
        const i = i0 + r;
        let d = base + r;
        if (i < m) {
          for (let p = off + i * k + p0, e = p + kb; p < e; p++, d += MR) dst[d] = a[p];
        } else {
          for (let q = 0; q < kb; q++, d += MR) dst[d] = 0;
        }
      }
    }
  }
}

/**
 * Packs op(B)[p0..p0+kb, 0..n] as micro-panels: panel jp holds columns jp*NR.. as
 * dst[jp*NR*kb + (p-p0)*NR + c]; columns n..nPad are zero.
 */
function packB(
  b: TypedArray,
  off: number,
  trans: boolean,
  n: number,
  k: number,
  p0: number,
  kb: number,
  nPad: number,
  dst: Float64Array,
): void {
  if (!trans) {
    // op(B)[p,j] = b[p*n + j]: contiguous in j.
    for (let j0 = 0; j0 < nPad; j0 += NR) {
      let d = j0 * kb;
      const cols = Math.min(NR, n - j0);
      for (let p = p0; p < p0 + kb; p++) {
        const s = off + p * n + j0;
        if (cols === NR) {
          dst[d] = b[s];
          dst[d + 1] = b[s + 1];
          dst[d + 2] = b[s + 2];
          dst[d + 3] = b[s + 3];
        } else {
          for (let c = 0; c < NR; c++) dst[d + c] = c < cols ? b[s + c] : 0;
        }
        d += NR;
      }
    }
  } else {
    // op(B)[p,j] = b[j*k + p]: contiguous in p.
    for (let j0 = 0; j0 < nPad; j0 += NR) {
      const base = j0 * kb;
      for (let c = 0; c < NR; c++) {
        const j = j0 + c;
        let d = base + c;
        if (j < n) {
          for (let p = off + j * k + p0, e = p + kb; p < e; p++, d += NR) dst[d] = b[p];
        } else {
          for (let q = 0; q < kb; q++, d += NR) dst[d] = 0;
        }
      }
    }
  }
}

/**
 * C[4x4 at cOff, row stride ldc] (+)= Σ_p Ap[p] ⊗ Bp[p] over kb steps, in p order, in float64.
 * `first` starts from zero; otherwise the running sums of earlier k blocks are loaded from C.
 */
function kernel(
  ap: Float64Array,
  ai: number,
  bp: Float64Array,
  bi: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
  kb: number,
  first: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const r1 = cOff + ldc;
  const r2 = r1 + ldc;
  const r3 = r2 + ldc;
  if (!first) {
    c00 = c[cOff]; c01 = c[cOff + 1]; c02 = c[cOff + 2]; c03 = c[cOff + 3];
    c10 = c[r1]; c11 = c[r1 + 1]; c12 = c[r1 + 2]; c13 = c[r1 + 3];
    c20 = c[r2]; c21 = c[r2 + 1]; c22 = c[r2 + 2]; c23 = c[r2 + 3];
    c30 = c[r3]; c31 = c[r3 + 1]; c32 = c[r3 + 2]; c33 = c[r3 + 3];
  }
  for (let p = 0; p < kb; p++) {
    const a0 = ap[ai], a1 = ap[ai + 1], a2 = ap[ai + 2], a3 = ap[ai + 3];
    const b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += 4;
    bi += 4;
  }
  c[cOff] = c00; c[cOff + 1] = c01; c[cOff + 2] = c02; c[cOff + 3] = c03;
  c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
  c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
  c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32; c[r3 + 3] = c33;
}

/**
 * Thin products (m < MR or n < NR: matrix-vector and the like), where packing would cost as
 * much as the product. Same float64 in-order accumulation, one rounding on store.
 */
function matmulSmall(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void {
  const { batch, m, k, n, transA, transB } = args;
  const aRs = transA ? 1 : k; // A[i,p] at i*aRs + p*aCs
  const aCs = transA ? m : 1;
  const bRs = transB ? 1 : n; // B[p,j] at p*bRs + j*bCs
  const bCs = transB ? k : 1;
  const acc = new Float64Array(n);
  for (let t = 0; t < batch; t++) {
    const aOff = batchOffset(args, t, 'a');
    const bOff = batchOffset(args, t, 'b');
    const oOff = t * m * n;
    for (let i = 0; i < m; i++) {
      if (transB) {
        // Dot products along k: B's rows are contiguous.
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0, ai = aOff + i * aRs, bj = bOff + j * bCs; p < k; p++, ai += aCs, bj++) s += a[ai] * b[bj];
          out[oOff + i * n + j] = s;
        }
      } else {
        // Broadcast A[i,p] over row p of B, contiguous along j.
        acc.fill(0);
        for (let p = 0, ai = aOff + i * aRs, bi = bOff; p < k; p++, ai += aCs, bi += bRs) {
          const av = a[ai];
          for (let j = 0; j < n; j++) acc[j] += av * b[bi + j];
        }
        out.set(acc, oOff + i * n);
      }
    }
  }
}
