// A/B harness: GPT shapes, variants interleaved per rep, GPU timestamps around one pass.
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const keep = setInterval(() => {}, 1000);
const gpu = create([]);
globalThis.__keep = [gpu]; const adapter = await gpu.requestAdapter(); globalThis.__keep.push(adapter);
const device = await adapter.requestDevice({ requiredFeatures: ['timestamp-query'] });
const decl = (extra) => `alias T = f32;
struct Params { m: u32, n: u32, k: u32, a_batch: u32, b_batch: u32, inner: u32, a_inner: u32, b_inner: u32, batch0: u32, lo: T, lo_val: T, hi: T, hi_val: T, ${extra} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<storage, read> ex: array<T>;
@group(0) @binding(5) var<storage, read_write> out2: array<T>;
`;
export const oldSrc = decl('') + execSync('git show main:shaders/matmul.wgsl', { encoding: 'utf8' });
// This tree's shader with matmul.ts's prelude for (VEC_A, VEC_B).
const reader = (x, vec) => vec
  ? `fn load_${x}(i: u32) -> T { return ${x}4[i / 4u][i % 4u]; }\nfn load_${x}4(q: u32) -> vec4<T> { return ${x}4[q]; }\n`
  : `fn load_${x}(i: u32) -> T { return ${x}[i]; }\nfn load_${x}4(q: u32) -> vec4<T> { return vec4<T>(${x}[4u * q], ${x}[4u * q + 1u], ${x}[4u * q + 2u], ${x}[4u * q + 3u]); }\n`;
export const newSrc = (va, vb) => decl('') + '@group(0) @binding(1) var<storage, read> a4: array<vec4<T>>;\n@group(0) @binding(2) var<storage, read> b4: array<vec4<T>>;\n' +
  `const VEC_A = ${va};\nconst VEC_B = ${vb};\n${reader('a', va)}${reader('b', vb)}` + readFileSync('shaders/matmul.wgsl', 'utf8');
