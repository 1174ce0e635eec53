// torch.optim.Adagrad (dense gradients) on one parameter element; the CPU twin is adagrad in
// src/backend/cpu/optim.ts.

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  var g = e.grad;
  if (a.weight_decay != 0.0) { g += a.weight_decay * e.param; }   // skipped at 0: Inf*0 is NaN
  let s = e.state_sum + g * g;
  r.state_sum = s;
  r.param = e.param - a.clr * (g / (sqrt(s) + a.eps));
  return r;
}
