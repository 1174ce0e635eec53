// cat and its backward as one dispatch for up to 7 pieces (7 + 1 storage buffers, the limit),
// on vec4s of 32-bit words (float32 and int32 alike). Every piece and the whole are contiguous
// [rows, width] matrices in vec4 units: the pieces' rows lie side by side in the whole's rows
// (a cat along dim d has rows = the product of the dims before d, width = size along d times
// the product of the dims after it). Piece k covers columns offs[k] .. offs[k] + widths[k].
// The grid is [groups, 1, pieces]: a workgroup's piece is its z, so no invocation searches for
// its piece; the groups of a piece run a grid-stride loop over its rows x widths vec4s, shaped
// as the elementwise kernels (tuner-elementwise.ts: on lavapipe few 64-wide groups that loop,
// on a GPU one vec4 per invocation). A layout of one row per workgroup left 3/4 of 1024-vec4
// blocks idle on 64-vec4 rows and ran 2x slower.
//
// The switch on the piece is outside the copy loop, one loop per case: the same loop with the
// switch inside it (a load or store per case on every element) ran 25-30% slower on lavapipe
// (4 x [1024, 256] along dim 1: 2.65 -> 2.06 ms, 3.96 -> 2.99 ms, 6.17 -> 4.41 ms in three
// interleaved runs, bench/experiments/cat-kernels.ts variants A and J). Tiles of rows x a
// power-of-two width without the division were no faster on a 65-vec4 row (variant H). Fixed
// blocks of 4 vec4s per invocation in 256-wide groups (the grid before the grid-stride loop)
// ran 15-30% slower than 16-64 per invocation (variants M/256/4 against M/64/32, M/256/16).

override WG: u32 = 256u;

// Where vec4 i of a piece of row width w at column o lies in the whole.
fn in_whole(i: u32, w: u32, o: u32) -> u32 {
  let row = i / w;
  return row * P.width + o + i - row * w;
}

@compute @workgroup_size(WG)
fn join4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let n = P.rows * w;
  let b = wid.x * WG + lid;
  let stride = nwg.x * WG;
  switch k {
    case 0u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s0[i]; } }
    case 1u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s1[i]; } }
    case 2u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s2[i]; } }
    case 3u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s3[i]; } }
    case 4u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s4[i]; } }
    case 5u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s5[i]; } }
    default: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s6[i]; } }
  }
}

@compute @workgroup_size(WG)
fn split4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let n = P.rows * w;
  let b = wid.x * WG + lid;
  let stride = nwg.x * WG;
  switch k {
    case 0u: { for (var i = b; i < n; i += stride) { d0[i] = whole[in_whole(i, w, o)]; } }
    case 1u: { for (var i = b; i < n; i += stride) { d1[i] = whole[in_whole(i, w, o)]; } }
    case 2u: { for (var i = b; i < n; i += stride) { d2[i] = whole[in_whole(i, w, o)]; } }
    case 3u: { for (var i = b; i < n; i += stride) { d3[i] = whole[in_whole(i, w, o)]; } }
    case 4u: { for (var i = b; i < n; i += stride) { d4[i] = whole[in_whole(i, w, o)]; } }
    case 5u: { for (var i = b; i < n; i += stride) { d5[i] = whole[in_whole(i, w, o)]; } }
    default: { for (var i = b; i < n; i += stride) { d6[i] = whole[in_whole(i, w, o)]; } }
  }
}
