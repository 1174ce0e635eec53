// torch.optim.RMSprop, one invocation per parameter element; the CPU twin is rmsprop in
// src/backend/cpu/optim.ts. Four entry points bind only the state buffers their options use.

override WG: u32 = 256u;



fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * WG + lid; }

fn decayed(i: u32) -> f32 {
  var g = grad[i];
  if (P.weight_decay != 0.0) { g += P.weight_decay * param[i]; }   // skipped at 0: Inf*0 is NaN
  return g;
}

fn square(i: u32, g: f32) -> f32 {
  let sq = P.alpha * square_avg[i] + P.one_minus_alpha * g * g;
  square_avg[i] = sq;
  return sq;
}

fn is_inf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn centered(i: u32, g: f32, sq: f32) -> f32 {
  let ga = P.alpha * grad_avg[i] + P.one_minus_alpha * g;
  grad_avg[i] = ga;
  // An infinite square_avg stays infinite (torch and the CPU backend give Inf) even when ga*ga
  // overflows float32 here (|ga| > 1.8e19), where Inf - Inf would be NaN.
  var d = sq - ga * ga;
  if (is_inf(sq) && sq > 0.0 && !is_inf(ga) && !is_nan(ga)) { d = sq; }
  return sqrt(d) + P.eps;
}

fn with_momentum(i: u32, g: f32, avg: f32) {
  let b = P.momentum * momentum_buffer[i] + g / avg;
  momentum_buffer[i] = b;
  param[i] = param[i] - P.lr * b;
}

@compute @workgroup_size(WG)
fn rmsprop(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  let g = decayed(i);
  let avg = sqrt(square(i, g)) + P.eps;
  param[i] = param[i] - P.lr * (g / avg);
}

@compute @workgroup_size(WG)
fn rmsprop_momentum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  let g = decayed(i);
  with_momentum(i, g, sqrt(square(i, g)) + P.eps);
}

@compute @workgroup_size(WG)
fn rmsprop_centered(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  let g = decayed(i);
  let avg = centered(i, g, square(i, g));
  param[i] = param[i] - P.lr * (g / avg);
}

@compute @workgroup_size(WG)
fn rmsprop_centered_momentum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                             @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  let g = decayed(i);
  with_momentum(i, g, centered(i, g, square(i, g)));
}
