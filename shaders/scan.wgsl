// Running sum or product along the middle axis of [outer, size, inner] (cumsum, and the
// exclusive forward/reverse products of prod's gradient). Prepended by the host:
// `alias T = f32|i32;`, `struct Params` and the bindings (src/backend/webgpu/scan.ts).
//
// Each line is cut into `chunks` chunks of `chunk_len` so that long lines still spread over
// many invocations: `chunk_totals` combines each chunk, `chunk_offsets` scans each line's
// chunk totals (exclusive, one invocation per line), and `scan` rescans each chunk from its
// offset and writes it. With one chunk per line only `scan` runs (HAS_OFF = false). Chunking
// also bounds float32 rounding: each prefix is at most chunk_len + chunks additions deep
// instead of `size`.
//
// Step s of a line reads element size-1-s when REVERSE; EXCLUSIVE stores the running value
// before combining the element, so the first is the identity.

override OP: u32 = 0u;           // 0 sum, 1 product
override EXCLUSIVE: bool = false;
override REVERSE: bool = false;
override HAS_OFF: bool = false;  // `off` holds each chunk's starting value
override WG: u32 = 256u;

fn combine(a: T, b: T) -> T {
  if (OP == 0u) { return a + b; }
  return a * b;
}

fn identity() -> T { return select(T(1), T(0), OP == 0u); }

fn at(o: u32, s: u32, i: u32) -> u32 {
  let p = select(s, P.size - 1u - s, REVERSE);
  return (o * P.size + p) * P.inner + i;
}

fn thread(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * WG + lid; }

// One invocation per (line, chunk): the chunk's total into out[(o * chunks + c) * inner + i].
@compute @workgroup_size(WG)
fn chunk_totals(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let t = thread(wid, nwg, lid);
  if (t >= P.outer * P.chunks * P.inner) { return; }
  let i = t % P.inner;
  let oc = t / P.inner;
  let c = oc % P.chunks;
  let o = oc / P.chunks;
  var acc = identity();
  for (var s = c * P.chunk_len; s < min(P.size, (c + 1u) * P.chunk_len); s++) { acc = combine(acc, x[at(o, s, i)]); }
  out[t] = acc;
}

// One invocation per line: x holds the chunk totals, out gets each chunk's exclusive prefix.
@compute @workgroup_size(WG)
fn chunk_offsets(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let t = thread(wid, nwg, lid);
  if (t >= P.outer * P.inner) { return; }
  let i = t % P.inner;
  let o = t / P.inner;
  var acc = identity();
  for (var c = 0u; c < P.chunks; c++) {
    let k = (o * P.chunks + c) * P.inner + i;
    let v = x[k];
    out[k] = acc;
    acc = combine(acc, v);
  }
}

// One invocation per (line, chunk): the chunk scanned from its offset.
@compute @workgroup_size(WG)
fn scan(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = thread(wid, nwg, lid);
  if (t >= P.outer * P.chunks * P.inner) { return; }
  let i = t % P.inner;
  let oc = t / P.inner;
  let c = oc % P.chunks;
  let o = oc / P.chunks;
  var acc = identity();
  if (HAS_OFF) { acc = off[t]; }
  for (var s = c * P.chunk_len; s < min(P.size, (c + 1u) * P.chunk_len); s++) {
    let k = at(o, s, i);
    let v = x[k];
    if (EXCLUSIVE) { out[k] = acc; }
    acc = combine(acc, v);
    if (!EXCLUSIVE) { out[k] = acc; }
  }
}
