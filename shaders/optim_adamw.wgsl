// torch.optim.AdamW on one parameter element; the CPU twin is adamw in
// src/backend/cpu/optim.ts. The decay multiplies the parameter before the moment update.
// AMSGRAD: max_exp_avg_sq is bound and the update divides by the running maximum.

override AMSGRAD: bool = false;

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

fn update(a: Args, e: Elem) -> Elem {
  var r = e;
  let p = e.param * a.decay;
  let g = e.grad;
  r.exp_avg = a.beta1 * e.exp_avg + a.one_minus_beta1 * g;
  var v = a.beta2 * e.exp_avg_sq + a.one_minus_beta2 * g * g;
  r.exp_avg_sq = v;
  if (AMSGRAD) {
    // torch.maximum: NaN wins (WGSL's max promises nothing about NaN).
    let old = e.max_exp_avg_sq;
    var m = max(old, v);
    if (is_nan(old)) { m = old; }
    if (is_nan(v)) { m = v; }
    r.max_exp_avg_sq = m;
    v = m;
  }
  r.param = p - a.step_size * (r.exp_avg / (sqrt(v) / a.bc2_sqrt + a.eps));
  return r;
}
