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

// keys_w[e] = the destination of source e (shape P.shape, destination strides P.xstr), or NONE
// for an index out of range; vals_w[e] = e. Positions past P.n are the sort's padding.
@compute @workgroup_size(WG)
fn scatter_keys(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.total) { return; }
  if (e >= P.n) {
    keys_w[e] = NONE;
    vals_w[e] = NONE;
    return;
  }
  let s = idx[e];
  var key = NONE;
  if (s >= 0 && u32(s) < P.dim_size) {
    var rest = e;
    key = u32(s) * dim_at(P.xstr, P.dim);
    for (var d = i32(P.rank) - 1; d >= 0; d--) {
      let size = dim_at(P.shape, u32(d));
      if (u32(d) != P.dim) { key += (rest % size) * dim_at(P.xstr, u32(d)); }
      rest = rest / size;
    }
  }
  keys_w[e] = key;
  vals_w[e] = e;
}

// First k in [0, P.n) with keys[k] >= want (the sorted keys of the real sources).
fn lower_bound(want: u32) -> u32 {
  var lo = 0u;
  var hi = P.n;
  while (lo < hi) {
    let mid = (lo + hi) >> 1u;
    if (keys[mid] < want) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo;
}

// out[d] = base[d] + its sources in source order. INDEX_MODE: destinations [outer, size, inner]
// keyed by the index alone, sources src[o, j, i]; else keyed by d, sources src[j].
@compute @workgroup_size(WG)
fn scatter_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let d = linear(wid, nwg, lid);
  if (d >= P.total) { return; }
  var acc = T(0);
  if (HAS_BASE) { acc = base[d]; }
  let i = d % P.inner;
  let o = d / (P.inner * P.dim_size);
  let want = select(d, (d / P.inner) % P.dim_size, INDEX_MODE);
  for (var k = lower_bound(want); k < P.n && keys[k] == want; k++) {
    let j = vals[k];
    acc += x[select(j, (o * P.n + j) * P.inner + i, INDEX_MODE)];
  }
  out[d] = acc;
}
