// torch.optim.SGD on one parameter element; the CPU twin is sgd in src/backend/cpu/optim.ts.
// MOMENTUM: the momentum buffer is bound; NESTEROV: Nesterov momentum.

override MOMENTUM: bool = false;
override NESTEROV: bool = false;

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  var d = e.grad;
  if (a.weight_decay != 0.0) { d += a.weight_decay * e.param; }   // skipped at 0: Inf*0 is NaN
  if (MOMENTUM) {
    // The first step starts the buffer as the gradient, undamped (PyTorch).
    var b: f32;
    if (a.first_step != 0u) { b = d; } else { b = a.momentum * e.momentum_buffer + a.one_minus_dampening * d; }
    r.momentum_buffer = b;
    if (NESTEROV) { d = d + a.momentum * b; } else { d = b; }
  }
  r.param = e.param - a.lr * d;
  return r;
}
