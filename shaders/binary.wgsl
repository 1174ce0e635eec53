// Broadcasting binary ops into a contiguous output.
// Prepended by the host (src/backend/webgpu/elementwise.ts): `alias T = f32|i32;` (operands)
// and `alias U = f32|i32;` (output: T for arithmetic, the requested dtype for comparisons,
// which write 1 or 0), the Params struct and bindings of BINARY_IO, and `binary_apply(code,
// x, y)`, the op switch generated from the op table (src/kernels/binary.ts), and
// elementwise_math.wgsl (is_nan, div_).
// Operands are read through per-dim strides (0 on broadcast dims) over RANK dims (at most 8,
// after the host merges dims that are contiguous in all three tensors), with coordinates
// stepped without division (coords.wgsl, prepended by the host). CONTIG skips the index
// arithmetic when both operands are laid out exactly like the output. Grid-stride, shaped per
// adapter as the other elementwise kernels (tuner-elementwise.ts).
//
// binary2 is two arithmetic ops in one dispatch, each result written as the separate kernels
// would write it: t = OP(a, b) (broadcasting as above) into `out`, then OP2(t, c) or OP2(c, t)
// (T_LEFT) into `out2`, with c contiguous. The host fuses an op into the next one that reads
// its result (fusion.ts): `w.sub_(g.mul(lr))` is one dispatch.

override OP: u32 = 0u;   // an OP_* constant of the generated header
override OP2: u32 = 0u;  // binary2's second op: an arithmetic one (T in, T out)
override T_LEFT: bool = true;
override IS_FLOAT: bool = true;
override CONTIG: bool = false;
override RANK: u32 = 1u;
override WG: u32 = 256u;
fn op(x: T, y: T) -> U { return binary_apply(OP, x, y); }

// The operands' offsets at output element e, whose coordinates are `at`.
fn operands(e: u32, at: Coords) -> vec2<u32> {
  if (CONTIG) { return vec2<u32>(e, e); }
  return vec2<u32>(offset(at, P.a_strides), offset(at, P.b_strides));
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var e = gid.x; e < P.n; e += stride) {
    let ab = operands(e, at);
    out[e] = op(a[ab.x], b[ab.y]);
    at = advance(at, step);
  }
}

@compute @workgroup_size(WG)
fn binary2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var e = gid.x; e < P.n; e += stride) {
    let ab = operands(e, at);
    let t = op(a[ab.x], b[ab.y]);
    out[e] = t;
    if (T_LEFT) {
      out2[e] = binary_apply(OP2, T(t), c[e]);
    } else {
      out2[e] = binary_apply(OP2, c[e], T(t));
    }
    at = advance(at, step);
  }
}

// Rows of a multiple of 4 elements (the innermost dim) as vec4s, for broadcasts such as a bias
// add ([n, c] + [c]) or a per-row scale ([n, c] * [n, 1]): the host divides the innermost dim
// by 4; an operand contiguous along it (`_v`: its strides in vec4 units) is read as vec4s, one
// broadcast along it (`_s`: stride 0 there, strides in elements) as one value for all 4 lanes.
// One entry per pairing: an entry point may not use both views of one binding. P.n counts vec4s.
@compute @workgroup_size(WG)
fn binary_vv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var i = gid.x; i < P.n; i += stride) {
    let x = a4[offset(at, P.a_strides)];
    let y = b4[offset(at, P.b_strides)];
    out4[i] = vec4<U>(op(x.x, y.x), op(x.y, y.y), op(x.z, y.z), op(x.w, y.w));
    at = advance(at, step);
  }
}

@compute @workgroup_size(WG)
fn binary_vs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var i = gid.x; i < P.n; i += stride) {
    let x = a4[offset(at, P.a_strides)];
    let y = b[offset(at, P.b_strides)];
    out4[i] = vec4<U>(op(x.x, y), op(x.y, y), op(x.z, y), op(x.w, y));
    at = advance(at, step);
  }
}

@compute @workgroup_size(WG)
fn binary_sv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var at = coords(gid.x);
  for (var i = gid.x; i < P.n; i += stride) {
    let x = a[offset(at, P.a_strides)];
    let y = b4[offset(at, P.b_strides)];
    out4[i] = vec4<U>(op(x, y.x), op(x, y.y), op(x, y.z), op(x, y.w));
    at = advance(at, step);
  }
}

// Both operands laid out like the output (CONTIG), as vec4s: grid-stride, invocation g handles
// vec4s g, g + stride, ... (stride = workgroups * WG). Used only when every buffer holds
// ceil(n / 4) whole vec4s (see fitsVec4 in elementwise.ts); lanes past n are read, never written.

@compute @workgroup_size(WG)
fn binary4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i * 4u < P.n; i += nwg.x * WG) {
    let x = a4[i];
    let y = b4[i];
    let r = vec4<U>(op(x.x, y.x), op(x.y, y.y), op(x.z, y.z), op(x.w, y.w));
    if (i * 4u + 4u <= P.n) {
      out4[i] = r;
    } else {
      for (var l = 0u; l < 4u; l++) {
        if (i * 4u + l < P.n) { out4[i][l] = r[l]; }
      }
    }
  }
}
