// 2-D pooling over [planes, in_h, in_w] (1-D pooling is in_h = 1), forward one invocation per
// output, backward one invocation per input element that scans the few windows covering it
// (about ⌈k/s⌉ per axis) and adds their contributions in output order: deterministic, no
// atomics, and the same order as PyTorch CPU's scatter. Positions are i32: windows start in the
// padding.

override ADAPTIVE: bool = false;  // avg: adaptive windows [⌊o·in/out⌋, ⌈(o+1)·in/out⌉)
override COUNT_PAD: bool = true;  // avg: the divisor counts padding (window clipped to in + pad)
override WRITE_IDX: bool = true;  // max: keep the argmax (only when a backward will read it)
const WG: u32 = 256u;

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}

// WGSL promises nothing about NaN in comparisons: test the bits.
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// PyTorch CPU's max_pool2d: rows from oh·s - p in steps of d up to the input's end, the start
// moved past the padding in steps of d; the first larger value wins, any NaN wins (a later NaN
// over an earlier one); an empty window gives -inf at its clamped start.
@compute @workgroup_size(WG)
fn max_pool(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.n) { return; }
  let ei = i32(e);
  let ow = ei % P.out_w;
  let oh = (ei / P.out_w) % P.out_h;
  let base = (ei / (P.out_w * P.out_h)) * P.in_h * P.in_w;
  var h0 = oh * P.s_h - P.p_h;
  let h1 = min(h0 + (P.k_h - 1) * P.d_h + 1, P.in_h);
  while (h0 < 0) { h0 += P.d_h; }
  var w0 = ow * P.s_w - P.p_w;
  let w1 = min(w0 + (P.k_w - 1) * P.d_w + 1, P.in_w);
  while (w0 < 0) { w0 += P.d_w; }
  var best = h0 * P.in_w + w0;
  var mx = P.neg_inf;
  var mx_nan = false;
  for (var h = h0; h < h1; h += P.d_h) {
    for (var w = w0; w < w1; w += P.d_w) {
      let i = h * P.in_w + w;
      let v = x[u32(base + i)];
      if (is_nan(v) || (!mx_nan && v > mx)) {
        mx = v;
        mx_nan = is_nan(v);
        best = i;
      }
    }
  }
  out[e] = mx;
  if (WRITE_IDX) { idx_w[e] = best; }
}

// dx[p, ih, iw] = Σ dy over the windows (in output order) whose saved index is (ih, iw).
@compute @workgroup_size(WG)
fn max_pool_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.n) { return; }
  let ei = i32(e);
  let iw = ei % P.in_w;
  let ih = (ei / P.in_w) % P.in_h;
  let obase = (ei / (P.in_w * P.in_h)) * P.out_h * P.out_w;
  let want = ih * P.in_w + iw;
  let hr = covering(ih, P.p_h, P.k_h, P.s_h, P.d_h, P.out_h);
  let wr = covering(iw, P.p_w, P.k_w, P.s_w, P.d_w, P.out_w);
  var acc = 0.0;
  for (var oh = hr.x; oh <= hr.y; oh++) {
    for (var ow = wr.x; ow <= wr.y; ow++) {
      let o = u32(obase + oh * P.out_w + ow);
      if (idx[o] == want) { acc += dy[o]; }
    }
  }
  out[e] = acc;
}

// Windows that tile the input exactly (stride = kernel, no padding or dilation, sizes divisible:
// 2x2/2 on 28x28): one invocation per window writes its whole window, dy at the argmax and 0
// elsewhere. A quarter of the invocations of max_pool_grad at 2x2, and no per-element window
// search: on lavapipe, forward + backward at [64,16,28,28] 2x2/2 went from 157 ms to 51 ms
// (bench row 'pool'; tfjs-webgpu: 173-197 ms in the same runs).
@compute @workgroup_size(WG)
fn max_pool_grad_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                       @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.n) { return; }
  let ei = i32(e);
  let ow = ei % P.out_w;
  let oh = (ei / P.out_w) % P.out_h;
  let base = (ei / (P.out_w * P.out_h)) * P.in_h * P.in_w;
  let g = dy[e];
  let best = idx[e];
  for (var h = oh * P.k_h; h < (oh + 1) * P.k_h; h++) {
    for (var w = ow * P.k_w; w < (ow + 1) * P.k_w; w++) {
      let i = h * P.in_w + w;
      out[u32(base + i)] = select(0.0, g, i == best);
    }
  }
}

