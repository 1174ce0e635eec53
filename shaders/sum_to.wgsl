// sumTo's general case: each invocation sums one output element over the reduced dims.
// (Layouts that are one [outer, size, inner] reduction go to reduce.wgsl instead, which
// spreads a long sum over many workgroups.) Prepended: `alias T = f32|i32;`.
// Kept dims (in output order) and reduced dims are given with their strides in x, up to 8
// each after the host merges neighbouring dims of the same kind.

override WG: u32 = 256u;



fn dim(a: array<vec4<u32>, 2>, d: u32) -> u32 { return a[d >> 2u][d & 3u]; }

@compute @workgroup_size(WG)
fn sum_to(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let o = (wid.x + wid.y * nwg.x) * WG + lid;
  if (o >= P.n_out) { return; }
  var rest = o;
  var base = 0u;
  for (var d = i32(P.krank) - 1; d >= 0; d--) {
    let size = dim(P.kshape, u32(d));
    base += (rest % size) * dim(P.kstrides, u32(d));
    rest /= size;
  }
  // Walk the reduced positions with an odometer instead of dividing per element.
  var count: array<u32, 8>;
  var acc = T(0);
  var at = base;
  let last = P.rrank - 1u;
  for (var r = 0u; r < P.n_red; r++) {
    acc += x[at];
    var d = last;
    loop {
      count[d] += 1u;
      at += dim(P.rstrides, d);
      if (count[d] < dim(P.rshape, d) || d == 0u) { break; }
      at -= count[d] * dim(P.rstrides, d);
      count[d] = 0u;
      d -= 1u;
    }
  }
  out[o] = acc;
}
