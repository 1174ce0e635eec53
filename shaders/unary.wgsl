// Elementwise unary ops, their gradients, clamp and clamp's gradient.
// Prepended by the host (src/backend/webgpu/elementwise.ts): `alias T = f32|i32;`, the Params
// struct and bindings of UNARY_IO, and the op switches `unary_op(v)` / `unary_grad_op(s, g)`
// generated from the op table (src/kernels/unary.ts), whose WGSL expressions call the helpers
// of elementwise_math.wgsl (prepended too).

override OP: u32 = 0u;        // an OP_* constant of the generated header
override IS_FLOAT: bool = true;
override WG: u32 = 256u;
const ELEMS: u32 = 4u;        // elements per invocation, WG apart so neighbours read neighbours

fn clamp_op(x: T) -> T {
  var v = x;
  if (!is_nan(v)) {                 // NaN stays NaN
    if (v < P.lo) { v = P.lo_val; }
    if (v > P.hi) { v = P.hi_val; }   // after the lower bound: lo > hi gives hi
  }
  return v;
}

fn clamp_grad_op(v: T, g: T) -> T {
  let keep = !is_nan(v) && v >= P.lo && v <= P.hi;   // closed interval: bounds pass
  return select(T(0), g, keep);
}

// ---- scalar kernels: 4 elements per invocation, WG apart; the fallback when a buffer is
// too short for the vec4 kernels below.

fn first(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
}

@compute @workgroup_size(WG)
fn unary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let base = first(wid, nwg, lid);
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    out[e] = unary_op(x[e]);
  }
}

// unary_pre: a contiguous add/sub/mul of x and `dy` (here its second operand) first, its
// result written to `t` as binary.wgsl writes it, then the op: `d.sub(y).pow(2)` is one
// dispatch (the host fuses them, fusion.ts). float32 only. `binary_apply` is generated from
// the binary op table, as in binary.wgsl.
override PRE: u32 = 0u;   // an OP_ADD, OP_SUB or OP_MUL code of the binary table

@compute @workgroup_size(WG)
fn unary_pre(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let base = first(wid, nwg, lid);
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    let v = binary_apply(PRE, x[e], dy[e]);
    t[e] = v;
    out[e] = unary_op(v);
  }
}

@compute @workgroup_size(WG)
fn unary_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let base = first(wid, nwg, lid);
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    out[e] = unary_grad_op(x[e], dy[e]);
  }
}

@compute @workgroup_size(WG)
fn clamp_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let base = first(wid, nwg, lid);
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    out[e] = clamp_op(x[e]);
  }
}

@compute @workgroup_size(WG)
fn clamp_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let base = first(wid, nwg, lid);
  for (var k = 0u; k < ELEMS; k++) {
    let e = base + k * WG;
    if (e >= P.n) { return; }
    out[e] = clamp_grad_op(x[e], dy[e]);
  }
}

// ---- vec4 kernels: the same buffers viewed as vec4s (another entry point may bind a binding
// slot with another type). Grid-stride: invocation g handles vec4s g, g + stride, ... with
// stride = workgroups * WG (tuner-elementwise.ts picks the grid). The host uses them only when
// every bound buffer holds ceil(n / 4) whole vec4s, so the last vec4 is read in bounds; lanes
// past n are read (whatever the pool left there) but never written.


fn store4(i: u32, v: vec4<T>) {
  if (i * 4u + 4u <= P.n) {
    out4[i] = v;
    return;
  }
  for (var l = 0u; l < 4u; l++) {
    if (i * 4u + l < P.n) { out4[i][l] = v[l]; }
  }
}

@compute @workgroup_size(WG)
fn unary4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i * 4u < P.n; i += nwg.x * WG) {
    let v = x4[i];
    store4(i, vec4<T>(unary_op(v.x), unary_op(v.y), unary_op(v.z), unary_op(v.w)));
  }
}

@compute @workgroup_size(WG)
fn unary_grad4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i * 4u < P.n; i += nwg.x * WG) {
    let s = x4[i];
    let g = dy4[i];
    store4(i, vec4<T>(unary_grad_op(s.x, g.x), unary_grad_op(s.y, g.y), unary_grad_op(s.z, g.z),
                      unary_grad_op(s.w, g.w)));
  }
}

@compute @workgroup_size(WG)
fn clamp_fwd4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i * 4u < P.n; i += nwg.x * WG) {
    let v = x4[i];
    store4(i, vec4<T>(clamp_op(v.x), clamp_op(v.y), clamp_op(v.z), clamp_op(v.w)));
  }
}

@compute @workgroup_size(WG)
fn clamp_grad4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i * 4u < P.n; i += nwg.x * WG) {
    let v = x4[i];
    let g = dy4[i];
    store4(i, vec4<T>(clamp_grad_op(v.x, g.x), clamp_grad_op(v.y, g.y), clamp_grad_op(v.z, g.z),
                      clamp_grad_op(v.w, g.w)));
  }
}
