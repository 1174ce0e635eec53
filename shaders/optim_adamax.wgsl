// torch.optim.Adamax on one parameter element; the CPU twin is adamax in
// src/backend/cpu/optim.ts.

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  var g = e.grad;
  if (a.weight_decay != 0.0) { g += a.weight_decay * e.param; }   // skipped at 0: Inf*0 is NaN
  let m = a.beta1 * e.exp_avg + a.one_minus_beta1 * g;
  r.exp_avg = m;
  // torch.amax of the pair: NaN wins (WGSL's max promises nothing about NaN).
  let x = a.beta2 * e.exp_inf;
  let y = abs(g) + a.eps;
  var u = max(x, y);
  if (is_nan(x)) { u = x; }
  if (is_nan(y)) { u = y; }
  r.exp_inf = u;
  r.param = e.param - a.clr * (m / u);
  return r;
}
