// Elementwise unary ops, their gradients, clamp and clamp's gradient.
// Prepended by the host (src/backend/webgpu/elementwise.ts): `alias T = f32|i32;`, the Params
// struct and bindings of UNARY_IO, and the op switches `unary_op(v)` / `unary_grad_op(s, g)`
// generated from the op table (src/kernels/unary.ts), whose WGSL expressions call the helpers
// below. Semantics follow the CPU kernels of that table, including NaN and Inf, which WGSL
// itself does not promise: NaN is tested by bit pattern and the edge cases of log, sqrt, exp
// and pow are spelled out instead of left to the builtins.

override OP: u32 = 0u;        // an OP_* constant of the generated header
override IS_FLOAT: bool = true;
override WG: u32 = 256u;
const ELEMS: u32 = 4u;        // elements per invocation, WG apart so neighbours read neighbours



// NaN and Inf as runtime values: WGSL rejects them in constant expressions.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

fn is_nan(v: T) -> bool { return IS_FLOAT && (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn f_is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn f_nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn f_inf() -> f32 { return bitcast<f32>(INF_BITS); }
fn is_odd_int(p: f32) -> bool { return floor(p) == p && abs(p) < 16777216.0 && (i32(p) & 1) != 0; }

fn exp_(v: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  if (v > 88.8) { return f_inf(); }   // past ln(FLT_MAX) = 88.72: overflow is Inf, never NaN
  if (v < -104.0) { return 0.0; }
  return exp(v);
}

fn log_(v: f32) -> f32 {
  if (f_is_nan(v) || v < 0.0) { return f_nan(); }
  if (v == 0.0) { return -f_inf(); }
  if (v == f_inf()) { return v; }
  return log(v);
}

fn sqrt_(v: f32) -> f32 {
  if (f_is_nan(v) || v < 0.0) { return f_nan(); }
  if (v == 0.0 || v == f_inf()) { return v; }   // keeps -0 as -0, like Math.sqrt
  return sqrt(v);
}

// WGSL's tanh may be 1 - 2/(e^2x + 1), which is all rounding error for small x (lavapipe gives
// 3e-8 for tanh(1e-30)). Cephes' tanhf instead: an odd polynomial below 0.625, the
// exponential form (accurate there) above, ±1 past 10.
fn tanh_(v: f32) -> f32 {
  if (f_is_nan(v)) { return v; }
  let a = abs(v);
  if (a > 10.0) { return sign(v); }
  if (a >= 0.625) {
    let r = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
    return select(r, -r, v < 0.0);
  }
  let z = v * v;
  let p = ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z
    + 1.33314422036e-1) * z - 3.33332819422e-1) * z;
  return v + v * p;
}

// Math.pow for a finite exponent (what the CPU backend uses), and C's pow for a non-finite one.
fn pow_(v: f32, p: f32) -> f32 {
  if (p == 2.0) { return v * v; }
  let p_finite = (bitcast<u32>(p) & 0x7f800000u) != 0x7f800000u;
  if (!p_finite) {
    if (v == 1.0 || (v == -1.0 && !f_is_nan(p))) { return 1.0; }
    if (f_is_nan(p) || f_is_nan(v)) { return f_nan(); }
    let big = abs(v) > 1.0;
    return select(select(f_inf(), 0.0, big), select(0.0, f_inf(), big), p > 0.0);
  }
  if (p == 0.0) { return 1.0; }
  if (f_is_nan(v)) { return v; }
  if (p == 1.0) { return v; }
  let is_int = floor(p) == p;
  let neg = v < 0.0 || (v == 0.0 && bitcast<u32>(v) == 0x80000000u);
  let flip = neg && is_odd_int(p);   // odd integer powers keep the sign (also of -0, -Inf)
  let a = abs(v);
  var r: f32;
  if (a == 0.0) {
    r = select(f_inf(), 0.0, p > 0.0);
  } else if (a == f_inf()) {
    r = select(0.0, f_inf(), p > 0.0);
  } else if (v < 0.0 && !is_int) {
    return f_nan();
  } else if (p == 0.5) {
    r = sqrt(a);
  } else if (p == -1.0) {
    r = 1.0 / a;
  } else if (p == 3.0) {
    r = a * a * a;
  } else {
    r = pow(a, p);
  }
  return select(r, -r, flip);
}

fn sigmoid_(f: f32) -> f32 {
  if (f_is_nan(f)) { return f; }
  // Two branches so exp never overflows, as on the CPU.
  if (f >= 0.0) { return 1.0 / (1.0 + exp_(-f)); }
  let e = exp_(f);
  return e / (1.0 + e);
}

fn pow_t(v: T) -> T {
  if (!IS_FLOAT) { return v * v; }   // integers: only the square exists (wrapping, as on the CPU)
  return T(pow_(f32(v), P.p));
}

fn abs_(v: T) -> T {
  if (IS_FLOAT) { return bitcast<T>(bitcast<u32>(v) & 0x7fffffffu); }   // also clears -0 and NaN signs
  return abs(v);
}

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
