// Convolution as an implicit GEMM (no im2col buffer): the three products of conv2d, each
// C[m, col] = Σ_k A[m, k]·B[k, col] per group (workgroup z), with B's elements read straight
// from the activation tensor through the convolution's index arithmetic. Geometry as in
// ConvArgs (src/backend/backend.ts). Prepended by the host: `alias T = f32;`, Params, bindings.
//
//   MODE 0 forward        C = y[n, g·ocg + m, oh, ow]  A = w [ocg, icg·kh·kw]   B = x taps
//                          m < ocg, col = (n, oh, ow), k = (c, kh, kw)
//   MODE 1 input grad     C = dx[n, g·icg + m, ih, iw]  A = w read as [icg, ocg·kh·kw]
//                          B = dy at oh = (ih + ph - kh·dh) / sh when that divides, else 0
//                          m < icg, col = (n, ih, iw), k = (oc, kh, kw)
//   MODE 2 weight grad    C = dw[g·ocg + m, c, kh, kw]  A = dy [ocg, n·oh·ow]   B = x taps
//                          m < ocg, col = (c, kh, kw), k = (n, oh, ow); K is long (batch·outH·outW)
//                          and M·N small, so K is cut into P.splits chunks (z = split·groups + g),
//                          each writing a partial [outC, icg·kh·kw] that `sum_splits` adds up
//                          in split order (deterministic: no atomics).
//
// The tiling is matmul.wgsl's: a WG_X x WG_Y workgroup computes a BM x BN block, TM x TN
// accumulators per invocation, SHARED = workgroup-memory tiles of BK (GPUs) or direct loads
// (CPU-emulated adapters, where workgroup memory is ordinary memory and barriers are costly).
// On CPU-emulated adapters the forward has its own entry point, `conv_fwd` (at the end).

override MODE: u32 = 0u;
override HAS_BIAS: bool = false;
// MODE 1 at stride 1: every tap lands on an output, so no division (u32 division is a slow
// multi-instruction sequence on CPU-emulated adapters).
override STRIDE_ONE: bool = false;
override SHARED: bool = true;
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override BK: u32 = 16u;
override TM: u32 = 4u;
override TN: u32 = 4u;
override BM: u32 = WG_Y * TM;
override BN: u32 = WG_X * TN;
override A_TILE: u32 = BM * BK;
override B_TILE: u32 = BK * BN;

// A column or a k index in the activation's terms: `a` the k part of A's offset (k only),
// `ch` the element offset of its sample/channel plane, (y, x) its part of the row and column.
struct Pt {
  a: u32,
  ch: u32,
  y: i32,
  x: i32,
}

fn in_hw() -> u32 { return P.in_h * P.in_w; }
fn out_hw() -> u32 { return P.out_h * P.out_w; }
fn k_hw() -> u32 { return P.k_h * P.k_w; }

// (c or oc, kh, kw): a kernel tap.
fn tap_pt(i: u32, plane: u32) -> Pt {
  let khw = k_hw();
  let r = i % khw;
  let ka = r / P.k_w;
  let kb = r % P.k_w;
  return Pt(0u, (i / khw) * plane, i32(ka * P.d_h), i32(kb * P.d_w));
}

// (n, oh, ow): an output position, as the top-left input coordinate of its window.
fn out_pt(i: u32) -> Pt {
  let hw = out_hw();
  let nn = i / hw;
  let sp = i % hw;
  let oh = sp / P.out_w;
  let ow = sp % P.out_w;
  return Pt(nn * P.out_c * hw + sp, nn * P.in_c * in_hw(), i32(oh * P.s_h) - i32(P.p_h), i32(ow * P.s_w) - i32(P.p_w));
}

fn col_pt(col: u32) -> Pt {
  if (MODE == 0u) { return out_pt(col); }
  if (MODE == 2u) { return tap_pt(col, in_hw()); }
  // MODE 1: (n, ih, iw), shifted by the padding.
  let hw = in_hw();
  let nn = col / hw;
  let sp = col % hw;
  return Pt(0u, nn * P.out_c * out_hw(), i32(sp / P.in_w + P.p_h), i32(sp % P.in_w + P.p_w));
}

fn k_pt(k: u32) -> Pt {
  if (MODE == 0u) {
    var p = tap_pt(k, in_hw());
    p.a = k;
    return p;
  }
  if (MODE == 2u) { return out_pt(k); }
  // MODE 1: (oc, kh, kw); A = w[g·ocg + oc, m, kh, kw].
  var p = tap_pt(k, out_hw());
  let khw = k_hw();
  p.a = (k / khw) * P.icg * khw + k % khw;
  return p;
}

