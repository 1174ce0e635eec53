// Stable per-line sort of (key, position) pairs: a bitonic network over lines padded to a power
// of two P (padding keys and positions are 0xFFFFFFFF, so they sort after every real element,
// and a tie on the key falls back to the position, which makes the network stable). Lines of
// P <= 1024 sort entirely in workgroup memory (`local_sort`, several lines per block); longer
// lines run the merges of stride >= 1024 as one `global_step` dispatch each and finish every
// merge in workgroup memory.

override IS_FLOAT: bool = true;
const BLOCK: u32 = 1024u;
const WG: u32 = 256u;
const PAD: u32 = 0xFFFFFFFFu;

var<workgroup> sk: array<u32, 1024>;
var<workgroup> sv: array<u32, 1024>;

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

// An order-preserving u32 for each value: ascending u32 order is ascending value order, NaN
// (any payload, either sign) above +Inf, -0 equal to +0. Descending flips every bit.
fn sort_key(v: T) -> u32 {
  var key: u32;
  if (IS_FLOAT) {
    var bits = bitcast<u32>(v);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) { bits = 0x7FFFFFFFu; }   // NaN: the largest
    if (bits == 0x80000000u) { bits = 0u; }                            // -0 sorts as +0
    key = select(bits ^ 0x80000000u, ~bits, (bits >> 31u) == 1u);
  } else {
    key = bitcast<u32>(v) ^ 0x80000000u;
  }
  return select(key, ~key, P.desc == 1u);
}

fn after(ka: u32, va: u32, kb: u32, vb: u32) -> bool {
  return ka > kb || (ka == kb && va > vb);
}

// Lines [lines, size] of x read with stride `inner` into padded lines [.., P] of pairs.
@compute @workgroup_size(WG)
fn load_keys(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.total) { return; }
  let line = e / P.p_len;
  let r = e % P.p_len;
  if (line < P.lines && r < P.size) {
    let o = line / P.inner;
    let i = line % P.inner;
    keys[e] = sort_key(x[(o * P.size + r) * P.inner + i]);
    vals[e] = r;
  } else {
    keys[e] = PAD;
    vals[e] = PAD;
  }
}

// One compare-exchange of the bitonic network on workgroup memory: stage k, stride j.
fn local_step(base: u32, lid: u32, k: u32, j: u32) {
  workgroupBarrier();
  for (var q = 0u; q < BLOCK / 2u / WG; q++) {
    let t = lid + q * WG;
    let i = ((t & ~(j - 1u)) << 1u) | (t & (j - 1u));
    let l = i + j;
    let up = (((base + i) & (P.p_len - 1u)) & k) == 0u;
    let ka = sk[i];
    let va = sv[i];
    let kb = sk[l];
    let vb = sv[l];
    if (after(ka, va, kb, vb) == up) {
      sk[i] = kb;
      sv[i] = vb;
      sk[l] = ka;
      sv[l] = va;
    }
  }
}

// Strides 2 and 1 of stage k (j_top = 2, or 1 when k = 2) on the four elements each invocation
// owns, in registers: one barrier instead of two. On lavapipe the barriers are most of the
// local sort's cost (3.9 s of 5.3 s for gather's backward at embedding size went to local_sort).
fn cx(rk: ptr<function, array<u32, 4>>, rv: ptr<function, array<u32, 4>>, a: u32, b: u32, up: bool) {
  let ka = (*rk)[a];
  let va = (*rv)[a];
  let kb = (*rk)[b];
  let vb = (*rv)[b];
  if (after(ka, va, kb, vb) == up) {
    (*rk)[a] = kb;
    (*rv)[a] = vb;
    (*rk)[b] = ka;
    (*rv)[b] = va;
  }
}

fn register_steps(base: u32, lid: u32, k: u32, j_top: u32) {
  workgroupBarrier();
  let i0 = lid * 4u;
  var rk: array<u32, 4>;
  var rv: array<u32, 4>;
  for (var q = 0u; q < 4u; q++) {
    rk[q] = sk[i0 + q];
    rv[q] = sv[i0 + q];
  }
  let pos = (base + i0) & (P.p_len - 1u);
  if (j_top >= 2u) {
    let up = (pos & k) == 0u;   // k >= 4: one direction for all four
    cx(&rk, &rv, 0u, 2u, up);
    cx(&rk, &rv, 1u, 3u, up);
  }
  cx(&rk, &rv, 0u, 1u, (pos & k) == 0u);
  cx(&rk, &rv, 2u, 3u, (((base + i0 + 2u) & (P.p_len - 1u)) & k) == 0u);   // P = 2: another line
  for (var q = 0u; q < 4u; q++) {
    sk[i0 + q] = rk[q];
    sv[i0 + q] = rv[q];
  }
}

// P.k == 0: sort every block of 1024 (all stages up to min(P, 1024)); else finish stage P.k
// (strides 512 .. 1) after the global steps did its strides >= 1024.
@compute @workgroup_size(WG)
fn local_sort(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * BLOCK;
  for (var q = 0u; q < BLOCK / WG; q++) {
    sk[lid + q * WG] = keys[base + lid + q * WG];
    sv[lid + q * WG] = vals[base + lid + q * WG];
  }
  if (P.k == 0u) {
    let top = min(P.p_len, BLOCK);
    for (var k = 2u; k <= top; k <<= 1u) {
      for (var j = k >> 1u; j >= 4u; j >>= 1u) { local_step(base, lid, k, j); }
      register_steps(base, lid, k, min(k >> 1u, 2u));
    }
  } else {
    for (var j = BLOCK >> 1u; j >= 4u; j >>= 1u) { local_step(base, lid, P.k, j); }
    register_steps(base, lid, P.k, 2u);
  }
  workgroupBarrier();
  for (var q = 0u; q < BLOCK / WG; q++) {
    keys[base + lid + q * WG] = sk[lid + q * WG];
    vals[base + lid + q * WG] = sv[lid + q * WG];
  }
}

// Stage P.k, stride P.j >= 1024, in global memory: one invocation per compared pair.
@compute @workgroup_size(WG)
fn global_step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let t = linear(wid, nwg, lid);
  if (t >= P.total / 2u) { return; }
  let j = P.j;
  let i = ((t & ~(j - 1u)) << 1u) | (t & (j - 1u));
  let l = i + j;
  let up = ((i & (P.p_len - 1u)) & P.k) == 0u;
  let ka = keys[i];
  let va = vals[i];
  let kb = keys[l];
  let vb = vals[l];
  if (after(ka, va, kb, vb) == up) {
    keys[i] = kb;
    vals[i] = vb;
    keys[l] = ka;
    vals[l] = va;
  }
}

// The first `kk` positions of each sorted line, as int32 [outer, kk, inner].
@compute @workgroup_size(WG)
fn extract(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.lines * P.kk) { return; }
  let i = e % P.inner;
  let r = (e / P.inner) % P.kk;
  let o = e / (P.inner * P.kk);
  out[e] = i32(vals[(o * P.inner + i) * P.p_len + r]);
}
