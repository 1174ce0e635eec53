// Index-based gather and deterministic scatter-add. WGSL has no float atomics, so a scatter-add
// never races: `scatter_keys` writes each source's destination as a sort key, sort.wgsl sorts
// (destination, source) pairs stably, and `scatter_sum` runs one invocation per destination
// that binary-searches its run of sources and adds them in source order (PyTorch's order).
// Indices outside [0, dim_size) read 0 (gather) or are skipped (scatter).

override HAS_BASE: bool = false;    // scatter_sum starts from base (else from 0)
override INDEX_MODE: bool = false;  // scatter_sum: ScatterArgs 'index' (else 'gather')
const WG: u32 = 256u;
const NONE: u32 = 0xFFFFFFFFu;

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

fn dim_at(a: array<vec4<u32>, 2>, d: u32) -> u32 {
  return a[d >> 2u][d & 3u];
}

// out[c] = x[Σ_{d≠dim} c_d·xstr[d] + idx[Σ c_d·istr[d]]·xstr[dim]] over the contiguous shape.
@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.n) { return; }
  var rest = e;
  var xo = 0u;
  var io = 0u;
  for (var d = i32(P.rank) - 1; d >= 0; d--) {
    let size = dim_at(P.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    io += c * dim_at(P.istr, u32(d));
    if (u32(d) != P.dim) { xo += c * dim_at(P.xstr, u32(d)); }
  }
  let s = idx[io];
  if (s >= 0 && u32(s) < P.dim_size) {
    out[e] = x[xo + u32(s) * dim_at(P.xstr, P.dim)];
  } else {
    out[e] = T(0);
  }
}

// indexSelect on [outer, dim_size, inner] into [outer, n, inner], a vec4 of a row per invocation
// (inner % 4 == 0): no per-dim loop, and a quarter of the index reads.
@compute @workgroup_size(WG)
fn index_select4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  let inner4 = P.inner / 4u;
  if (e >= P.total) { return; }
  let i = e % inner4;
  let j = (e / inner4) % P.n;
  let o = e / (inner4 * P.n);
  let s = idx[j];
  if (s >= 0 && u32(s) < P.dim_size) {
    out4[e] = x4[(o * P.dim_size + u32(s)) * inner4 + i];
  } else {
    out4[e] = vec4<T>(T(0));
  }
}

// Sources are cut into lines along dim, [outer, n, inner] of the index: keys_w[line·p_len + j] =
// index[line's j-th], or NONE when out of range; vals_w = j. Positions past n (and past the
// last line) are the sort's padding.
@compute @workgroup_size(WG)
fn scatter_keys(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.total) { return; }
  let line = e / P.p_len;
  let j = e % P.p_len;
  if (line >= P.lines || j >= P.n) {
    keys_w[e] = NONE;
    vals_w[e] = NONE;
    return;
  }
  let s = idx[((line / P.iinner) * P.n + j) * P.iinner + line % P.iinner];
  keys_w[e] = select(NONE, u32(s), s >= 0 && u32(s) < P.dim_size);
  vals_w[e] = j;
}

// First k in [lo, lo + P.n) with keys[k] >= want (a line's sorted keys).
fn lower_bound(lo0: u32, want: u32) -> u32 {
  var lo = lo0;
  var hi = lo0 + P.n;
  while (lo < hi) {
    let mid = (lo + hi) >> 1u;
    if (keys[mid] < want) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo;
}

// Where destination d's sources are. INDEX_MODE: d = [o, s, i] of [outer, dim_size, inner], one
// index line, sources src[o, j, i]. Else: d's coordinates in P.shape; its index line is the
// one at d's other coordinates (none when they lie outside the index's shape), sources
// src[that line's j-th] (src has the index's shape).
struct Loc {
  want: u32,   // the index value that points at d
  line: u32,
  src0: u32,   // source (and, in 'gather' mode, index) offset of j = 0
  step: u32,   // ... per j
  hit: bool,
}

fn locate(d: u32) -> Loc {
  var l = Loc(0u, 0u, 0u, 0u, true);
  if (INDEX_MODE) {
    l.want = (d / P.inner) % P.dim_size;
    l.src0 = (d / (P.inner * P.dim_size)) * P.n * P.inner + d % P.inner;
    l.step = P.inner;
    return l;
  }
  var rest = d;
  for (var k = i32(P.rank) - 1; k >= 0; k--) {
    let size = dim_at(P.shape, u32(k));
    let c = rest % size;
    rest = rest / size;
    if (u32(k) == P.dim) {
      l.want = c;
    } else {
      l.hit = l.hit && c < dim_at(P.ishape, u32(k));
      l.src0 += c * dim_at(P.istr, u32(k));
    }
  }
  l.line = (l.src0 / (P.n * P.iinner)) * P.iinner + l.src0 % P.iinner;
  l.step = P.iinner;
  return l;
}

// out[d] = base[d] + its sources in source order: its run in its line's sorted keys.
@compute @workgroup_size(WG)
fn scatter_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let d = linear(wid, nwg, lid);
  if (d >= P.total) { return; }
  var acc = T(0);
  if (HAS_BASE) { acc = base[d]; }
  let l = locate(d);
  if (l.hit) {
    let lo = l.line * P.p_len;
    for (var k = lower_bound(lo, l.want); k < lo + P.n && keys[k] == l.want; k++) {
      acc += x[l.src0 + vals[k] * l.step];
    }
  }
  out[d] = acc;
}

