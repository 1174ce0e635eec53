// cat and its backward as one dispatch for up to 7 pieces (7 + 1 storage buffers, the limit),
// on vec4s of 32-bit words (float32 and int32 alike). Every piece and the whole are contiguous
// [rows, width] matrices in vec4 units: the pieces' rows lie side by side in the whole's rows
// (a cat along dim d has rows = the product of the dims before d, width = size along d times
// the product of the dims after it). Piece k covers columns offs[k] .. offs[k] + widths[k].
// The grid is [column blocks, rows, pieces]: a workgroup's piece and row are its z and y, so no
// invocation searches for its piece or divides (lavapipe cannot vectorize integer division)
// and the switch on the piece is uniform; each invocation copies ELEMS vec4s of its row, WG
// apart. Blocks past a narrower piece's width return at once.

override WG: u32 = 256u;
const ELEMS: u32 = 4u;

@compute @workgroup_size(WG)
fn join4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let row = P.row0 + wid.y;
  let dst = row * P.width + P.offs[k >> 2u][k & 3u];
  let base = wid.x * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let c = base + j * WG;
    if (c >= w) { return; }
    let i = row * w + c;
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
fn split4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let row = P.row0 + wid.y;
  let src = row * P.width + P.offs[k >> 2u][k & 3u];
  let base = wid.x * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let c = base + j * WG;
    if (c >= w) { return; }
    let i = row * w + c;
    let v = whole[src + c];
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
