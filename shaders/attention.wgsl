// Fused scaled dot-product attention (flash-attention style), forward and backward, over
// `batch` matrices: q [l, e], k [s, e], v [s, ev] each. Each operand is read (and the output
// and gradients written: dq, dk, dv in the layouts of q, k, v) through its layout, `X_at`:
// rows contiguous, matrix b at (b / inner)·outer + (b % inner)·istride (src/shape.ts
// MatrixLayout), so a head split seen through a transpose needs no copy. Scores are
// scale·q_i·k_j + mask[i, j] (an additive mask, HAS_MASK), -Infinity for j > i when CAUSAL.
//
// `forward`: a workgroup owns BQ query rows (an invocation each, its q row and output
// accumulator in registers) and walks the keys in blocks of BK staged in workgroup memory,
// keeping a running max m and sum (online softmax): per block, acc and sum are rescaled by
// exp(m_old - m_new) once. Writes out = acc / sum and lse = m + log(sum) per row; the [l, s]
// probabilities never exist. A row whose scores are all -Infinity gets 0 and lse -Infinity.
// With CAUSAL, key blocks past the block's last query row are not visited.
//
// Backward (no float atomics, every sum in a fixed order, so the result is deterministic):
// `grad_q`: an invocation per query row recomputes p_ij = exp(s_ij - lse_i) block by block,
//   ds_ij = p_ij·(dO_i·v_j - D_i) with D_i = dO_i·O_i, dq_i = scale·Σ_j ds_ij·k_j; it also
//   writes D_i after dq (in `dqd_w`, at P.dq_n + row) for `grad_kv`.
// `grad_kv`: an invocation per key row j walks the query rows in blocks of BK (q, dO, lse, D
//   staged in workgroup memory): dv_j = Σ_i p_ij·dO_i, dk_j = scale·Σ_i ds_ij·q_i. Written
//   into one buffer, dk then dv (at P.dv_n), so each entry point binds at most 8 buffers.
// NaN scores propagate: the running max takes NaN, so the row's output is NaN.
//
// Rows are held and staged as vec4s (a head dim padded with zeros to a multiple of 4): on a
// CPU adapter (lavapipe) a quarter of the index arithmetic and loads of scalar rows. Measured
// in bench/rows/attention.ts.

override BQ: u32 = 64u;     // rows (queries; keys in grad_kv) per workgroup = invocations
override BK: u32 = 32u;     // rows per staged block (<= MAX_BK)
// The head dims in vec4s, ceil(e / 4) and ceil(ev / 4), as constants: loops over a row have a
// fixed trip count, so the compiler unrolls them and keeps the rows in registers.
override DE4: u32 = 4u;
override DV4: u32 = 4u;
override TE: u32 = 128u;    // BK * DE4
override TV: u32 = 128u;    // BK * DV4
override TS: u32 = 2048u;   // BQ * BK: forward's scores of the staged block, [jj * BQ + lid]
override CAUSAL: bool = false;
override HAS_MASK: bool = false;

const MAX_D4: u32 = 32u;    // the largest head dim (e and ev) is 128: a row lives in registers
const MAX_BK: u32 = 32u;

var<private> INF_BITS: u32 = 0x7f800000u;

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn is_neg_inf(v: f32) -> bool { return bitcast<u32>(v) == 0xff800000u; }
fn neg_inf() -> f32 { return -bitcast<f32>(INF_BITS); }
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b) || b > a) { return b; }
  return a;
}
// exp with its edges explicit (WGSL promises nothing for Inf or NaN arguments), as selects:
// a branch per score would split the SIMD lanes of a CPU adapter.
fn exp_(v: f32) -> f32 {
  let e = exp(clamp(v, -104.0, 88.0));
  return select(select(select(e, bitcast<f32>(INF_BITS), v > 88.8), 0.0, v < -104.0), v, is_nan(v));
}

fn mask_at(b: u32, i: u32, j: u32) -> f32 {
  if (!HAS_MASK) { return 0.0; }
  return mask[b * P.mstride + i * P.s + j];
}

