// torch.optim.NAdam on one parameter element; the CPU twin is nadam in
// src/backend/cpu/optim.ts. The momentum schedule (mu, its running product) is host math.

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  var g = e.grad;
  if (a.weight_decay != 0.0) { g += a.weight_decay * e.param; }   // skipped at 0: Inf*0 is NaN
  let m = a.beta1 * e.exp_avg + a.one_minus_beta1 * g;
  r.exp_avg = m;
  let v = a.beta2 * e.exp_avg_sq + a.one_minus_beta2 * g * g;
  r.exp_avg_sq = v;
  let denom = sqrt(v / a.bias_correction2) + a.eps;
  // Two updates, as torch's two addcdiv_ calls (the parameter is rounded in between).
  let p = e.param - a.grad_step * (g / denom);
  r.param = p - a.avg_step * (m / denom);
  return r;
}
