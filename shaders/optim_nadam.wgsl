// torch.optim.NAdam, one invocation per parameter element; the CPU twin is nadam in
// src/backend/cpu/optim.ts. The momentum schedule (mu, its running product) is host math.

override WG: u32 = 256u;



fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * WG + lid; }

@compute @workgroup_size(WG)
fn nadam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  var g = grad[i];
  if (P.weight_decay != 0.0) { g += P.weight_decay * param[i]; }   // skipped at 0: Inf*0 is NaN
  let m = P.beta1 * exp_avg[i] + P.one_minus_beta1 * g;
  exp_avg[i] = m;
  let v = P.beta2 * exp_avg_sq[i] + P.one_minus_beta2 * g * g;
  exp_avg_sq[i] = v;
  let denom = sqrt(v / P.bias_correction2) + P.eps;
  // Two updates, as torch's two addcdiv_ calls (the parameter is rounded in between).
  let p = param[i] - P.grad_step * (g / denom);
  param[i] = p - P.avg_step * (m / denom);
}
