// LayerNorm over the contiguous rows of x viewed as [rows, cols], forward and backward.
// `rows`/`grad_rows`: a workgroup per row (long rows), reductions in workgroup memory; with
// fewer workgroups than rows, each takes rows g, g + groups, ... (a CPU-emulated adapter pays
// per workgroup: tuner-elementwise.ts);
// `cols`/`grad_cols`: an invocation per row (short rows: a workgroup per 64-element row is
// mostly barrier overhead, see SHORT_LINE in reduce.ts).
// Mean and biased variance are two-pass (the variance from the centred values), as the
// composed op. No min/max anywhere: NaN and Inf propagate through plain arithmetic, so a row
// holding either comes out NaN, as the composed op's does.
// `col_sums`: dweight = Σ_rows dy·x̂ and dbias = Σ_rows dy, an invocation per (column, chunk
// of P.chunk_rows rows), written at [chunk, col] of dw/db; `col_finish` adds the P.chunks
// partials of each column (skipped when there is one chunk: col_sums then writes the result).

override WG: u32 = 256u;
override HAS_WEIGHT: bool = false;
override HAS_BIAS: bool = false;

var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// 1/√v for v = var + eps >= 0 with IEEE's edges, as the composed op's rsqrt: 1/√0 = Inf,
// 1/√Inf = 0, NaN stays NaN (WGSL leaves division by zero to the implementation).
fn rstd_of(v: f32) -> f32 {
  if (is_nan(v)) { return bitcast<f32>(NAN_BITS); }
  if (v == 0.0) { return bitcast<f32>(INF_BITS); }
  if (v == bitcast<f32>(INF_BITS)) { return 0.0; }
  return 1.0 / sqrt(v);
}

fn w_at(c: u32) -> f32 { if (HAS_WEIGHT) { return weight[c]; } return 1.0; }

fn affine(v: f32, c: u32) -> f32 {
  var r = v;
  if (HAS_WEIGHT) { r = r * weight[c]; }
  if (HAS_BIAS) { r = r + bias[c]; }
  return r;
}

var<workgroup> red: array<f32, WG>;

// Workgroup-wide sum of each invocation's v; every invocation gets the result.
fn wg_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { red[lid] = red[lid] + red[lid + half]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();   // red is reused by the next reduction
  return r;
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = f32(P.cols);
  for (var row = wid.x + wid.y * nwg.x; row < P.rows; row += nwg.x * nwg.y) {
    let base = row * P.cols;
    var s = 0.0;
    for (var j = lid; j < P.cols; j += WG) { s += x[base + j]; }
    let m = wg_sum(s, lid) / n;
    var q = 0.0;
    for (var j = lid; j < P.cols; j += WG) { let d = x[base + j] - m; q += d * d; }
    let inv = rstd_of(wg_sum(q, lid) / n + P.eps);
    for (var j = lid; j < P.cols; j += WG) { y[base + j] = affine((x[base + j] - m) * inv, j); }
    if (lid == 0u) { mean_out[row] = m; rstd_out[row] = inv; }
  }
}

@compute @workgroup_size(WG)
fn cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * WG + lid;
  if (row >= P.rows) { return; }
  let n = f32(P.cols);
  let base = row * P.cols;
  var s = 0.0;
  for (var j = 0u; j < P.cols; j++) { s += x[base + j]; }
  let m = s / n;
  var q = 0.0;
  for (var j = 0u; j < P.cols; j++) { let d = x[base + j] - m; q += d * d; }
  let inv = rstd_of(q / n + P.eps);
  for (var j = 0u; j < P.cols; j++) { y[base + j] = affine((x[base + j] - m) * inv, j); }
  mean_out[row] = m;
  rstd_out[row] = inv;
}

// dx = rstd·(g - mean(g) - x̂·mean(g·x̂)), g = dy·weight, x̂ = (x - mean)·rstd.

@compute @workgroup_size(WG)
fn grad_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let n = f32(P.cols);
  for (var row = wid.x + wid.y * nwg.x; row < P.rows; row += nwg.x * nwg.y) {
    let base = row * P.cols;
    let m = mean[row];
    let inv = rstd[row];
    var sg = 0.0;
    var sgx = 0.0;
    for (var j = lid; j < P.cols; j += WG) {
      let g = dy[base + j] * w_at(j);
      sg += g;
      sgx += g * (x[base + j] - m) * inv;
    }
    let mg = wg_sum(sg, lid) / n;
    let mgx = wg_sum(sgx, lid) / n;
    for (var j = lid; j < P.cols; j += WG) {
      dx[base + j] = inv * (dy[base + j] * w_at(j) - mg - (x[base + j] - m) * inv * mgx);
    }
  }
}

@compute @workgroup_size(WG)
fn grad_cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * WG + lid;
  if (row >= P.rows) { return; }
  let n = f32(P.cols);
  let base = row * P.cols;
  let m = mean[row];
  let inv = rstd[row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = 0u; j < P.cols; j++) {
    let g = dy[base + j] * w_at(j);
    sg += g;
    sgx += g * (x[base + j] - m) * inv;
  }
  let mg = sg / n;
  let mgx = sgx / n;
  for (var j = 0u; j < P.cols; j++) {
    dx[base + j] = inv * (dy[base + j] * w_at(j) - mg - (x[base + j] - m) * inv * mgx);
  }
}

@compute @workgroup_size(WG)
fn col_sums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let id = (wid.x + wid.y * nwg.x) * WG + lid;
  let c = id % P.cols;
  let chunk = id / P.cols;
  if (chunk >= P.chunks) { return; }
  let r0 = chunk * P.chunk_rows;
  let r1 = min(r0 + P.chunk_rows, P.rows);
  var sw = 0.0;
  var sb = 0.0;
  for (var r = r0; r < r1; r++) {
    let g = dy[r * P.cols + c];
    sw += g * (x[r * P.cols + c] - mean[r]) * rstd[r];
    sb += g;
  }
  dw[chunk * P.cols + c] = sw;
  db[chunk * P.cols + c] = sb;
}

@compute @workgroup_size(WG)
fn col_finish(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let c = (wid.x + wid.y * nwg.x) * WG + lid;
  if (c >= P.cols) { return; }
  var sw = 0.0;
  var sb = 0.0;
  for (var k = 0u; k < P.chunks; k++) {
    sw += pw[k * P.cols + c];
    sb += pb[k * P.cols + c];
  }
  dw[c] = sw;
  db[c] = sb;
}
