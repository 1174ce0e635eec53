// Softmax / logSoftmax along the middle axis of [outer, size, inner], forward and backward,
// each fused into one pass per line (the `size` elements at base, base + inner, ...).
// `rows`: a workgroup per line, reductions in workgroup memory (long contiguous lines); with
// fewer workgroups than lines, each takes lines g, g + groups, ... (a CPU-emulated adapter pays
// per workgroup: tuner-elementwise.ts);
// `rows4`/`grad_rows4`, `cols4`/`grad_cols4`: `rows` and `cols` with vec4 loads and stores,
// for contiguous lines (inner = 1) whose length is a multiple of 4 (so every line starts on a
// vec4; the host checks);
// `cols`: an invocation per line (inner > 1 or short lines). Semantics as the CPU backend:
// the max is NaN-propagating, so a NaN anywhere makes its whole line NaN.

override LOG: bool = false;
override WG: u32 = 256u;



// NaN and Inf as runtime values: WGSL rejects them in constant expressions.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b) || b > a) { return b; }
  return a;
}
fn exp_(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  if (v > 88.8) { return bitcast<f32>(INF_BITS); }
  if (v < -104.0) { return 0.0; }
  return exp(v);
}

fn line_base(line: u32) -> u32 { return (line / P.inner) * P.size * P.inner + line % P.inner; }

var<workgroup> red: array<f32, WG>;

// Workgroup-wide max (is_max) or sum of each invocation's v; every invocation gets the result.
fn wg_reduce(v: f32, lid: u32, is_max: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) {
      let o = red[lid + half];
      red[lid] = select(red[lid] + o, max_nan(red[lid], o), is_max);
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();   // red is reused by the next reduction
  return r;
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  for (var line = wid.x + wid.y * nwg.x; line < P.outer * P.inner; line += nwg.x * nwg.y) {
    let base = line_base(line);
    let st = P.inner;
    var m = -bitcast<f32>(INF_BITS);
    for (var j = lid; j < P.size; j += WG) { m = max_nan(m, x[base + j * st]); }
    m = wg_reduce(m, lid, true);
    var s = 0.0;
    for (var j = lid; j < P.size; j += WG) { s += exp_(x[base + j * st] - m); }
    s = wg_reduce(s, lid, false);
    let lse = log(s);
    for (var j = lid; j < P.size; j += WG) {
      let k = base + j * st;
      if (LOG) { out[k] = x[k] - m - lse; } else { out[k] = exp_(x[k] - m) / s; }
    }
  }
}

@compute @workgroup_size(WG)
fn cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let line = (wid.x + wid.y * nwg.x) * WG + lid;
  if (line >= P.outer * P.inner) { return; }
  let base = line_base(line);
  let st = P.inner;
  var m = -bitcast<f32>(INF_BITS);
  for (var j = 0u; j < P.size; j++) { m = max_nan(m, x[base + j * st]); }
  var s = 0.0;
  for (var j = 0u; j < P.size; j++) { s += exp_(x[base + j * st] - m); }
  let lse = log(s);
  for (var j = 0u; j < P.size; j++) {
    let k = base + j * st;
    if (LOG) { out[k] = x[k] - m - lse; } else { out[k] = exp_(x[k] - m) / s; }
  }
}

// softmax: dx = y * (dy - Σ dy*y); logSoftmax: dx = dy - exp(y) * Σ dy.
fn grad_term(k: u32) -> f32 { return select(dy[k] * x[k], dy[k], LOG); }
fn grad_out(k: u32, s: f32) -> f32 {
  if (LOG) { return dy[k] - exp_(x[k]) * s; }
  return x[k] * (dy[k] - s);
}

@compute @workgroup_size(WG)
fn grad_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  for (var line = wid.x + wid.y * nwg.x; line < P.outer * P.inner; line += nwg.x * nwg.y) {
    let base = line_base(line);
    let st = P.inner;
    var s = 0.0;
    for (var j = lid; j < P.size; j += WG) { s += grad_term(base + j * st); }
    s = wg_reduce(s, lid, false);
    for (var j = lid; j < P.size; j += WG) { out[base + j * st] = grad_out(base + j * st, s); }
  }
}

