// In-place optimizer steps, several parameters per dispatch (multi-tensor, as torch.optim's
// foreach=True); the launcher is src/backend/webgpu/optim.ts. The host prepends, generated from
// the kind's declaration there: the Params struct with each slot's element count `n_<s>` and
// per-parameter values, the bindings of each slot (`param_<s>`, `grad_<s>` and its state
// buffers), the structs `Args` (one parameter's values) and `Elem` (one element of the
// parameter, its gradient and its state), and `update_slots`, which loops over each slot's
// elements: it loads an Elem, calls the kind's `update(a: Args, e: Elem) -> Elem`
// (shaders/optim_<kind>.wgsl, appended after this file) and stores what the kind writes. Every
// slot runs the same code, so a parameter updated alongside others gets the bits it gets alone.

override WG: u32 = 256u;

// Grid-stride: invocation g takes elements g, g + stride, ... of every slot (the grid is shaped
// for the slot with the most elements, as the elementwise kernels are by tuner-elementwise.ts).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  update_slots(gid.x, nwg.x * WG);
}
