// torch.optim.AdamW, one invocation per parameter element; the CPU twin is adamw in
// src/backend/cpu/optim.ts. The decay multiplies the parameter before the moment update.

override WG: u32 = 256u;



fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * WG + lid; }
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

/** Decays the parameter and updates the moments; returns the second moment to divide by. */
fn moments(i: u32) -> f32 {
  param[i] = param[i] * P.decay;
  let g = grad[i];
  exp_avg[i] = P.beta1 * exp_avg[i] + P.one_minus_beta1 * g;
  let v = P.beta2 * exp_avg_sq[i] + P.one_minus_beta2 * g * g;
  exp_avg_sq[i] = v;
  return v;
}

fn apply(i: u32, v: f32) {
  param[i] = param[i] - P.step_size * (exp_avg[i] / (sqrt(v) / P.bc2_sqrt + P.eps));
}

@compute @workgroup_size(WG)
fn adamw(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  apply(i, moments(i));
}

@compute @workgroup_size(WG)
fn adamw_amsgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  let v = moments(i);
  // torch.maximum: NaN wins (WGSL's max promises nothing about NaN).
  let old = max_exp_avg_sq[i];
  var m = max(old, v);
  if (is_nan(old)) { m = old; }
  if (is_nan(v)) { m = v; }
  max_exp_avg_sq[i] = m;
  apply(i, m);
}