// The same for short index lines, without the sort: every index of d's line, in order.
@compute @workgroup_size(WG)
fn scatter_scan(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let d = linear(wid, nwg, lid);
  if (d >= P.total) { return; }
  var acc = T(0);
  if (HAS_BASE) { acc = base[d]; }
  let l = locate(d);
  if (l.hit) {
    for (var j = 0u; j < P.n; j++) {
      let s = idx[select(l.src0 + j * l.step, j, INDEX_MODE)];
      if (s == i32(l.want)) { acc += x[l.src0 + j * l.step]; }
    }
  }
  out[d] = acc;
}

// scatter_sum's 'index' mode on vec4s of a row (inner % 4 == 0): one binary search per four
// destinations, vec4 loads and stores.
@compute @workgroup_size(WG)
fn scatter_sum4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let d = linear(wid, nwg, lid);
  if (d >= P.total) { return; }
  let inner4 = P.inner / 4u;
  var acc = vec4<T>(T(0));
  if (HAS_BASE) { acc = base4[d]; }
  let want = (d / inner4) % P.dim_size;
  let src0 = (d / (inner4 * P.dim_size)) * P.n * inner4 + d % inner4;
  for (var k = lower_bound(0u, want); k < P.n && keys[k] == want; k++) {
    acc += x4[src0 + vals[k] * inner4];
  }
  out4[d] = acc;
}

// Scatter-add without the sort, for many short-or-independent index lines: one invocation per
// (line, tile of destinations along dim) walks its whole line in source order and adds each
// source whose index falls in its tile, into `out` already holding base (or 0). Every
// destination belongs to one invocation, so nothing races, and the sums run in source order
// (PyTorch's). 'index' mode: a line is one (o, i) of [outer, ·, inner] and every line shares
// the one index; 'gather' mode: a line is the index's line along dim. Workgroups of 64: on a
// CPU-emulated adapter a workgroup runs on one thread, and a few hundred invocations should
// still reach every core.
override LINES_WG: u32 = 64u;

@compute @workgroup_size(LINES_WG)
fn scatter_lines(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * nwg.x) * LINES_WG + lid;
  if (g >= P.total) { return; }
  let line = g % P.lines;
  let lo = (g / P.lines) * P.tile;
  let hi = min(lo + P.tile, P.dim_size);
  var src0: u32;
  var step: u32;
  var dst0 = 0u;
  var dstep: u32;
  if (INDEX_MODE) {
    let o = line / P.inner;
    let i = line % P.inner;
    src0 = o * P.n * P.inner + i;
    step = P.inner;
    dst0 = o * P.dim_size * P.inner + i;
    dstep = P.inner;
  } else {
    src0 = (line / P.iinner) * P.n * P.iinner + line % P.iinner;
    step = P.iinner;
    // The line's coordinates in the index's shape (0 along dim), placed in the destination.
    var rest = src0;
    for (var k = i32(P.rank) - 1; k >= 0; k--) {
      let size = dim_at(P.ishape, u32(k));
      dst0 += (rest % size) * dim_at(P.xstr, u32(k));
      rest = rest / size;
    }
    dstep = dim_at(P.xstr, P.dim);
  }
  for (var j = 0u; j < P.n; j++) {
    let s = idx[select(src0 + j * step, j, INDEX_MODE)];
    if (s >= i32(lo) && s < i32(hi)) {
      let d = dst0 + u32(s) * dstep;
      out[d] = out[d] + x[src0 + j * step];
    }
  }
}

// scatter_lines' 'index' mode on vec4s of a row (inner % 4 == 0).
@compute @workgroup_size(LINES_WG)
fn scatter_lines4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * nwg.x) * LINES_WG + lid;
  if (g >= P.total) { return; }
  let inner4 = P.inner / 4u;
  let line = g % P.lines;
  let lo = (g / P.lines) * P.tile;
  let hi = min(lo + P.tile, P.dim_size);
  let o = line / inner4;
  let i = line % inner4;
  let src0 = o * P.n * inner4 + i;
  let dst0 = o * P.dim_size * inner4 + i;
  for (var j = 0u; j < P.n; j++) {
    let s = idx[j];
    if (s >= i32(lo) && s < i32(hi)) {
      let d = dst0 + u32(s) * inner4;
      out4[d] = out4[d] + x4[src0 + j * inner4];
    }
  }
}
