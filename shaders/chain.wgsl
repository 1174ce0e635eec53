// A chain of elementwise ops as one kernel (src/backend/webgpu/chain.ts). The host prepends
// the Params struct and bindings it generated for this chain, elementwise_math.wgsl, one
// function per op of the chain (the op tables' WGSL expressions), and `chain_at(e)`, which
// loads the chain's inputs at output element e, applies its ops in program order, stores
// the results that are still needed and returns the one a reducing chain sums. Every op of a chain has the chain's output shape; an
// input is read contiguously, as one broadcast value, or through per-dim strides over that
// shape (0 on broadcast dims) with `offset` below.

override IS_FLOAT: bool = true;
override WG: u32 = 256u;

// A value the compiler cannot see through (P.zero is 0, but only at run time): each op's
// result is then rounded and kept exactly as an eager kernel stores it, so the compiler can
// neither fold ops across it ((a + b) - a into b, which loses Inf and NaN) nor contract a
// product and a sum of two ops into one fma. `k` differs per op, so two ops computing the same
// expression are not merged either (a·b - a·b into 0).
fn opaque(v: T, k: u32) -> T { return bitcast<T>(bitcast<u32>(v) ^ (P.zero * k)); }

// Strided inputs are addressed through coordinates stepped without division (coords.wgsl).

// Grid-stride over the output: invocation g takes elements g, g + stride, ... (stride =
// workgroups * WG, shaped per adapter by tuner-elementwise.ts as the eager elementwise kernels).
@compute @workgroup_size(WG)
fn chain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  let step = coords(stride);
  var c = coords(gid.x);
  for (var e = gid.x; e < P.n; e += stride) {
    chain_at(e, c);
    c = advance(c, step);
  }
}
