// torch.optim.Adamax, one invocation per parameter element; the CPU twin is adamax in
// src/backend/cpu/optim.ts.

override WG: u32 = 256u;



fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * WG + lid; }
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

@compute @workgroup_size(WG)
fn adamax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  var g = grad[i];
  if (P.weight_decay != 0.0) { g += P.weight_decay * param[i]; }   // skipped at 0: Inf*0 is NaN
  let m = P.beta1 * exp_avg[i] + P.one_minus_beta1 * g;
  exp_avg[i] = m;
  // torch.amax of the pair: NaN wins (WGSL's max promises nothing about NaN).
  let a = P.beta2 * exp_inf[i];
  let b = abs(g) + P.eps;
  var u = max(a, b);
  if (is_nan(a)) { u = a; }
  if (is_nan(b)) { u = b; }
  exp_inf[i] = u;
  param[i] = param[i] - P.clr * (m / u);
}