fn b_val(b_grp: u32, c: Pt, k: Pt) -> T {
  if (MODE == 1u) {
    let y = c.y - k.y;
    let x = c.x - k.x;
    if (y < 0 || x < 0) { return T(0); }
    if (STRIDE_ONE) {
      if (u32(y) >= P.out_h || u32(x) >= P.out_w) { return T(0); }
      return b[b_grp + c.ch + k.ch + u32(y) * P.out_w + u32(x)];
    }
    let oh = u32(y) / P.s_h;
    let ow = u32(x) / P.s_w;
    if (oh * P.s_h != u32(y) || ow * P.s_w != u32(x) || oh >= P.out_h || ow >= P.out_w) { return T(0); }
    return b[b_grp + c.ch + k.ch + oh * P.out_w + ow];
  }
  let y = c.y + k.y;
  let x = c.x + k.x;
  if (y < 0 || x < 0 || u32(y) >= P.in_h || u32(x) >= P.in_w) { return T(0); }
  return b[b_grp + c.ch + k.ch + u32(y) * P.in_w + u32(x)];
}

// Where C[m, col] goes.
fn out_index(g: u32, split: u32, m: u32, col: u32) -> u32 {
  if (MODE == 2u) { return split * P.out_c * P.n + (g * P.ocg + m) * P.n + col; }
  if (MODE == 0u) {
    let hw = out_hw();
    return ((col / hw) * P.out_c + g * P.ocg + m) * hw + col % hw;
  }
  let hw = in_hw();
  return ((col / hw) * P.in_c + g * P.icg + m) * hw + col % hw;
}

fn out_row(row0: u32, ty: u32, i: u32) -> u32 { return select(row0 + ty * TM + i, row0 + ty + i * WG_Y, SHARED); }
fn out_col(col0: u32, tx: u32, j: u32) -> u32 { return select(col0 + tx * TN + j, col0 + tx + j * WG_X, SHARED); }

var<workgroup> As: array<T, A_TILE>;   // [BK][BM]
var<workgroup> Bs: array<T, B_TILE>;   // [BK][BN]

@compute @workgroup_size(WG_X, WG_Y)
fn conv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let tx = l.x;
  let ty = l.y;
  let lid = ty * WG_X + tx;
  let threads = WG_X * WG_Y;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let g = wid.z % P.groups;
  let split = wid.z / P.groups;
  let M = P.m;
  let N = P.n;
  let k_lo = split * P.k_chunk;
  let k_hi = min(P.k, k_lo + P.k_chunk);
  // The group's first element of A and of B's buffer.
  var a_grp: u32;
  var b_grp: u32;
  if (MODE == 0u) { a_grp = g * P.ocg * P.k; b_grp = g * P.icg * in_hw(); }
  else if (MODE == 1u) { a_grp = g * P.ocg * P.icg * k_hw(); b_grp = g * P.ocg * out_hw(); }
  else { a_grp = g * P.ocg * out_hw(); b_grp = g * P.icg * in_hw(); }

  var acc: array<T, 64>;   // TM x TN used (row stride 8), zero-initialised
  if (SHARED) {
    for (var k0 = k_lo; k0 < k_hi; k0 += BK) {
      for (var e = lid; e < A_TILE; e += threads) {
        let kk = e % BK;
        let r = e / BK;
        let gr = row0 + r;
        let gk = k0 + kk;
        var v = T(0);
        if (gr < M && gk < k_hi) { v = a[a_grp + gr * P.a_m + k_pt(gk).a]; }
        As[kk * BM + r] = v;
      }
      for (var e = lid; e < B_TILE; e += threads) {
        let c = e % BN;
        let kk = e / BN;
        let gc = col0 + c;
        let gk = k0 + kk;
        var v = T(0);
        if (gc < N && gk < k_hi) { v = b_val(b_grp, col_pt(gc), k_pt(gk)); }
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
    // Each column's window, computed once; rows/columns past the edge repeat the last one
    // (never stored), so the k loop has no bounds branches but the taps'.
    var cols: array<Pt, 8>;
    var rows: array<u32, 8>;
    for (var j = 0u; j < TN; j++) { cols[j] = col_pt(min(out_col(col0, tx, j), N - 1u)); }
    for (var i = 0u; i < TM; i++) { rows[i] = a_grp + min(out_row(row0, ty, i), M - 1u) * P.a_m; }
    for (var kk = k_lo; kk < k_hi; kk++) {
      let kp = k_pt(kk);
      var ar: array<T, 8>;
      var br: array<T, 8>;
      for (var i = 0u; i < TM; i++) { ar[i] = a[rows[i] + kp.a]; }
      for (var j = 0u; j < TN; j++) { br[j] = b_val(b_grp, cols[j], kp); }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i * 8u + j] += ar[i] * br[j]; }
      }
    }
  }

  for (var i = 0u; i < TM; i++) {
    let r = out_row(row0, ty, i);
    if (r >= M) { break; }
    var bv = T(0);
    if (HAS_BIAS) { bv = bias[g * P.ocg + r]; }
    for (var j = 0u; j < TN; j++) {
      let c = out_col(col0, tx, j);
      if (c < N) { out[out_index(g, split, r, c)] = acc[i * 8u + j] + bv; }
    }
  }
}

