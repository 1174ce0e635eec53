// Appended to chain.wgsl for a chain that ends in a sum (chain.ts), with the binding `red`.

// A chain ending in a sum over [outer, size, inner] of one of its results: an invocation per
// (line, chunk), as reduce.wgsl's `cols`, walks its chunk in order, running the chain at each
// element (so every element is still computed and stored exactly once) and summing; the
// partial sums [outer, chunks, inner] go to `red` (the result itself when chunks = 1).
@compute @workgroup_size(256)
fn chain_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (t >= P.outer * P.chunks * P.inner) { return; }
  let i = t % P.inner;
  let oc = t / P.inner;
  let c = oc % P.chunks;
  let o = oc / P.chunks;
  let start = c * P.chunk_len;
  let end = min(P.size, start + P.chunk_len);
  var acc = T(0);
  var e = (o * P.size + start) * P.inner + i;
  var at = coords(e);
  let step = coords(P.inner);
  for (var s = start; s < end; s++) {
    acc += chain_at(e, at);
    e += P.inner;
    at = advance(at, step);
  }
  red[(o * P.chunks + c) * P.inner + i] = acc;
}