// Slot c4 of row `row` of a [rows, w] buffer as a vec4, zero past w. (A read past the buffer's
// end for the padding is clamped by WebGPU's robust access and then discarded.)
fn pick(v: vec4<f32>, c: u32, w: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, vec4<u32>(c, c + 1u, c + 2u, c + 3u) < vec4<u32>(w));
}
// Where row r of matrix b of each operand starts: X_at(b, 0) once per workgroup (b is the
// workgroup's), then + r * P.X_row per row (the divisions stay out of the row loops).
fn at(outer: u32, inner: u32, istride: u32, row: u32, b: u32, r: u32) -> u32 {
  return (b / inner) * outer + (b % inner) * istride + r * row;
}
fn q_at(b: u32, r: u32) -> u32 { return at(P.q_outer, P.q_inner, P.q_istride, P.q_row, b, r); }
fn k_at(b: u32, r: u32) -> u32 { return at(P.k_outer, P.k_inner, P.k_istride, P.k_row, b, r); }
fn v_at(b: u32, r: u32) -> u32 { return at(P.v_outer, P.v_inner, P.v_istride, P.v_row, b, r); }
fn o_at(b: u32, r: u32) -> u32 { return at(P.o_outer, P.o_inner, P.o_istride, P.o_row, b, r); }
fn g_at(b: u32, r: u32) -> u32 { return at(P.g_outer, P.g_inner, P.g_istride, P.g_row, b, r); }

// Slot c4 of the row starting at `row` (an offset from X_at).
fn q4(row: u32, c4: u32) -> vec4<f32> {
  let o = row + c4 * 4u;
  return pick(vec4<f32>(q[o], q[o + 1u], q[o + 2u], q[o + 3u]), c4 * 4u, P.e);
}
fn k4(row: u32, c4: u32) -> vec4<f32> {
  let o = row + c4 * 4u;
  return pick(vec4<f32>(k[o], k[o + 1u], k[o + 2u], k[o + 3u]), c4 * 4u, P.e);
}
fn v4(row: u32, c4: u32) -> vec4<f32> {
  let o = row + c4 * 4u;
  return pick(vec4<f32>(v[o], v[o + 1u], v[o + 2u], v[o + 3u]), c4 * 4u, P.ev);
}
fn dout4(row: u32, c4: u32) -> vec4<f32> {
  let o = row + c4 * 4u;
  return pick(vec4<f32>(dout[o], dout[o + 1u], dout[o + 2u], dout[o + 3u]), c4 * 4u, P.ev);
}
fn o4(row: u32, c4: u32) -> vec4<f32> {
  let x = row + c4 * 4u;
  return pick(vec4<f32>(o[x], o[x + 1u], o[x + 2u], o[x + 3u]), c4 * 4u, P.ev);
}

var<workgroup> tile_e: array<vec4<f32>, TE>;   // forward, grad_q: k rows; grad_kv: q rows
var<workgroup> tile_v: array<vec4<f32>, TV>;   // forward, grad_q: v rows; grad_kv: dO rows
// Indexed [jj * BQ + lid], so the invocations of a SIMD group touch consecutive words (one
// vector access on a CPU adapter, where a per-invocation array indexed by jj is scratch memory).
var<workgroup> tile_s: array<f32, TS>;
var<workgroup> tile_l: array<f32, MAX_BK>;   // grad_kv: lse of the staged query rows
var<workgroup> tile_d: array<f32, MAX_BK>;   // grad_kv: D of the staged query rows

// The workgroup's matrix and first row; `ok` is false for the padding of a folded grid.
struct Block { b: u32, r0: u32, ok: bool }
fn block_of(wid: vec3<u32>, nwg: vec3<u32>, rows: u32) -> Block {
  let blocks = (rows + BQ - 1u) / BQ;
  let g = wid.x + wid.y * nwg.x;
  return Block(g / max(blocks, 1u), (g % max(blocks, 1u)) * BQ, g < P.batch * blocks);
}

// Stages key rows [r0, r0 + n) of matrix b: k in tile_e, v in tile_v.
fn stage_k_v(b: u32, r0: u32, n: u32, lid: u32) {
  let kb = k_at(b, r0);
  let vb = v_at(b, r0);
  for (var t = lid; t < n * DE4; t += BQ) { tile_e[t] = k4(kb + (t / DE4) * P.k_row, t % DE4); }
  for (var t = lid; t < n * DV4; t += BQ) { tile_v[t] = v4(vb + (t / DV4) * P.v_row, t % DV4); }
}

