// In-place optimizer steps, one invocation per parameter element, term by term as
// torch.optim (and the CPU backend, src/backend/cpu/optim.ts) writes them.

override WG: u32 = 256u;
override NESTEROV: bool = false;



fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * nwg.x) * WG + lid; }

fn decayed(i: u32) -> f32 {
  var g = grad[i];
  if (P.weight_decay != 0.0) { g += P.weight_decay * param[i]; }   // skipped at 0: Inf*0 is NaN
  return g;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  param[i] -= P.lr * decayed(i);
}

@compute @workgroup_size(WG)
fn sgd_momentum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  var d = decayed(i);
  var b: f32;
  if (P.first_step != 0u) { b = d; } else { b = P.momentum * buf[i] + P.one_minus_dampening * d; }
  buf[i] = b;
  if (NESTEROV) { d = d + P.momentum * b; } else { d = b; }
  param[i] -= P.lr * d;
}

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= P.n) { return; }
  let g = decayed(i);
  // exp_avg.lerp_(grad, 1 - beta1), in the form PyTorch picks for the weight.
  let w = P.one_minus_beta1;
  let m0 = buf[i];
  var m: f32;
  if (w < 0.5) { m = m0 + w * (g - m0); } else { m = g - (g - m0) * (1.0 - w); }
  buf[i] = m;
  let vv = P.beta2 * v[i] + P.one_minus_beta2 * g * g;
  v[i] = vv;
  param[i] -= P.step_size * (m / (sqrt(vv) / P.bc2_sqrt + P.eps));
}