const MAXE = 2048 * 512;
const mk = (usage) => device.createBuffer({ size: MAXE * 4 * 8, usage: GPUBufferUsage.STORAGE | usage });
const A = mk(GPUBufferUsage.COPY_DST), B = mk(GPUBufferUsage.COPY_DST), O = mk(GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST), X = mk(0), O2 = mk(0), TMP = mk(0);
const rnd = new Float32Array(MAXE).map(() => Math.random() - 0.5);
const rndb = rnd.map((v, i) => rnd[(i * 7919) % MAXE] * 0.7);
device.queue.writeBuffer(A, 0, rnd); device.queue.writeBuffer(B, 0, rndb);
const U = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
const U2 = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
const res = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
const map = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const omap = device.createBuffer({ size: MAXE * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const cache = new Map();
async function pipe(code, entry, consts) {
  const key = code + entry + JSON.stringify(consts);
  let p = cache.get(key);
  if (!p) {
    device.pushErrorScope('validation');
    p = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: entry, constants: consts } });
    const err = await device.popErrorScope(); if (err) { console.error(err.message); process.exit(1); } cache.set(key, p);
  }
  return p;
}
device.addEventListener?.('uncapturederror', (e) => { console.error(e.error.message); process.exit(1); });
// v: { name, code, consts, grid, uni: number[] (u32 words after b_inner... full), sum?: {code, consts, grid, uni} }
async function prepare(v) {
  const p = await pipe(v.code, 'matmul', v.consts);
  const u = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(u, 0, new Uint32Array(v.uni));
  const steps = [[p, device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: (v.code.includes('out2[') ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3]).map((bi) => ({ binding: bi, resource: { buffer: [u, A, B, v.sum ? TMP : O, X, O2][bi] } })) }), v.grid]];
  if (v.sum) {
    const ps = await pipe(v.code, 'matmul_sum', v.sum.consts);
    const entries = [[0, u], [1, TMP], [3, O]].concat(v.sum.all ? [[2, B], [4, X], [5, O2]] : []);
    steps.push([ps, device.createBindGroup({ layout: ps.getBindGroupLayout(0), entries: entries.map(([bi, buf]) => ({ binding: bi, resource: { buffer: buf } })) }), v.sum.grid]);
  }
  return steps;
}
async function run(steps, timed) {
  const e = device.createCommandEncoder();
  const pass = e.beginComputePass(timed ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : undefined);
  for (const [p, bg, g] of steps) { pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(...g); }
  pass.end();
  if (timed) { e.resolveQuerySet(qs, 0, 2, res, 0); e.copyBufferToBuffer(res, 0, map, 0, 16); }
  device.queue.submit([e.finish()]);
  if (!timed) { await device.queue.onSubmittedWorkDone(); return 0; }
  await map.mapAsync(GPUMapMode.READ); const t = new BigInt64Array(map.getMappedRange().slice(0)); map.unmap();
  return Number(t[1] - t[0]) / 1e6;
}
async function readOut(n) {
  const e = device.createCommandEncoder(); e.copyBufferToBuffer(O, 0, omap, 0, n * 4); device.queue.submit([e.finish()]);
  await omap.mapAsync(GPUMapMode.READ); const r = new Float32Array(omap.getMappedRange(0, n * 4).slice(0)); omap.unmap(); return r;
}
function ref([m, k, n], ta, tb) {
  const o = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { let s = 0; for (let q = 0; q < k; q++) s += rnd[ta ? q * m + i : i * k + q] * rndb[tb ? j * k + q : q * n + j]; o[i * n + j] = s; }
  return o;
}
export async function bench(shapes, variantsFor, reps = Number(process.env.REPS ?? 7)) {
  const rows = [];
  for (const [m, k, n, ta, tb] of shapes) {
    const want = ref([m, k, n], ta, tb);
    const vs = variantsFor(m, k, n, ta, tb);
    const prepared = [];
    for (const v of vs) {
      const steps = await prepare(v);
      device.queue.writeBuffer(O, 0, new Float32Array(m * n));
      await run(steps, false);
      const got = await readOut(m * n);
      let err = 0; for (let i = 0; i < m * n; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
      prepared.push({ v, steps, err, ts: [] });
    }
    for (let r = 0; r < reps; r++) for (const p of prepared) p.ts.push(await run(p.steps, true));
    const med = (ts) => [...ts].sort((x, y) => x - y)[Math.floor(ts.length / 2)];
    const base = med(prepared[0].ts);
    const line = [`${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} m${m} k${k} n${n}`.padEnd(22)];
    for (const p of prepared) {
      const t = med(p.ts);
      line.push(`${p.v.name} ${t.toFixed(2)}ms ${(2 * m * n * k / t / 1e6).toFixed(1)}GF x${(base / t).toFixed(2)}${p.err > 2e-3 ? ` ERR${p.err.toExponential(1)}` : ''}`);
    }
    console.log(line.join(' | '));
    rows.push(prepared);
  }
  return rows;
}
export const done = () => { device.destroy(); clearInterval(keep); };
export const pow2ceil = (v) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));
export const axis = (size, wgMax, tMax) => { const wg = Math.min(wgMax, pow2ceil(size)); return [wg, Math.min(tMax, pow2ceil(Math.ceil(size / wg)))]; };
export function curTiles(m, n) { const [wy, tm] = axis(m, 8, 8); const [wx, tn] = axis(n, 8, 8); return { SHARED: 0, WG_X: wx, WG_Y: wy, BK: 16, TM: tm, TN: tn }; }
export const GPT = [
  [2048, 64, 192, 0, 1], [2048, 64, 64, 0, 1], [2048, 64, 256, 0, 1], [2048, 256, 64, 0, 1], [2048, 64, 89, 0, 1],
  [2048, 192, 64, 0, 0], [2048, 64, 64, 0, 0], [2048, 256, 64, 0, 0], [2048, 64, 256, 0, 0], [2048, 89, 64, 0, 0],
  [192, 2048, 64, 1, 0], [64, 2048, 64, 1, 0], [256, 2048, 64, 1, 0], [64, 2048, 256, 1, 0], [89, 2048, 64, 1, 0],
];