// The outputs o in [lo, hi] whose window span [o·s - p, o·s - p + (k-1)·d] holds position i.
fn covering(i: i32, p: i32, k: i32, s: i32, d: i32, n: i32) -> vec2<i32> {
  let num = i + p - (k - 1) * d;
  let lo = select(0, (num + s - 1) / s, num > 0);
  let hi = min((i + p) / s, n - 1);
  return vec2<i32>(lo, hi);
}

struct Win { h0: i32, h1: i32, w0: i32, w1: i32, div: f32 }

// PyTorch's avg_pool2d window (end clipped to in + pad, then to the input) and divisor, or the
// adaptive window.
fn avg_window(oh: i32, ow: i32) -> Win {
  if (ADAPTIVE) {
    let ih = P.in_h;
    let iw = P.in_w;
    let oh_n = P.out_h;
    let ow_n = P.out_w;
    let h0 = (oh * ih) / oh_n;
    let h1 = ((oh + 1) * ih + oh_n - 1) / oh_n;
    let w0 = (ow * iw) / ow_n;
    let w1 = ((ow + 1) * iw + ow_n - 1) / ow_n;
    return Win(h0, h1, w0, w1, f32((h1 - h0) * (w1 - w0)));
  }
  var h0 = oh * P.s_h - P.p_h;
  var w0 = ow * P.s_w - P.p_w;
  var h1 = min(h0 + P.k_h, P.in_h + P.p_h);
  var w1 = min(w0 + P.k_w, P.in_w + P.p_w);
  let padded = (h1 - h0) * (w1 - w0);
  h0 = max(h0, 0);
  w0 = max(w0, 0);
  h1 = min(h1, P.in_h);
  w1 = min(w1, P.in_w);
  var div = f32(select((h1 - h0) * (w1 - w0), padded, COUNT_PAD));
  if (P.divisor != 0) { div = f32(P.divisor); }
  return Win(h0, h1, w0, w1, div);
}

@compute @workgroup_size(WG)
fn avg_pool(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.n) { return; }
  let ei = i32(e);
  let ow = ei % P.out_w;
  let oh = (ei / P.out_w) % P.out_h;
  let base = (ei / (P.out_w * P.out_h)) * P.in_h * P.in_w;
  let win = avg_window(oh, ow);
  var s = 0.0;
  for (var h = win.h0; h < win.h1; h++) {
    for (var w = win.w0; w < win.w1; w++) { s += x[u32(base + h * P.in_w + w)]; }
  }
  out[e] = s / win.div;
}

// The outputs whose average window holds position i along one axis.
fn avg_covering(i: i32, p: i32, k: i32, s: i32, n_in: i32, n_out: i32) -> vec2<i32> {
  if (ADAPTIVE) {
    let lo = (i * n_out) / n_in;
    let hi = ((i + 1) * n_out + n_in - 1) / n_in - 1;
    return vec2<i32>(lo, min(hi, n_out - 1));
  }
  return covering(i, p, k, s, 1, n_out);
}

@compute @workgroup_size(WG)
fn avg_pool_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let e = linear(wid, nwg, lid);
  if (e >= P.n) { return; }
  let ei = i32(e);
  let iw = ei % P.in_w;
  let ih = (ei / P.in_w) % P.in_h;
  let obase = (ei / (P.in_w * P.in_h)) * P.out_h * P.out_w;
  let hr = avg_covering(ih, P.p_h, P.k_h, P.s_h, P.in_h, P.out_h);
  let wr = avg_covering(iw, P.p_w, P.k_w, P.s_w, P.in_w, P.out_w);
  var acc = 0.0;
  for (var oh = hr.x; oh <= hr.y; oh++) {
    for (var ow = wr.x; ow <= wr.y; ow++) {
      let win = avg_window(oh, ow);
      // A covering window may still end before i once clipped to in + pad (never for i < in).
      if (ih >= win.h0 && ih < win.h1 && iw >= win.w0 && iw < win.w1) {
        acc += dy[u32(obase + oh * P.out_w + ow)] / win.div;
      }
    }
  }
  out[e] = acc;
}