// out[i] = Σ_s a[s·total + i], in split order: the weight gradient's partial sums.
@compute @workgroup_size(256)
fn sum_splits(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= P.total) { return; }
  var s = T(0);
  for (var k = 0u; k < P.splits; k++) { s += a[k * P.total + i]; }
  out[i] = s;
}

// MODE 0 on CPU-emulated adapters (lavapipe). There every load from a storage buffer is a
// bounds-checked scalar load per SIMD lane, ~12 instructions, even when all lanes read one
// address, while a multiply-add is 2: so this kernel is shaped to load little per multiply-add.
// An invocation computes TM output channels x TN consecutive output columns of one output row
// (n, oh). Per input channel and kernel row it loads the WIN input elements under its TN
// windows once (they overlap: WIN = (TN-1)·S_W + (K_W-1)·D_W + 1, not TN·K_W), as NV aligned
// vec4s (4 elements share a lane's mask test and buffer address), and TM·K_W weights, for
// TM·TN·K_W multiply-adds. The weights of the workgroup's TM rows are copied to workgroup
// memory first when they fit (SHARED_A, KA = k: no bounds checks there), stored [k][row] so
// that a k's 4 rows are one vec4 load. K_W, S_W, D_W
// are constants, so the kw loop unrolls and every window index is a constant. Rows past M
// repeat the last row and columns past out_w read zeros or real inputs; neither is stored.
override K_W: u32 = 1u;
override S_W: u32 = 1u;
override D_W: u32 = 1u;
override WIN: u32 = (TN - 1u) * S_W + (K_W - 1u) * D_W + 1u;   // at most 32 (conv.ts)
override SHARED_A: bool = false;
override KA: u32 = 1u;
// The input gradient at stride 1 as this forward (conv2dInputGrad in conv.ts): dy convolved with
// the flipped, transposed weights. Params then describe that convolution (in_c = outC, icg =
// ocg, ocg = icg, in_h = outH, out_h = inH, padding d·(k-1) - p) and A is still the original
// w[g·icg + c, row, kh, kw] (icg, ocg in Params' terms), read at the mirrored tap as it is
// copied to workgroup memory (FLIP requires SHARED_A).
override FLIP: bool = false;
override NV: u32 = (WIN + 6u) / 4u;   // vec4s under a window at any phase
override TM4: u32 = (TM + 3u) / 4u;
var<workgroup> Aw: array<vec4<T>, KA * TM4>;   // [k][TM, padded to vec4s]: a k's TM weights in TM4 loads

