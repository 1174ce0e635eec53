// torch.optim.Adagrad (dense gradients), one invocation per parameter element; the CPU twin
// is adagrad in src/backend/cpu/optim.ts.

override WG: u32 = 256u;



fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * WG + lid; }

@compute @workgroup_size(WG)
fn adagrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  var g = grad[i];
  if (P.weight_decay != 0.0) { g += P.weight_decay * param[i]; }   // skipped at 0: Inf*0 is NaN
  let s = state_sum[i] + g * g;
  state_sum[i] = s;
  param[i] = param[i] - P.clr * (g / (sqrt(s) + P.eps));
}
