// Cross-entropy on logits [rows, classes] with int32 targets [rows], forward (per-row loss
// logsumexp(x) - x[target]) and fused backward dlogits = (softmax(x) - onehot(target)) * dloss.
// `rows`: a workgroup per row (many classes); `cols`: an invocation per row (few classes).

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

var<workgroup> red: array<f32, WG>;

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
  workgroupBarrier();
  return r;
}

// (max, log Σ exp(x - max)) of a row, computed by the whole workgroup.
fn row_stats_wg(base: u32, lid: u32) -> vec2<f32> {
  var m = -bitcast<f32>(INF_BITS);
  for (var c = lid; c < P.classes; c += WG) { m = max_nan(m, x[base + c]); }
  m = wg_reduce(m, lid, true);
  var s = 0.0;
  for (var c = lid; c < P.classes; c += WG) { s += exp_(x[base + c] - m); }
  s = wg_reduce(s, lid, false);
  return vec2<f32>(m, log(s));
}

fn row_stats(base: u32) -> vec2<f32> {
  var m = -bitcast<f32>(INF_BITS);
  for (var c = 0u; c < P.classes; c++) { m = max_nan(m, x[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < P.classes; c++) { s += exp_(x[base + c] - m); }
  return vec2<f32>(m, log(s));
}

fn loss(r: u32, st: vec2<f32>) -> f32 {
  return -(x[r * P.classes + u32(tgt[r])] - st.x - st.y);
}

fn grad(r: u32, c: u32, st: vec2<f32>) -> f32 {
  let p = exp_(x[r * P.classes + c] - st.x - st.y);
  return select(p, p - 1.0, u32(tgt[r]) == c) * dloss[r];
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= P.rows) { return; }
  let st = row_stats_wg(r * P.classes, lid);
  if (lid == 0u) { out[r] = loss(r, st); }
}

@compute @workgroup_size(WG)
fn cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r = (wid.x + wid.y * nwg.x) * WG + lid;
  if (r >= P.rows) { return; }
  out[r] = loss(r, row_stats(r * P.classes));
}

@compute @workgroup_size(WG)
fn grad_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= P.rows) { return; }
  let st = row_stats_wg(r * P.classes, lid);
  for (var c = lid; c < P.classes; c += WG) { out[r * P.classes + c] = grad(r, c, st); }
}

@compute @workgroup_size(WG)
fn grad_cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let r = (wid.x + wid.y * nwg.x) * WG + lid;
  if (r >= P.rows) { return; }
  let st = row_stats(r * P.classes);
  for (var c = 0u; c < P.classes; c++) { out[r * P.classes + c] = grad(r, c, st); }
}