@compute @workgroup_size(WG_X)
fn conv_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let g = wid.z;
  let M = P.m;
  let ihw = in_hw();
  let ohw = out_hw();
  let ow_blocks = (P.out_w + TN - 1u) / TN;
  let lanes = P.n / P.out_w * ow_blocks;   // batch·out_h output rows, ow_blocks each
  let lane = wid.x * WG_X + l.x;
  let row_id = min(lane, lanes - 1u) / ow_blocks;
  let ow0 = (min(lane, lanes - 1u) % ow_blocks) * TN;
  let nn = row_id / P.out_h;
  let oh = row_id % P.out_h;
  let row0 = wid.y * TM;
  let y0 = i32(oh * P.s_h) - i32(P.p_h);
  let x0 = i32(ow0 * S_W) - i32(P.p_w);
  var arow: array<u32, 16>;   // where row i's weights start in a (without SHARED_A)
  if (SHARED_A) {
    for (var e = l.x; e < TM4 * 4u * KA; e += WG_X) {
      let i = e % (TM4 * 4u);
      let kk = e / (TM4 * 4u);
      let row = min(row0 + i, M - 1u);
      var wi = (g * P.ocg + row) * KA + kk;
      if (FLIP) { wi = ((g * P.icg + kk / k_hw()) * P.ocg + row) * k_hw() + k_hw() - 1u - kk % k_hw(); }
      Aw[kk * TM4 + i / 4u][i % 4u] = a[wi];
    }
    workgroupBarrier();
  } else {
    for (var i = 0u; i < TM; i++) { arow[i] = (g * P.ocg + min(row0 + i, M - 1u)) * P.k; }
  }
  // Which of the window's columns lie inside the input (the rest read as zeros).
  var xok: array<bool, 32>;
  for (var t = 0u; t < WIN; t++) { xok[t] = u32(x0 + i32(t)) < P.in_w; }
  var xb = (nn * P.in_c + g * P.icg) * ihw;   // the plane of input channel c
  var ka = 0u;                                // k of (c, kh, 0)
  var acc: array<T, 64>;                      // [TM][TN]
  for (var c = 0u; c < P.icg; c++) {
    for (var kh = 0u; kh < P.k_h; kh++) {
      let y = y0 + i32(kh * P.d_h);
      let yok = u32(y) < P.in_h;
      let rb = i32(xb) + y * i32(P.in_w) + x0;
      var xs: array<T, 32>;
      // The window as NV aligned vec4s from the one holding its first element; phase is
      // where in that vec4 the window starts. Elements outside the input are masked below,
      // so the vec4s may start before the buffer (read at 0) or run past it.
      let base4 = select(0, rb >> 2u, yok);
      let phase = select(0, rb & 3, yok);
      var e: array<T, 36>;
      for (var v = 0u; v < NV; v++) {
        let q = b4[u32(max(base4 + i32(v), 0))];
        e[4u * v] = q.x;
        e[4u * v + 1u] = q.y;
        e[4u * v + 2u] = q.z;
        e[4u * v + 3u] = q.w;
      }
      for (var t = 0u; t < WIN; t++) {
        let x = select(select(e[t], e[t + 1u], phase == 1), select(e[t + 2u], e[t + 3u], phase == 3), phase >= 2);
        xs[t] = select(T(0), x, yok && xok[t]);
      }
      for (var kw = 0u; kw < K_W; kw++) {
        var aw: array<T, 16>;
        if (SHARED_A) {
          for (var q = 0u; q < TM4; q++) {
            let v = Aw[(ka + kw) * TM4 + q];
            aw[4u * q] = v.x;
            aw[4u * q + 1u] = v.y;
            aw[4u * q + 2u] = v.z;
            aw[4u * q + 3u] = v.w;
          }
        } else {
          for (var i = 0u; i < TM; i++) { aw[i] = a[arow[i] + ka + kw]; }
        }
        for (var i = 0u; i < TM; i++) {
          for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(aw[i], xs[j * S_W + kw * D_W], acc[i * TN + j]); }
        }
      }
      ka += K_W;
    }
    xb += ihw;
  }

  if (lane >= lanes) { return; }
  let o0 = nn * P.out_c * ohw + oh * P.out_w + ow0;
  for (var i = 0u; i < TM; i++) {
    let r = row0 + i;
    if (r >= M) { break; }
    var bv = T(0);
    if (P.has_bias != 0u) { bv = bias[g * P.ocg + r]; }
    for (var j = 0u; j < TN; j++) {
      if (ow0 + j < P.out_w) { out[o0 + (g * P.ocg + r) * ohw + j] = acc[i * TN + j] + bv; }
    }
  }
}

// MODE 2 (the weight gradient) on CPU-emulated adapters, for the reasons conv_fwd gives: few
// loads per multiply-add, every window index a constant. An invocation owns TM output channels
// x the K_W taps of one (input channel, kernel row) and sums over its split's share of the
// batch·out_h output rows (P.k_chunk rows each, z = 0): per row and block of TN output columns
// it loads the WIN input elements under them once and each channel's TN gradients, for
// TM·K_W·TN multiply-adds. Rows whose input row is padding are skipped. Partial sums go to
// out[split·total + i] and sum_splits adds them when P.splits > 1. Lanes: the (group, channel
// block, input channel, kernel row) block fastest, then the split.
override NVD: u32 = (TN + 6u) / 4u;   // vec4s under TN gradients at any phase

