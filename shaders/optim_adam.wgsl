// torch.optim.Adam on one parameter element (weight decay is L2, added to the gradient); the
// CPU twin is adam in src/backend/cpu/optim.ts.

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  var g = e.grad;
  if (a.weight_decay != 0.0) { g += a.weight_decay * e.param; }   // skipped at 0: Inf*0 is NaN
  // exp_avg.lerp_(grad, 1 - beta1), in the form PyTorch picks for the weight.
  let w = a.one_minus_beta1;
  let m0 = e.exp_avg;
  if (w < 0.5) { r.exp_avg = m0 + w * (g - m0); } else { r.exp_avg = g - (g - m0) * (1.0 - w); }
  r.exp_avg_sq = a.beta2 * e.exp_avg_sq + a.one_minus_beta2 * g * g;
  r.param = e.param - a.step_size * (r.exp_avg / (sqrt(r.exp_avg_sq) / a.bc2_sqrt + a.eps));
  return r;
}
