// Batched matmul out[b] = op(A[b]) · op(B[b]), out contiguous [batch, m, n].
// Prepended by the host: `alias T = f32|i32;`.
//
// Register-tiled: a WG_X x WG_Y workgroup computes a BM x BN block of out (BM = WG_Y*TM,
// BN = WG_X*TN); each invocation keeps a TM x TN block of accumulators in registers and, per
// step of BK along k, reads TM values of A and TN of B from workgroup memory for TM*TN
// multiply-adds. Invocation (tx, ty) owns rows ty + i*WG_Y and columns tx + j*WG_X, so stores
// of neighbouring invocations are neighbours in memory.
//
// TRANS_A / TRANS_B read A stored [k, m] / B stored [n, k] directly (mm's backward needs no
// materialised transpose); the tile loads pick their index order so that consecutive
// invocations read consecutive addresses in either layout. Loads outside the matrices read
// 0 and stores outside are skipped, so every shape works. Batch strides of 0 broadcast; two
// batch levels (outer, inner), each with its own A and B strides, cover a broadcast such as
// [B,1] against [1,H] in one dispatch.
//
// SHARED = false skips workgroup memory: each invocation reads its TM rows of A and TN columns
// of B straight from the storage buffers. That is for CPU-emulated adapters (lavapipe,
// SwiftShader), where workgroup memory is ordinary memory and every barrier is a coroutine
// switch: there it ran 2x faster than the tiled form (8.5 vs 4.2 GFLOP/s at n=1024). On a
// real GPU the tiled form is the fast one.
//
// VEC_A / VEC_B (direct form, set by the host only where the contiguous dimension and every
// batch stride are multiples of 4): read A stored [k, m] (TRANS_A) four rows at a time and B
// stored [k, n] four columns at a time as vec4. lavapipe pays per load instruction, about the
// same for a scalar and a vec4 (bench/experiments/mm-gpt-unrolled.mjs). An invocation's
// rows/columns are contiguous in the direct form, so a group of 4 lies wholly inside or wholly
// outside the matrix; groups outside read the last one instead (never stored). An entry point
// may not reference two views of one binding, so the host prepends per kernel variant the
// constants VEC_A, VEC_B and the readers load_a/load_a4/load_b/load_b4, each over one view.
//
// EPILOGUE (float32 only) also writes a second result from each stored value v into `out2`,
// for a clamp, clamp gradient or bias add that reads the product (the host fuses them,
// matmul.ts): 1: clamp(v) as unary.wgsl's clamp_op; 2: clamp's gradient with v as dy and `ex`
// as the clamp's input, as unary.wgsl's clamp_grad_op; 3, 4, 5: v + ex[col], v - ex[col],
// ex[col] - v with `ex` a row vector of n values broadcast over rows and batches (nn.Linear's
// bias), one rounding as binary.wgsl's add/sub. Every variant stores through the one loop at
// the end, so this covers the tiled, direct and vec4 forms. Bindings 4 and 5 are dummies
// otherwise.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override SHARED: bool = true;
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override BK: u32 = 16u;
override TM: u32 = 4u;   // rows per invocation, at most 8
override TN: u32 = 4u;   // columns per invocation, at most 8
override EPILOGUE: u32 = 0u;
override BM: u32 = WG_Y * TM;
override BN: u32 = WG_X * TN;
override A_TILE: u32 = BM * BK;
override B_TILE: u32 = BK * BN;



fn is_nan(v: T) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// The second result of element `o` in column `c` (EPILOGUE 1 to 5) for the stored value v.
fn epilogue(o: u32, c: u32, v: T) -> T {
  if (EPILOGUE == 3u) { return v + ex[c]; }
  if (EPILOGUE == 4u) { return v - ex[c]; }
  if (EPILOGUE == 5u) { return ex[c] - v; }
  if (EPILOGUE == 1u) {
    var r = v;
    if (!is_nan(r)) {
      if (r < P.lo) { r = P.lo_val; }
      if (r > P.hi) { r = P.hi_val; }
    }
    return r;
  }
  let x = ex[o];
  return select(T(0), v, !is_nan(x) && x >= P.lo && x <= P.hi);
}

