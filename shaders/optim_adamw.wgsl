// torch.optim.AdamW, one invocation per parameter element; the CPU twin is adamw in
// src/backend/cpu/optim.ts. The decay multiplies the parameter before the moment update.

override WG: u32 = 256u;

struct Params {
  n: u32,
  decay: f32,             // 1 - lr * weight_decay
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,   // in float64 on the host: 1 - f32(0.999) is 1.3e-5 off
  one_minus_beta2: f32,
  eps: f32,
  step_size: f32,         // lr / (1 - beta1^step)
  bc2_sqrt: f32,          // sqrt(1 - beta2^step)
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;
@group(0) @binding(5) var<storage, read_write> max_exp_avg_sq: array<f32>;

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
