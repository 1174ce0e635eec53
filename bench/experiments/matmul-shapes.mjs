// Matmul kernel shapes on lavapipe, GPU time by timestamp queries (median of REPS, default 5),
// checked against a JS product. KERNELS=./kcur.mjs CFG=[[WG_X,WG_Y,TM,TN],...] times the current
// kernel with other tiles; ./matmul-variants.mjs holds rejected candidates (uniform-A rows, vec4 B).
// Run: XDG_RUNTIME_DIR=/tmp/xdg KERNELS=./kcur.mjs node bench/experiments/matmul-shapes.mjs
// (the GPU and adapter are kept reachable: Dawn crashes when they are garbage-collected mid-run)
import { readFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const keep = setInterval(() => {}, 1000);
const gpu = create([]);
globalThis.__keep = [gpu]; const adapter = await gpu.requestAdapter(); globalThis.__keep.push(adapter);
const device = await adapter.requestDevice({ requiredFeatures: ['timestamp-query'], requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
const MAXE = 1024 * 1024;
const mk = (usage) => device.createBuffer({ size: MAXE * 4, usage: GPUBufferUsage.STORAGE | usage });
const A = mk(GPUBufferUsage.COPY_DST), B = mk(GPUBufferUsage.COPY_DST), O = mk(GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
const rnd = new Float32Array(MAXE).map(() => Math.random() - 0.5);
device.queue.writeBuffer(A, 0, rnd); device.queue.writeBuffer(B, 0, rnd.map((v) => v * 0.7));
const U = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
const res = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
const map = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const omap = device.createBuffer({ size: MAXE * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const cache = new Map();
export async function time(code, consts, grid, [m, k, n], reps = Number(process.env.REPS ?? 5)) {
  const key = code + JSON.stringify(consts);
  let p = cache.get(key);
  if (!p) {
    const mod = device.createShaderModule({ code });
    device.pushErrorScope('validation'); p = device.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'matmul', constants: consts } });
    const err = await device.popErrorScope(); if (err) { console.error(err.message); process.exit(1); } cache.set(key, p);
  }
  device.queue.writeBuffer(U, 0, new Uint32Array([m, n, k, 0, 0, 0, 0, 0]));
  const bg = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: U, size: 32 } }, { binding: 1, resource: { buffer: A } }, { binding: 2, resource: { buffer: B } }, { binding: 3, resource: { buffer: O } }] });
  const ts = [];
  for (let r = 0; r < reps; r++) {
    const e = device.createCommandEncoder();
    const pass = e.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(...grid); pass.end();
    e.resolveQuerySet(qs, 0, 2, res, 0); e.copyBufferToBuffer(res, 0, map, 0, 16);
    device.queue.submit([e.finish()]);
    await map.mapAsync(GPUMapMode.READ); const t = new BigInt64Array(map.getMappedRange().slice(0)); map.unmap();
    ts.push(Number(t[1] - t[0]) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(reps / 2)];
}
export async function readOut(n) {
  const e = device.createCommandEncoder(); e.copyBufferToBuffer(O, 0, omap, 0, n * 4); device.queue.submit([e.finish()]);
  await omap.mapAsync(GPUMapMode.READ); const r = new Float32Array(omap.getMappedRange(0, n * 4).slice(0)); omap.unmap(); return r;
}
function ref([m, k, n], ta, tb) {
  const a = rnd, b = rnd.map((v) => v * 0.7), o = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { let s = 0; for (let q = 0; q < k; q++) s += a[ta ? q * m + i : i * k + q] * b[tb ? j * k + q : q * n + j]; o[i * n + j] = s; }
  return o;
}
const cur = 'alias T = f32;\n' + readFileSync(new URL('../../shaders/matmul.wgsl', import.meta.url), 'utf8');
const pow2ceil = (v) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));
const axis = (size, wgMax, tMax) => { const wg = Math.min(wgMax, pow2ceil(size)); return [wg, Math.min(tMax, pow2ceil(Math.ceil(size / wg)))]; };
function curTiles(m, n) { const [wy, tm] = axis(m, 8, 8); const [wx, tn] = axis(n, 8, 8); return { SHARED: 0, WG_X: wx, WG_Y: wy, BK: 16, TM: tm, TN: tn }; }
const variants = JSON.parse(process.env.VARIANTS ?? 'null');
const shapes = process.env.SHAPES ? JSON.parse(process.env.SHAPES) : [[512, 512, 512, 0, 0], [1024, 1024, 1024, 0, 0], [128, 128, 784, 1, 0], [128, 784, 128, 0, 1], [128, 10, 128, 0, 0], [10, 128, 128, 1, 0], [128, 128, 10, 0, 1], [233, 10, 7, 0, 0], [7, 233, 10, 1, 0], [10, 233, 7, 1, 0], [233, 7, 10, 0, 1]];
const { kernels } = await import(process.env.KERNELS ?? './matmul-variants.mjs');
for (const [m, k, n, ta, tb] of shapes) {
  const line = [`${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} m${m} k${k} n${n}`.padEnd(22)];
  const want = ref([m, k, n], ta, tb);
  const t0 = curTiles(m, n);
  const entries = [['cur', cur, { ...t0, TRANS_A: ta, TRANS_B: tb }, [Math.ceil(n / (t0.WG_X * t0.TN)), Math.ceil(m / (t0.WG_Y * t0.TM)), 1]], ...kernels(m, k, n, ta, tb)];
  for (const [name, code, consts, grid] of entries) {
    const t = await time(code, consts, grid, [m, k, n]);
    const got = process.env.NOCHECK ? want : await readOut(m * n);
    let err = 0; for (let i = 0; i < m * n; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    line.push(`${name} ${t.toFixed(2)}ms ${(2 * m * n * k / t / 1e6).toFixed(1)}GF${err > 1e-3 ? ` ERR${err.toExponential(1)}` : ''}`);
    if (!process.env.NOCHECK) device.queue.writeBuffer(O, 0, new Float32Array(m * n));
  }
  console.log(line.join(' | '));
}
device.destroy(); clearInterval(keep);
