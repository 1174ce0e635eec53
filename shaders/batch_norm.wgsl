// Batch norm over x seen as [outer, C, inner] (N·L or N·H·W elements per channel).
//
// Statistics and the gradient sums: one workgroup per channel, each invocation striding over
// the channel's elements, then a tree reduction in workgroup memory. The variance takes a second
// pass over the channel after the mean (Σ(x - mean)²), not E[x²] - mean² in one pass: that one
// loses every digit when |mean| >> std in float32 (mean 1000, std 0.01: E[x²] ≈ 10⁶ holds
// ~0.06 of absolute precision, more than the 10⁻⁴ variance), and the second read of a channel is
// cheap next to the dispatch itself at CNN sizes (64·28·28 = 50K elements per channel). Welford
// merges would also be one pass, at the cost of a three-value tree and divisions per element.
//
// Forward and input gradient: one invocation per element, or per vec4 when the channel's
// inner size is a multiple of 4 (the 4 share a channel): on lavapipe, BatchNorm2d(16) at
// [64,16,28,28] spent 51 ms in the scalar forward and 78 ms in the scalar input gradient, of
// a 180 ms training step (wg.profile); the channel index is one division per element there.
// The vec4 forms: 3.5 ms and 8.2 ms in the same profile (timings on the shared 2-core machine
// vary by 2x between runs).

override HAS_WEIGHT: bool = false;
override HAS_BIAS: bool = false;
override HAS_SUMS: bool = false;  // input_grad: training (batch statistics) vs eval (constants)
const WG: u32 = 256u;

var<workgroup> red_a: array<f32, WG>;
var<workgroup> red_b: array<f32, WG>;

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

// The element offset of channel c's j-th element (j < outer·inner).
fn at(c: u32, j: u32) -> u32 {
  return ((j / P.inner) * P.channels + c) * P.inner + j % P.inner;
}

// Tree reduction of red_a and red_b over the workgroup; every invocation gets the totals.
fn reduce2(lid: u32) -> vec2<f32> {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      red_a[lid] += red_a[lid + s];
      red_b[lid] += red_b[lid + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(red_a[0], red_b[0]);
  workgroupBarrier();
  return r;
}

// out[c] = mean, out[C + c] = biased variance; workgroup c.
@compute @workgroup_size(WG)
fn stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= P.channels) { return; }  // uniform per workgroup: no barrier is skipped by half of it
  let n = P.outer * P.inner;
  var s = 0.0;
  for (var j = lid; j < n; j += WG) { s += x[at(c, j)]; }
  red_a[lid] = s;
  red_b[lid] = 0.0;
  let mean = reduce2(lid).x / f32(n);
  var q = 0.0;
  for (var j = lid; j < n; j += WG) {
    let d = x[at(c, j)] - mean;
    q += d * d;
  }
  red_a[lid] = q;
  red_b[lid] = 0.0;
  let v = reduce2(lid).x / f32(n);
  if (lid == 0u) {
    out[c] = mean;
    out[P.channels + c] = v;
  }
}

// out[c] = Σ dy, out[C + c] = Σ dy·x̂ over channel c; workgroup c.
@compute @workgroup_size(WG)
fn grad_sums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= P.channels) { return; }
  let n = P.outer * P.inner;
  let mu = mean[c];
  let inv = 1.0 / sqrt(variance[c] + P.eps);
  var g = 0.0;
  var gx = 0.0;
  for (var j = lid; j < n; j += WG) {
    let i = at(c, j);
    g += dy[i];
    gx += dy[i] * (x[i] - mu) * inv;
  }
  red_a[lid] = g;
  red_b[lid] = gx;
  let r = reduce2(lid);
  if (lid == 0u) {
    out[c] = r.x;
    out[P.channels + c] = r.y;
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.total) { return; }
  let c = (e / P.inner) % P.channels;
  var k = 1.0 / sqrt(variance[c] + P.eps);
  if (HAS_WEIGHT) { k *= weight[c]; }
  var y = (x[e] - mean[c]) * k;
  if (HAS_BIAS) { y += bias[c]; }
  out[e] = y;
}

