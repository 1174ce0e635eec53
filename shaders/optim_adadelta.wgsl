// torch.optim.Adadelta on one parameter element; the CPU twin is adadelta in
// src/backend/cpu/optim.ts.

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  var g = e.grad;
  if (a.weight_decay != 0.0) { g += a.weight_decay * e.param; }   // skipped at 0: Inf*0 is NaN
  let sq = a.rho * e.square_avg + a.one_minus_rho * g * g;
  r.square_avg = sq;
  let delta = sqrt(e.acc_delta + a.eps) / sqrt(sq + a.eps) * g;
  r.acc_delta = a.rho * e.acc_delta + a.one_minus_rho * delta * delta;
  r.param = e.param - a.lr * delta;
  return r;
}