// Keys a block of query rows [q0, q0 + BQ) can see: all, or (CAUSAL) up to its last row.
fn key_end(q0: u32) -> u32 {
  if (CAUSAL) { return min(P.s, min(q0 + BQ, P.l)); }
  return P.s;
}

@compute @workgroup_size(BQ)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let blk = block_of(wid, nwg, P.l);
  if (!blk.ok) { return; }
  let b = blk.b;
  let i = blk.r0 + lid;
  let live = i < P.l;
  let row = b * P.l + i;
  var qr: array<vec4<f32>, MAX_D4>;
  var acc: array<vec4<f32>, MAX_D4>;
  if (live) {
    let qo = q_at(b, i);
    for (var c = 0u; c < DE4; c++) { qr[c] = q4(qo, c); }
  }
  var m = neg_inf();
  var sum = 0.0;
  let kend = key_end(blk.r0);
  for (var k0 = 0u; k0 < kend; k0 += BK) {
    let n = min(BK, kend - k0);
    workgroupBarrier();   // the previous block's reads are done
    stage_k_v(b, k0, n, lid);
    workgroupBarrier();
    // A non-uniform `continue` here would make the next barrier non-uniform: nest instead.
    if (live) {
      var tmax = neg_inf();
      for (var jj = 0u; jj < n; jj++) {
        let j = k0 + jj;
        if (CAUSAL && j > i) { tile_s[jj * BQ + lid] = neg_inf(); continue; }
        var dot4 = vec4<f32>(0.0);
        for (var c = 0u; c < DE4; c++) { dot4 += qr[c] * tile_e[jj * DE4 + c]; }
        let s = P.scale * ((dot4.x + dot4.y) + (dot4.z + dot4.w)) + mask_at(b, i, j);
        tile_s[jj * BQ + lid] = s;
        tmax = max_nan(tmax, s);
      }
      let mnew = max_nan(m, tmax);
      if (!is_neg_inf(mnew)) {   // else nothing seen yet but masked keys
        let alpha = exp_(m - mnew);
        sum *= alpha;
        for (var c = 0u; c < DV4; c++) { acc[c] *= alpha; }
        for (var jj = 0u; jj < n; jj++) {
          let p = exp_(tile_s[jj * BQ + lid] - mnew);
          sum += p;
          for (var c = 0u; c < DV4; c++) { acc[c] += p * tile_v[jj * DV4 + c]; }
        }
        m = mnew;
      }
    }
  }
  if (!live) { return; }
  let dead = is_neg_inf(m);
  let oo = o_at(b, i);
  for (var c = 0u; c < P.ev; c++) { out_w[oo + c] = select(acc[c / 4u][c % 4u] / sum, 0.0, dead); }
  lse_w[row] = select(m + log(sum), neg_inf(), dead);
}

@compute @workgroup_size(BQ)
fn grad_q(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let blk = block_of(wid, nwg, P.l);
  if (!blk.ok) { return; }
  let b = blk.b;
  let i = blk.r0 + lid;
  let live = i < P.l;
  let row = b * P.l + i;
  var qr: array<vec4<f32>, MAX_D4>;
  var dor: array<vec4<f32>, MAX_D4>;
  var dq: array<vec4<f32>, MAX_D4>;
  var d4 = vec4<f32>(0.0);
  var li = neg_inf();
  if (live) {
    let qo = q_at(b, i);
    let go = g_at(b, i);
    let oo = o_at(b, i);
    for (var c = 0u; c < DE4; c++) { qr[c] = q4(qo, c); }
    for (var c = 0u; c < DV4; c++) {
      dor[c] = dout4(go, c);
      d4 += dor[c] * o4(oo, c);
    }
    li = lse[row];
  }
  let d = (d4.x + d4.y) + (d4.z + d4.w);
  let kend = key_end(blk.r0);
  for (var k0 = 0u; k0 < kend; k0 += BK) {
    let n = min(BK, kend - k0);
    workgroupBarrier();
    stage_k_v(b, k0, n, lid);
    workgroupBarrier();
    for (var jj = 0u; jj < n && live && !is_neg_inf(li); jj++) {
      let j = k0 + jj;
      if (CAUSAL && j > i) { break; }
      var dot4 = vec4<f32>(0.0);
      for (var c = 0u; c < DE4; c++) { dot4 += qr[c] * tile_e[jj * DE4 + c]; }
      let p = exp_(P.scale * ((dot4.x + dot4.y) + (dot4.z + dot4.w)) + mask_at(b, i, j) - li);
      var dp4 = vec4<f32>(0.0);
      for (var c = 0u; c < DV4; c++) { dp4 += dor[c] * tile_v[jj * DV4 + c]; }
      let ds = P.scale * p * ((dp4.x + dp4.y) + (dp4.z + dp4.w) - d);
      for (var c = 0u; c < DE4; c++) { dq[c] += ds * tile_e[jj * DE4 + c]; }
    }
  }
  if (!live) { return; }
  let qo = q_at(b, i);
  for (var c = 0u; c < P.e; c++) { dqd_w[qo + c] = dq[c / 4u][c % 4u]; }
  dqd_w[P.dq_n + row] = d;
}

