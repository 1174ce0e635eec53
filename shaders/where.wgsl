// where(cond, a, b): out[e] = cond ? a : b, each operand read through its own broadcast
// strides (0 on broadcast dims) over RANK dims (at most 8, after the host merges dims
// contiguous in all four tensors), with coordinates stepped without division (coords.wgsl).
// Prepended by the host (src/backend/webgpu/where.ts): `alias C = f32|i32;` (cond),
// `alias T = f32|i32;` (a, b, out), the Params struct and bindings of WHERE_IO, coords.wgsl.
// Grid-stride, shaped per adapter as the other elementwise kernels (tuner-elementwise.ts).
// A select on 32-bit words moves a and b bit for bit, so NaN payloads and -0 survive.

override COND_FLOAT: bool = true;
override RANK: u32 = 1u;
override WG: u32 = 256u;

// Truth of cond by bit pattern: a float is true unless ±0 (NaN is true, as in torch; WGSL
// promises nothing about comparing NaN), an int unless 0.
fn truth(c: C) -> bool {
  let bits = bitcast<u32>(c);
  return select(bits != 0u, (bits & 0x7fffffffu) != 0u, COND_FLOAT);
}

@compute @workgroup_size(WG)
fn where_(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var e = gid.x; e < P.n; e += stride) {
    let c = cond[offset(at, P.c_strides)];
    out[e] = select(b[offset(at, P.b_strides)], a[offset(at, P.a_strides)], truth(c));
    at = advance(at, step);
  }
}