// Where A[row, k] and B[k, col] live in either layout.
fn a_index(off: u32, row: u32, k: u32) -> u32 {
  if (TRANS_A) { return off + k * P.m + row; }
  return off + row * P.k + k;
}
fn b_index(off: u32, k: u32, col: u32) -> u32 {
  if (TRANS_B) { return off + col * P.k + k; }
  return off + k * P.n + col;
}
// The output rows/columns of invocation (tx, ty): interleaved with its neighbours in the tiled
// form (neighbouring stores), contiguous per invocation in the direct one (whole cache lines).
fn out_row(row0: u32, ty: u32, i: u32) -> u32 { return select(row0 + ty * TM + i, row0 + ty + i * WG_Y, SHARED); }
fn out_col(col0: u32, tx: u32, j: u32) -> u32 { return select(col0 + tx * TN + j, col0 + tx + j * WG_X, SHARED); }

var<workgroup> As: array<T, A_TILE>;   // [BK][BM]
var<workgroup> Bs: array<T, B_TILE>;   // [BK][BN]

@compute @workgroup_size(WG_X, WG_Y)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let tx = l.x;
  let ty = l.y;
  let lid = ty * WG_X + tx;
  let threads = WG_X * WG_Y;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let batch = P.batch0 + wid.z;
  let b_hi = batch / P.inner;
  let b_lo = batch % P.inner;
  let a_off = b_hi * P.a_batch + b_lo * P.a_inner;
  let b_off = b_hi * P.b_batch + b_lo * P.b_inner;
  let M = P.m;
  let N = P.n;
  let K = P.k;

  var acc: array<T, 64>;   // TM x TN used (row stride 8), zero-initialised
  if (SHARED) {
    for (var k0 = 0u; k0 < K; k0 += BK) {
      for (var e = lid; e < A_TILE; e += threads) {
        var r: u32;
        var kk: u32;
        if (TRANS_A) { r = e % BM; kk = e / BM; } else { kk = e % BK; r = e / BK; }
        let gr = row0 + r;
        let gk = k0 + kk;
        var v = T(0);
        if (gr < M && gk < K) { v = load_a(a_index(a_off, gr, gk)); }
        As[kk * BM + r] = v;
      }
      for (var e = lid; e < B_TILE; e += threads) {
        var c: u32;
        var kk: u32;
        if (TRANS_B) { kk = e % BK; c = e / BK; } else { c = e % BN; kk = e / BN; }
        let gc = col0 + c;
        let gk = k0 + kk;
        var v = T(0);
        if (gc < N && gk < K) { v = load_b(b_index(b_off, gk, gc)); }
        Bs[kk * BN + c] = v;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < BK; kk++) {
        var ar: array<T, 8>;
        var br: array<T, 8>;
        for (var i = 0u; i < TM; i++) { ar[i] = As[kk * BM + ty + i * WG_Y]; }
        for (var j = 0u; j < TN; j++) { br[j] = Bs[kk * BN + tx + j * WG_X]; }
        for (var i = 0u; i < TM; i++) {
          for (var j = 0u; j < TN; j++) { acc[i * 8u + j] += ar[i] * br[j]; }
        }
      }
      workgroupBarrier();
    }
  } else {
    // Rows/columns past the edge read the last one instead (never stored): no branches.
    for (var kk = 0u; kk < K; kk++) {
      var ar: array<T, 8>;
      var br: array<T, 8>;
      if (VEC_A) {
        for (var i = 0u; i < TM; i += 4u) {
          let v = load_a4((a_off + kk * M + min(out_row(row0, ty, i), M - 4u)) / 4u);
          ar[i] = v.x; ar[i + 1u] = v.y; ar[i + 2u] = v.z; ar[i + 3u] = v.w;
        }
      } else {
        for (var i = 0u; i < TM; i++) { ar[i] = load_a(a_index(a_off, min(out_row(row0, ty, i), M - 1u), kk)); }
      }
      if (VEC_B) {
        for (var j = 0u; j < TN; j += 4u) {
          let v = load_b4((b_off + kk * N + min(out_col(col0, tx, j), N - 4u)) / 4u);
          br[j] = v.x; br[j + 1u] = v.y; br[j + 2u] = v.z; br[j + 3u] = v.w;
        }
      } else {
        for (var j = 0u; j < TN; j++) { br[j] = load_b(b_index(b_off, kk, min(out_col(col0, tx, j), N - 1u))); }
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i * 8u + j] += ar[i] * br[j]; }
      }
    }
  }

  let o_off = batch * M * N;
  for (var i = 0u; i < TM; i++) {
    let r = out_row(row0, ty, i);
    if (r >= M) { break; }
    for (var j = 0u; j < TN; j++) {
      let c = out_col(col0, tx, j);
      if (c < N) {
        let o = o_off + r * N + c;
        out[o] = acc[i * 8u + j];
        if (EPILOGUE != 0u) { out2[o] = epilogue(o, c, acc[i * 8u + j]); }
      }
    }
  }
}
