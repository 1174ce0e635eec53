// Sum of 16M floats with plain WGSL tree reductions of different shapes, GPU time by timestamp
// queries (median of 5). Evidence for BENCHMARKS.md: on lavapipe, few narrow workgroups with
// vec4 loads beat many 256-wide ones by ~5x. Run: XDG_RUNTIME_DIR=/tmp/xdg node bench/experiments/reduce-shapes.mjs
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({ requiredFeatures: ['timestamp-query'] });
const N = 1 << 24;
const x = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const out = device.createBuffer({ size: 1 << 16, usage: GPUBufferUsage.STORAGE });
const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
const res = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
const map = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
async function time(code, groups, consts = {}) {
  const mod = device.createShaderModule({ code });
  const p = device.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'main', constants: consts } });
  const bg = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 1, resource: { buffer: x } }, { binding: 2, resource: { buffer: out } }] });
  const ts = [];
  for (let r = 0; r < 5; r++) {
    const e = device.createCommandEncoder();
    const pass = e.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(groups); pass.end();
    e.resolveQuerySet(qs, 0, 2, res, 0); e.copyBufferToBuffer(res, 0, map, 0, 16);
    device.queue.submit([e.finish()]);
    await map.mapAsync(GPUMapMode.READ); const t = new BigInt64Array(map.getMappedRange().slice(0)); map.unmap();
    ts.push(Number(t[1] - t[0]) / 1e6);
  }
  ts.sort((a, b) => a - b); return ts[2].toFixed(1);
}
const tree = (wg) => `
override WG: u32 = ${wg}u;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> sv: array<f32, WG>;
@compute @workgroup_size(WG) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) n: vec3<u32>) {
  let chunk = ${N}u / n.x; let start = wid.x * chunk; let end = start + chunk;
  var acc = 0.0;
  for (var s = start + lid; s < end; s += WG) { acc += x[s]; }
  sv[lid] = acc; workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h /= 2u) { if (lid < h) { sv[lid] += sv[lid + h]; } workgroupBarrier(); }
  if (lid == 0u) { out[wid.x] = sv[0]; }
}`;
const vec4 = (wg) => `
override WG: u32 = ${wg}u;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> sv: array<f32, WG>;
@compute @workgroup_size(WG) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) n: vec3<u32>) {
  let chunk = ${N / 4}u / n.x; let start = wid.x * chunk; let end = start + chunk;
  var acc = vec4<f32>(0.0);
  for (var s = start + lid; s < end; s += WG) { acc += x[s]; }
  sv[lid] = acc.x + acc.y + acc.z + acc.w; workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h /= 2u) { if (lid < h) { sv[lid] += sv[lid + h]; } workgroupBarrier(); }
  if (lid == 0u) { out[wid.x] = sv[0]; }
}`;
for (const [name, code] of [['scalar', tree], ['vec4', vec4]]) for (const wg of [64, 256]) for (const groups of [1, 8, 64, 1024]) console.log(name, 'wg', wg, 'groups', groups, await time(code(wg), groups), 'ms');
device.destroy();
