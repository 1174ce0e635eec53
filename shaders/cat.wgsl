// cat and its backward as one dispatch for up to 7 pieces (7 + 1 storage buffers, the limit),
// on vec4s of 32-bit words (float32 and int32 alike). Every piece and the whole are contiguous
// [rows, width] matrices in vec4 units: the pieces' rows lie side by side in the whole's rows
// (a cat along dim d has rows = the product of the dims before d, width = size along d times
// the product of the dims after it). Piece k covers columns offs[k] .. offs[k] + widths[k].
// The grid is [blocks, blocks, pieces]: a workgroup's piece is its z, so no invocation searches
// for its piece and the switch on it is uniform; the blocks run over the piece's rows x widths
// vec4s, ELEMS per invocation, WG apart (full workgroups even when rows are narrow: a grid of
// one row per workgroup left 3/4 of 1024-vec4 blocks idle on 64-vec4 rows and ran 2x slower).

override WG: u32 = 256u;
const ELEMS: u32 = 4u;

@compute @workgroup_size(WG)
fn join4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let i = base + j * WG;
    if (i >= P.rows * w) { return; }
    let row = i / w;
    let c = i - row * w;
    let dst = row * P.width + o;
    var v: vec4<u32>;
    switch k {
      case 0u: { v = s0[i]; }
      case 1u: { v = s1[i]; }
      case 2u: { v = s2[i]; }
      case 3u: { v = s3[i]; }
      case 4u: { v = s4[i]; }
      case 5u: { v = s5[i]; }
      default: { v = s6[i]; }
    }
    whole_w[dst + c] = v;
  }
}

@compute @workgroup_size(WG)
fn split4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let i = base + j * WG;
    if (i >= P.rows * w) { return; }
    let row = i / w;
    let v = whole[row * P.width + o + i - row * w];
    switch k {
      case 0u: { d0[i] = v; }
      case 1u: { d1[i] = v; }
      case 2u: { d2[i] = v; }
      case 3u: { d3[i] = v; }
      case 4u: { d4[i] = v; }
      case 5u: { d5[i] = v; }
      default: { d6[i] = v; }
    }
  }
}