@compute @workgroup_size(WG)
fn grad_cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let line = (wid.x + wid.y * nwg.x) * WG + lid;
  if (line >= P.outer * P.inner) { return; }
  let base = line_base(line);
  let st = P.inner;
  var s = 0.0;
  for (var j = 0u; j < P.size; j++) { s += grad_term(base + j * st); }
  for (var j = 0u; j < P.size; j++) { out[base + j * st] = grad_out(base + j * st, s); }
}

// ---- vec4 forms of `rows` and `cols` for contiguous lines: line `line` is vec4s
// [line * size / 4, (line + 1) * size / 4).


fn exp4(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(exp_(v.x), exp_(v.y), exp_(v.z), exp_(v.w)); }

@compute @workgroup_size(WG)
fn rows4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  for (var line = wid.x + wid.y * nwg.x; line < P.outer; line += nwg.x * nwg.y) {
    let n4 = P.size / 4u;
    let base = line * n4;
    var m = -bitcast<f32>(INF_BITS);
    for (var j = lid; j < n4; j += WG) {
      let v = x4[base + j];
      m = max_nan(max_nan(max_nan(max_nan(m, v.x), v.y), v.z), v.w);
    }
    m = wg_reduce(m, lid, true);
    var s4 = vec4<f32>(0.0);
    for (var j = lid; j < n4; j += WG) { s4 += exp4(x4[base + j] - m); }
    let s = wg_reduce((s4.x + s4.y) + (s4.z + s4.w), lid, false);
    let lse = log(s);
    for (var j = lid; j < n4; j += WG) {
      let v = x4[base + j];
      if (LOG) { out4[base + j] = v - m - lse; } else { out4[base + j] = exp4(v - m) / s; }
    }
  }
}

@compute @workgroup_size(WG)
fn grad_rows4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  for (var line = wid.x + wid.y * nwg.x; line < P.outer; line += nwg.x * nwg.y) {
    let n4 = P.size / 4u;
    let base = line * n4;
    var s4 = vec4<f32>(0.0);
    for (var j = lid; j < n4; j += WG) { s4 += select(dy4[base + j] * x4[base + j], dy4[base + j], LOG); }
    let s = wg_reduce((s4.x + s4.y) + (s4.z + s4.w), lid, false);
    for (var j = lid; j < n4; j += WG) {
      let y = x4[base + j];
      let g = dy4[base + j];
      if (LOG) { out4[base + j] = g - exp4(y) * s; } else { out4[base + j] = y * (g - s); }
    }
  }
}

@compute @workgroup_size(WG)
fn cols4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let line = (wid.x + wid.y * nwg.x) * WG + lid;
  if (line >= P.outer) { return; }
  let n4 = P.size / 4u;
  let base = line * n4;
  var m = -bitcast<f32>(INF_BITS);
  for (var j = 0u; j < n4; j++) {
    let v = x4[base + j];
    m = max_nan(max_nan(max_nan(max_nan(m, v.x), v.y), v.z), v.w);
  }
  var s4 = vec4<f32>(0.0);
  for (var j = 0u; j < n4; j++) { s4 += exp4(x4[base + j] - m); }
  let s = (s4.x + s4.y) + (s4.z + s4.w);
  let lse = log(s);
  for (var j = 0u; j < n4; j++) {
    let v = x4[base + j];
    if (LOG) { out4[base + j] = v - m - lse; } else { out4[base + j] = exp4(v - m) / s; }
  }
}

@compute @workgroup_size(WG)
fn grad_cols4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let line = (wid.x + wid.y * nwg.x) * WG + lid;
  if (line >= P.outer) { return; }
  let n4 = P.size / 4u;
  let base = line * n4;
  var s4 = vec4<f32>(0.0);
  for (var j = 0u; j < n4; j++) { s4 += select(dy4[base + j] * x4[base + j], dy4[base + j], LOG); }
  let s = (s4.x + s4.y) + (s4.z + s4.w);
  for (var j = 0u; j < n4; j++) {
    let y = x4[base + j];
    let g = dy4[base + j];
    if (LOG) { out4[base + j] = g - exp4(y) * s; } else { out4[base + j] = y * (g - s); }
  }
}
