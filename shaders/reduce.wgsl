// Reductions along the middle axis of [outer, size, inner]: sum, max, min, argmax, argmin.
// Prepended by the host: `alias T = f32|i32;`.
//
// A long axis is split into `chunks` pieces reduced by different workgroups/invocations; the
// partial results form [outer, chunks, inner] (values and, for arg-reductions, indices), which
// the host reduces again until one chunk is left. So a full reduction of 16M elements runs as
// many workgroups and then one, not as one workgroup (how many: tuner-elementwise.ts).
//
// Entry points: `rows` gives each (line, chunk) a workgroup that strides through it and
// tree-reduces in workgroup memory (for contiguous lines, inner = 1), `rows4` is the same with
// vec4 loads where lines start on a vec4; `cols` gives each
// (outer, chunk, inner) an invocation, so neighbouring invocations read neighbouring inner
// positions (inner > 1, or lines too short to share).
//
// Ties keep the smaller index and NaN beats every number (the first NaN wins), so results
// match the CPU's sequential scan whatever the split.

override OP: u32 = 0u;          // 0 sum, 1 max, 2 min, 3 argmax, 4 argmin
override IS_FLOAT: bool = true;
override IDX_IN: bool = false;  // input is a partial result: read its indices from `xi`
override VAL_OUT: bool = true;  // write values to `out`
override IDX_OUT: bool = false; // write indices to `out_i`
override WG: u32 = 256u;



struct Acc { v: T, i: i32 }

fn is_nan(v: T) -> bool { return IS_FLOAT && (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// Combines a (earlier or equal-priority) with b.
fn take(a: Acc, b: Acc) -> Acc {
  if (OP == 0u) { return Acc(a.v + b.v, 0); }
  let na = is_nan(a.v);
  let nb = is_nan(b.v);
  var b_wins: bool;
  if (na || nb) {
    b_wins = select(nb, b.i < a.i, na && nb);
  } else if (a.v == b.v) {
    b_wins = b.i < a.i;
  } else if (OP == 1u || OP == 3u) {
    b_wins = b.v > a.v;
  } else {
    b_wins = b.v < a.v;
  }
  if (b_wins) { return b; }
  return a;
}

fn load(o: u32, s: u32, i: u32) -> Acc {
  let at = (o * P.size + s) * P.inner + i;
  if (IDX_IN) { return Acc(x[at], xi[at]); }
  return Acc(x[at], i32(s));
}

fn store(o: u32, c: u32, i: u32, a: Acc) {
  let at = (o * P.chunks + c) * P.inner + i;
  if (VAL_OUT) { out[at] = a.v; }
  if (IDX_OUT) { out_i[at] = a.i; }
}

var<workgroup> sv: array<T, WG>;
var<workgroup> si: array<i32, WG>;

// Tree-reduces every invocation's acc in workgroup memory; invocation 0 gets the result.
fn wg_tree(lid: u32, acc: Acc) -> Acc {
  sv[lid] = acc.v;
  si[lid] = acc.i;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) {
      let r = take(Acc(sv[lid], si[lid]), Acc(sv[lid + half], si[lid + half]));
      sv[lid] = r.v;
      si[lid] = r.i;
    }
    workgroupBarrier();
  }
  return Acc(sv[0], si[0]);
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;   // uniform across the workgroup, so the early return is too
  if (g >= P.outer * P.inner * P.chunks) { return; }
  let c = g % P.chunks;
  let line = g / P.chunks;
  let o = line / P.inner;
  let i = line % P.inner;
  let start = c * P.chunk_len;
  let end = min(P.size, start + P.chunk_len);
  var acc = Acc(P.identity, 0x7fffffff);
  for (var s = start + lid; s < end; s += WG) {
    acc = take(acc, load(o, s, i));
  }
  let r = wg_tree(lid, acc);
  if (lid == 0u) { store(o, c, i, r); }
}

// `rows` with vec4 loads, for contiguous lines (inner = 1) of the original input (not IDX_IN):
// the host makes chunk_len a multiple of 4 and uses it only where every line starts on a vec4
// (size % 4 == 0, or a single line) and x holds ceil(numel / 4) whole vec4s. A chunk is read
// as whole vec4s, invocation k taking vec4s k, k + WG, ...; a last partial vec4 (the end of a
// single line) is read whole by invocation 0 and only its lanes inside the line count.

@compute @workgroup_size(WG)
fn rows4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= P.outer * P.chunks) { return; }
  let c = g % P.chunks;
  let o = g / P.chunks;
  let start = c * P.chunk_len;
  let end = min(P.size, start + P.chunk_len);
  let whole = (end - start) / 4u;
  let first = (o * P.size + start) / 4u;
  var acc = Acc(P.identity, 0x7fffffff);
  if (OP == 0u) {
    var s4 = vec4<T>(P.identity);   // four running sums: no dependency chain through one add
    for (var k = lid; k < whole; k += WG) { s4 += x4[first + k]; }
    acc.v = (s4.x + s4.y) + (s4.z + s4.w);
  } else {
    for (var k = lid; k < whole; k += WG) {
      let v = x4[first + k];
      let s = i32(start + 4u * k);
      acc = take(take(take(take(acc, Acc(v.x, s)), Acc(v.y, s + 1)), Acc(v.z, s + 2)), Acc(v.w, s + 3));
    }
  }
  let rest = (end - start) % 4u;
  if (lid == 0u && rest > 0u) {
    let v = x4[first + whole];   // in bounds: the host checked the buffer's vec4 count
    for (var l = 0u; l < rest; l++) {
      acc = take(acc, Acc(v[l], i32(start + 4u * whole + l)));
    }
  }
  let r = wg_tree(lid, acc);
  if (lid == 0u) { store(o, c, 0u, r); }
}

@compute @workgroup_size(WG)
fn cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG + lid;
  if (t >= P.outer * P.chunks * P.inner) { return; }
  let i = t % P.inner;
  let oc = t / P.inner;
  let c = oc % P.chunks;
  let o = oc / P.chunks;
  let start = c * P.chunk_len;
  let end = min(P.size, start + P.chunk_len);
  var acc = Acc(P.identity, 0x7fffffff);
  for (var s = start; s < end; s++) {
    acc = take(acc, load(o, s, i));
  }
  store(o, c, i, acc);
}
