// where(cond, a, b): out[e] = cond ? a : b, each operand read through its own broadcast
// strides (0 on broadcast dims), up to rank 8 after the host merges dims contiguous in all
// four tensors. Prepended by the host (src/backend/webgpu/where.ts): `alias C = f32|i32;`
// (cond), `alias T = f32|i32;` (a, b, out), the Params struct and bindings of WHERE_IO.
// A select on 32-bit words moves a and b bit for bit, so NaN payloads and -0 survive.

override COND_FLOAT: bool = true;
override WG: u32 = 256u;
const ELEMS: u32 = 4u;

// Truth of cond by bit pattern: a float is true unless ±0 (NaN is true, as in torch; WGSL
// promises nothing about comparing NaN), an int unless 0.
fn truth(c: C) -> bool {
  let bits = bitcast<u32>(c);
  return select(bits != 0u, (bits & 0x7fffffffu) != 0u, COND_FLOAT);
}

@compute @workgroup_size(WG)
fn where_(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    var rest = e;
    var ci = 0u;
    var ai = 0u;
    var bi = 0u;
    for (var d = i32(P.rank) - 1; d >= 0; d--) {
      let q = u32(d) >> 2u;
      let r = u32(d) & 3u;
      let size = P.shape[q][r];
      let i = rest % size;
      rest = rest / size;
      ci += i * P.c_strides[q][r];
      ai += i * P.a_strides[q][r];
      bi += i * P.b_strides[q][r];
    }
    out[e] = select(b[bi], a[ai], truth(cond[ci]));
  }
}