// dx = w/σ·(dy - Σdy/n - x̂·Σdy·x̂/n) (training) or w/σ·dy (eval).
@compute @workgroup_size(WG)
fn input_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.total) { return; }
  let c = (e / P.inner) % P.channels;
  let inv = 1.0 / sqrt(variance[c] + P.eps);
  var k = inv;
  if (HAS_WEIGHT) { k *= weight[c]; }
  if (!HAS_SUMS) {
    out[e] = dy[e] * k;
    return;
  }
  let n = f32(P.outer * P.inner);
  let xhat = (x[e] - mean[c]) * inv;
  out[e] = k * (dy[e] - sums[c] / n - xhat * (sums[P.channels + c] / n));
}

// The vec4 forms (P.inner % 4 == 0): e indexes vec4s; all four elements are in channel c.
@compute @workgroup_size(WG)
fn forward4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.total / 4u) { return; }
  let c = (e / (P.inner / 4u)) % P.channels;
  var k = 1.0 / sqrt(variance[c] + P.eps);
  if (HAS_WEIGHT) { k *= weight[c]; }
  var b = 0.0;
  if (HAS_BIAS) { b = bias[c]; }
  out4[e] = (x4[e] - vec4<f32>(mean[c])) * k + vec4<f32>(b);
}

@compute @workgroup_size(WG)
fn input_grad4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.total / 4u) { return; }
  let c = (e / (P.inner / 4u)) % P.channels;
  let inv = 1.0 / sqrt(variance[c] + P.eps);
  var k = inv;
  if (HAS_WEIGHT) { k *= weight[c]; }
  if (!HAS_SUMS) {
    out4[e] = dy4[e] * k;
    return;
  }
  let n = f32(P.outer * P.inner);
  let xhat = (x4[e] - vec4<f32>(mean[c])) * inv;
  out4[e] = k * (dy4[e] - vec4<f32>(sums[c] / n) - xhat * (sums[P.channels + c] / n));
}

// stats and grad_sums on vec4s of a channel's rows (P.inner % 4 == 0): a quarter of the loads
// and of the index divisions. BatchNorm2d(16) at [64,16,28,28] on lavapipe: stats 17-36 ms ->
// 3.9 ms, grad sums ~3.4 ms; the whole training step's four kernels ~17 ms (wg.profile).
fn at4(c: u32, j: u32) -> u32 {
  let inner4 = P.inner / 4u;
  return ((j / inner4) * P.channels + c) * inner4 + j % inner4;
}

fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }

@compute @workgroup_size(WG)
fn stats4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= P.channels) { return; }
  let n = P.outer * P.inner;
  var s = vec4<f32>(0.0);
  for (var j = lid; j < n / 4u; j += WG) { s += x4[at4(c, j)]; }
  red_a[lid] = hsum(s);
  red_b[lid] = 0.0;
  let mean = reduce2(lid).x / f32(n);
  var q = vec4<f32>(0.0);
  for (var j = lid; j < n / 4u; j += WG) {
    let d = x4[at4(c, j)] - vec4<f32>(mean);
    q += d * d;
  }
  red_a[lid] = hsum(q);
  red_b[lid] = 0.0;
  let v = reduce2(lid).x / f32(n);
  if (lid == 0u) {
    out[c] = mean;
    out[P.channels + c] = v;
  }
}

@compute @workgroup_size(WG)
fn grad_sums4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= P.channels) { return; }
  let n = P.outer * P.inner;
  let mu = vec4<f32>(mean[c]);
  let inv = 1.0 / sqrt(variance[c] + P.eps);
  var g = vec4<f32>(0.0);
  var gx = vec4<f32>(0.0);
  for (var j = lid; j < n / 4u; j += WG) {
    let i = at4(c, j);
    g += dy4[i];
    gx += dy4[i] * (x4[i] - mu) * inv;
  }
  red_a[lid] = hsum(g);
  red_b[lid] = hsum(gx);
  let r = reduce2(lid);
  if (lid == 0u) {
    out[c] = r.x;
    out[P.channels + c] = r.y;
  }
}