@compute @workgroup_size(BQ)
fn grad_kv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let blk = block_of(wid, nwg, P.s);
  if (!blk.ok) { return; }
  let b = blk.b;
  let j = blk.r0 + lid;
  let live = j < P.s;
  let row = b * P.s + j;
  var kr: array<vec4<f32>, MAX_D4>;
  var vr: array<vec4<f32>, MAX_D4>;
  var dk: array<vec4<f32>, MAX_D4>;
  var dv: array<vec4<f32>, MAX_D4>;
  if (live) {
    let ko = k_at(b, j);
    let vo = v_at(b, j);
    for (var c = 0u; c < DE4; c++) { kr[c] = k4(ko, c); }
    for (var c = 0u; c < DV4; c++) { vr[c] = v4(vo, c); }
  }
  // CAUSAL: key j is seen by query rows i >= j only, so the walk starts at the block's first key.
  var qstart = 0u;
  if (CAUSAL) { qstart = min(blk.r0, P.l); }
  for (var i0 = qstart; i0 < P.l; i0 += BK) {
    let n = min(BK, P.l - i0);
    workgroupBarrier();
    let qb = q_at(b, i0);
    let gb = g_at(b, i0);
    for (var t = lid; t < n * DE4; t += BQ) { tile_e[t] = q4(qb + (t / DE4) * P.q_row, t % DE4); }
    for (var t = lid; t < n * DV4; t += BQ) { tile_v[t] = dout4(gb + (t / DV4) * P.g_row, t % DV4); }
    for (var t = lid; t < n; t += BQ) {
      tile_l[t] = lse[b * P.l + i0 + t];
      tile_d[t] = dqd[P.dq_n + b * P.l + i0 + t];
    }
    workgroupBarrier();
    for (var ii = 0u; ii < n && live; ii++) {
      let i = i0 + ii;
      let li = tile_l[ii];
      if ((CAUSAL && j > i) || is_neg_inf(li)) { continue; }
      var dot4 = vec4<f32>(0.0);
      for (var c = 0u; c < DE4; c++) { dot4 += tile_e[ii * DE4 + c] * kr[c]; }
      let p = exp_(P.scale * ((dot4.x + dot4.y) + (dot4.z + dot4.w)) + mask_at(b, i, j) - li);
      var dp4 = vec4<f32>(0.0);
      for (var c = 0u; c < DV4; c++) {
        let g = tile_v[ii * DV4 + c];
        dp4 += g * vr[c];
        dv[c] += p * g;
      }
      let ds = P.scale * p * ((dp4.x + dp4.y) + (dp4.z + dp4.w) - tile_d[ii]);
      for (var c = 0u; c < DE4; c++) { dk[c] += ds * tile_e[ii * DE4 + c]; }
    }
  }
  if (!live) { return; }
  let ko = k_at(b, j);
  let vo = P.dv_n + v_at(b, j);
  for (var c = 0u; c < P.e; c++) { dkv_w[ko + c] = dk[c / 4u][c % 4u]; }
  for (var c = 0u; c < P.ev; c++) { dkv_w[vo + c] = dv[c / 4u][c % 4u]; }
}
