// torch.optim.RMSprop on one parameter element; the CPU twin is rmsprop in
// src/backend/cpu/optim.ts. MOMENTUM binds momentum_buffer, CENTERED binds grad_avg.

override MOMENTUM: bool = false;
override CENTERED: bool = false;

fn is_inf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  var g = e.grad;
  if (a.weight_decay != 0.0) { g += a.weight_decay * e.param; }   // skipped at 0: Inf*0 is NaN
  let sq = a.alpha * e.square_avg + a.one_minus_alpha * g * g;
  r.square_avg = sq;
  var avg: f32;
  if (CENTERED) {
    let ga = a.alpha * e.grad_avg + a.one_minus_alpha * g;
    r.grad_avg = ga;
    // An infinite square_avg stays infinite (torch and the CPU backend give Inf) even when
    // ga*ga overflows float32 here (|ga| > 1.8e19), where Inf - Inf would be NaN.
    var d = sq - ga * ga;
    if (is_inf(sq) && sq > 0.0 && !is_inf(ga) && !is_nan(ga)) { d = sq; }
    avg = sqrt(d) + a.eps;
  } else {
    avg = sqrt(sq) + a.eps;
  }
  if (MOMENTUM) {
    let b = a.momentum * e.momentum_buffer + g / avg;
    r.momentum_buffer = b;
    r.param = e.param - a.lr * b;
  } else {
    r.param = e.param - a.lr * (g / avg);
  }
  return r;
}
