// Numeric conversion. Prepended by the host: `alias S = ...;` (source) and `alias D = ...;`.
// float32 -> int32 follows what a store into an Int32Array does (the CPU backend): truncate
// toward zero, NaN and ±Inf become 0, values outside the int32 range wrap modulo 2^32.

override TO_INT: bool = false;   // float32 -> int32; otherwise a plain conversion
override WG: u32 = 256u;
const ELEMS: u32 = 4u;



fn to_i32(v: f32) -> i32 {
  let bits = bitcast<u32>(v);
  if ((bits & 0x7f800000u) == 0x7f800000u) { return 0; }   // NaN, ±Inf
  if (abs(v) < 2147483648.0) { return i32(trunc(v)); }
  // |v| >= 2^31 is an integer; v mod 2^32 is exact in float32 arithmetic here.
  let m = v - 4294967296.0 * floor(v / 4294967296.0);
  return bitcast<i32>(u32(m));
}

@compute @workgroup_size(WG)
fn convert(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    let v = src[e];
    if (TO_INT) {
      out[e] = D(to_i32(f32(v)));
    } else {
      out[e] = D(v);
    }
  }
}

