// Broadcasting binary ops into a contiguous output.
// Prepended by the host (src/backend/webgpu/elementwise.ts): `alias T = f32|i32;` (operands)
// and `alias U = f32|i32;` (output: T for arithmetic, the requested dtype for comparisons,
// which write 1 or 0), the Params struct and bindings of BINARY_IO, and `binary_apply(code,
// x, y)`, the op switch generated from the op table (src/kernels/binary.ts), and
// elementwise_math.wgsl (is_nan, div_).
// Operands are read through per-dim strides (0 on broadcast dims), up to rank 8 after the host
// merges dims that are contiguous in all three tensors. CONTIG skips the index arithmetic
// when both operands are laid out exactly like the output.
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
override WG: u32 = 256u;
const ELEMS: u32 = 4u;

fn op(x: T, y: T) -> U { return binary_apply(OP, x, y); }

// Where element e of the output reads a (x) and b (y).
fn operands(e: u32) -> vec2<u32> {
  if (CONTIG) { return vec2<u32>(e, e); }
  var rest = e;
  var ai = 0u;
  var bi = 0u;
  for (var d = i32(P.rank) - 1; d >= 0; d--) {
    let q = u32(d) >> 2u;
    let r = u32(d) & 3u;
    let size = P.shape[q][r];
    let i = rest % size;
    rest = rest / size;
    ai += i * P.a_strides[q][r];
    bi += i * P.b_strides[q][r];
  }
  return vec2<u32>(ai, bi);
}

@compute @workgroup_size(WG)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    let ab = operands(e);
    out[e] = op(a[ab.x], b[ab.y]);
  }
}

@compute @workgroup_size(WG)
fn binary2(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    let ab = operands(e);
    let t = op(a[ab.x], b[ab.y]);
    out[e] = t;
    if (T_LEFT) {
      out2[e] = binary_apply(OP2, T(t), c[e]);
    } else {
      out2[e] = binary_apply(OP2, c[e], T(t));
    }
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
