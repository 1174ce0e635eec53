// Type-agnostic data movement on 32-bit words (float32 and int32 alike): fill, the strided
// gather behind transpose/expand/slice, and scatterIndex (the backward of max/min along a dim).

override WG: u32 = 256u;
// strided: the merged rank, fixed per pipeline so the dim loop unrolls with constant uniform
// indices (llvmpipe, best of 11: a [64,16,1024] step-2 slice 4.7 ms instead of 19 ms, a
// [1024,1024] narrow to 256 columns 2.5 ms instead of 4.9 ms).
override RANK: u32 = 8u;
const ELEMS: u32 = 4u;



fn first(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
}

@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let base = first(wid, nwg, lid);
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    out[e] = P.value;
  }
}

// out[i0..ir] = src[offset + Σ i_d * strides[d]] (strides may be 0 or negative). Grid-stride,
// shaped per adapter (tuner-elementwise.ts), with coordinates stepped without division
// (coords.wgsl): the GPT bench step's head split/merge copies (26) took 50 ms on lavapipe with
// a division per dim per element.
@compute @workgroup_size(WG)
fn strided(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var e = gid.x; e < P.n; e += stride) {
    out[e] = src[u32(offset_i(P.offset, at, P.strides))];
    at = advance(at, step);
  }
}

// The same over vec4s (the host divides the innermost dim and every stride by 4): for views
// whose innermost dim is contiguous and whose runs start 4-aligned.
@compute @workgroup_size(WG)
fn strided4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var e = gid.x; e < P.n; e += stride) {
    out4[e] = src4[u32(offset_i(P.offset, at, P.strides))];
    at = advance(at, step);
  }
}

// One pass over dx: dx[o, s, i] = (idx[o, i] == s) ? dy[o, i] : 0.
@compute @workgroup_size(WG)
fn scatter_index(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let base = first(wid, nwg, lid);
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    let i = e % P.inner;
    let s = (e / P.inner) % P.size;
    let o = e / (P.inner * P.size);
    let j = o * P.inner + i;
    out[e] = select(0u, src[j], u32(idx[j]) == s);   // 0u is +0 as float32 and 0 as int32
  }
}
