// The write half of the strided gather in data.wgsl, on 32-bit words (float32 and int32 alike):
// dst[dstOffset + Σ i_d * dstStrides[d]] = src[srcOffset + Σ i_d * srcStrides[d]] over `shape`.
// cat runs it once per input into the output; the backward of slice/select/narrow runs it
// into zeros; pad runs it to place the input inside the padding.

override WG: u32 = 256u;
// The merged rank, fixed per pipeline so the dim loop unrolls and its uniform indices are
// constants: on llvmpipe a cat of 4 x [1024,256] along dim 1 took 15 ms instead of 110 ms.
override RANK: i32 = 8;
const ELEMS: u32 = 4u;

@compute @workgroup_size(WG)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    var rest = e;
    var si = P.srcOffset;
    var di = P.dstOffset;
    for (var d = RANK - 1; d >= 0; d--) {
      let q = u32(d) >> 2u;
      let r = u32(d) & 3u;
      let size = P.shape[q][r];
      let i = i32(rest % size);
      si += i * P.srcStrides[q][r];
      di += i * P.dstStrides[q][r];
      rest = rest / size;
    }
    dst[u32(di)] = src[u32(si)];
  }
}
