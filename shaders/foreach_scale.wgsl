// In place: several float32 buffers scaled by one factor in one dispatch (torch's
// `_foreach_mul_` with a 0-d tensor, as clip_grad_norm_ scales the gradients); the launcher is
// src/backend/webgpu/foreach.ts. The host prepends, generated for k slots: the Params struct
// with each slot's element count `n_<s>`, the bindings `factor` (one element, read) and
// `target_<s>` (read_write), and `scale_slots`, one loop per slot over its elements calling
// `scale`. Every slot runs the same code, so a buffer scaled alongside others gets the bits it
// gets alone.

override WG: u32 = 256u;

// The multiply of the binary and chain kernels' mul (`x * y` in the op table): the same bits
// as `mul_` by a 0-d tensor.
fn scale(x: f32, f: f32) -> f32 {
  return x * f;
}

// Grid-stride: invocation g takes elements g, g + stride, ... of every slot (the grid is shaped
// for the slot with the most elements, as the elementwise kernels are by tuner-elementwise.ts).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  scale_slots(gid.x, nwg.x * WG);
}
