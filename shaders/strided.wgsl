// The write half of the strided gather in data.wgsl, on 32-bit words (float32 and int32 alike):
// dst[dstOffset + Σ i_d * dstStrides[d]] = src[srcOffset + Σ i_d * srcStrides[d]] over `shape`.
// cat runs it once per input into the output; the backward of slice/select/narrow runs it
// into zeros; pad runs it to place the input inside the padding.

override WG: u32 = 256u;
// The merged rank, fixed per pipeline so the dim loop unrolls and its uniform indices are
// constants: on llvmpipe a cat of 4 x [1024,256] along dim 1 took 15 ms instead of 110 ms.
override RANK: u32 = 8u;

// Grid-stride, shaped per adapter (tuner-elementwise.ts), with coordinates stepped without
// division (coords.wgsl, prepended by the host).
@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var e = gid.x; e < P.n; e += stride) {
    dst[u32(offset_i(P.dstOffset, at, P.dstStrides))] = src[u32(offset_i(P.srcOffset, at, P.srcStrides))];
    at = advance(at, step);
  }
}