@compute @workgroup_size(WG_X)
fn conv_dw(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let co_blocks = (P.ocg + TM - 1u) / TM;
  let blocks = P.groups * co_blocks * P.icg * P.k_h;
  let lanes = blocks * P.splits;
  let lane = wid.x * WG_X + l.x;
  let ln = min(lane, lanes - 1u);
  let blk = ln % blocks;
  let split = ln / blocks;
  let kh = blk % P.k_h;
  let ci = (blk / P.k_h) % P.icg;
  let gb = blk / (P.k_h * P.icg);
  let cb = gb % co_blocks;
  let g = gb / co_blocks;
  let ihw = in_hw();
  let ohw = out_hw();
  let rows = P.k / P.out_w;   // batch·out_h
  let r0 = split * P.k_chunk;
  let r1 = min(rows, r0 + P.k_chunk);
  var nn = r0 / P.out_h;
  var oh = r0 % P.out_h;
  // Channel i's plane offset within a sample (rows past ocg repeat the last one, never stored).
  var cofs: array<u32, 16>;
  for (var i = 0u; i < TM; i++) { cofs[i] = (g * P.ocg + min(cb * TM + i, P.ocg - 1u)) * ohw; }
  var acc: array<T, 64>;   // [TM][K_W]
  for (var r = r0; r < r1; r++) {
    let y = i32(oh * P.s_h + kh * P.d_h) - i32(P.p_h);
    if (u32(y) < P.in_h) {
      let xrow = i32((nn * P.in_c + g * P.icg + ci) * ihw) + y * i32(P.in_w);
      let dyrow = nn * P.out_c * ohw + oh * P.out_w;
      for (var ow0 = 0u; ow0 < P.out_w; ow0 += TN) {
        let x0 = i32(ow0 * S_W) - i32(P.p_w);
        // The window as in conv_fwd: NV aligned vec4s, a select by phase, zeros outside the row.
        let xb4 = (xrow + x0) >> 2u;
        let xph = (xrow + x0) & 3;
        var e: array<T, 36>;
        for (var v = 0u; v < NV; v++) {
          let q = b4[u32(max(xb4 + i32(v), 0))];
          e[4u * v] = q.x;
          e[4u * v + 1u] = q.y;
          e[4u * v + 2u] = q.z;
          e[4u * v + 3u] = q.w;
        }
        var xs: array<T, 32>;
        for (var t = 0u; t < WIN; t++) {
          let x = select(select(e[t], e[t + 1u], xph == 1), select(e[t + 2u], e[t + 3u], xph == 3), xph >= 2);
          xs[t] = select(T(0), x, u32(x0 + i32(t)) < P.in_w);
        }
        var ds: array<T, 64>;   // [TM][TN]
        for (var i = 0u; i < TM; i++) {
          // Channel i's TN gradients the same way (from a), zeros past the row's end.
          let ds0 = dyrow + cofs[i] + ow0;
          let db4 = ds0 >> 2u;
          let dph = ds0 & 3u;
          var f: array<T, 36>;
          for (var v = 0u; v < NVD; v++) {
            let q = a4[db4 + v];
            f[4u * v] = q.x;
            f[4u * v + 1u] = q.y;
            f[4u * v + 2u] = q.z;
            f[4u * v + 3u] = q.w;
          }
          for (var j = 0u; j < TN; j++) {
            let d = select(select(f[j], f[j + 1u], dph == 1u), select(f[j + 2u], f[j + 3u], dph == 3u), dph >= 2u);
            ds[i * TN + j] = select(T(0), d, ow0 + j < P.out_w);
          }
        }
        for (var kw = 0u; kw < K_W; kw++) {
          for (var i = 0u; i < TM; i++) {
            for (var j = 0u; j < TN; j++) { acc[i * K_W + kw] = fma(ds[i * TN + j], xs[j * S_W + kw * D_W], acc[i * K_W + kw]); }
          }
        }
      }
    }
    oh += 1u;
    if (oh == P.out_h) {
      oh = 0u;
      nn += 1u;
    }
  }

  if (lane >= lanes) { return; }
  let khw = k_hw();
  for (var i = 0u; i < TM; i++) {
    let co = cb * TM + i;
    if (co >= P.ocg) { break; }
    let o = split * P.total + ((g * P.ocg + co) * P.icg + ci) * khw + kh * K_W;
    for (var kw = 0u; kw < K_W; kw++) { out[o + kw] = acc[i * K_W + kw]; }
  }
}
