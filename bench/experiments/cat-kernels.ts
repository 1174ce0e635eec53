// cat/split kernel variants on K = 4 pieces of [rows, width vec4s] (default [1024, 64]: bench
// row `cat`, 4 x [1024, 256] float32 along dim 1), raw WebGPU on webgrad's device, interleaved
// in one process (the machine is shared: compare medians of one run only).
//   XDG_RUNTIME_DIR=/tmp/xdg VARIANTS=A/256/4,N/64/32 ROUNDS=24 \
//     node --import ./scripts/register.mjs bench/experiments/cat-kernels.ts [rows] [width]
// A variant is KERNEL/WG/ELEMS (ELEMS: vec4s per invocation; the grid is n / (WG ELEMS) groups).
//   A  the old join4: flat index per piece, row = i / w, the switch on the piece inside the loop
//   B  tiles of rows x a power-of-two width, no division, switch inside
//   C  A with one piece per dispatch (no switch);  D  B with one piece per dispatch
//   E  A with the division in f32;  F  the floor: a flat copy per piece, no rows
//   H  B with the switch outside the loop;  J  A with the switch outside the loop
//   L  J with row/column stepped instead of divided;  M  J as first shipped (for loop to a bound)
//   N  join4 as shipped (grid-stride loop, switch outside);  S  split4 as shipped (timing only)
//   G  copyBufferToBuffer of each piece (what a cat along dim 0 costs)
// Measured on lavapipe, load 7-12 (medians, ms, [1024, 64]): A 2.65 / J 2.06 / H 1.80-1.99;
// A 3.96 / H 2.89 / J 2.99; A 6.17 / H 3.99 / J 4.41; C, D (4 dispatches) ~20% under A, F
// about C; E no better than A (the division is not the cost); L no better than J. [1024, 65]:
// A 5.96 / H 6.00 / J 5.02 (H's power-of-two tiles idle half their lanes). Vec4s per
// invocation: M/256/4 4.81, M/256/16 4.00, M/64/32 3.48, M/64/64 3.40. GPT's qkv split shape
// [2048, 16]: A 3.55 / M/64/16 2.34. G: 0.20-0.35 (memcpy; a compute copy costs ~10x more).
import * as wg from 'webgrad-gpu';
import { getBackend } from '../../src/runtime.js';

await wg.init({ backend: 'webgpu', verbose: false });
const dev = (getBackend() as unknown as { device: GPUDevice }).device;
const K = 4;
const ROWS = Number(process.argv[2] ?? 1024);
const W = Number(process.argv[3] ?? 64); // vec4s per piece row
const OPS = 4;

const head = (WG: number, ELEMS: number): string => /* wgsl */ `
struct Params { offs: array<vec4<u32>, 2>, widths: array<vec4<u32>, 2>, rows: u32, width: u32, shift: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> s0: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> s1: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> s2: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> s3: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read_write> whole_w: array<vec4<u32>>;
override WG: u32 = ${WG}u;
const ELEMS: u32 = ${ELEMS}u;
fn load(k: u32, i: u32) -> vec4<u32> {
  switch k {
    case 0u: { return s0[i]; }
    case 1u: { return s1[i]; }
    case 2u: { return s2[i]; }
    default: { return s3[i]; }
  }
}
`;
// A: the shipped layout (flat index per piece, row = i / w).
const A = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let i = base + j * WG;
    if (i >= P.rows * w) { return; }
    let row = i / w;
    let c = i - row * w;
    whole_w[row * P.width + o + c] = load(k, i);
  }
}`;
// B: tiles of (WG >> shift) rows x (1 << shift) columns, no division; x = column block, y = row block.
const B = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let c = (wid.x << P.shift) + (lid & ((1u << P.shift) - 1u));
  if (c >= w) { return; }
  let per = WG >> P.shift;
  var row = wid.y * per * ELEMS + (lid >> P.shift);
  for (var j = 0u; j < ELEMS; j++) {
    if (row >= P.rows) { return; }
    whole_w[row * P.width + o + c] = load(k, row * w + c);
    row += per;
  }
}`;
// C: like A but one piece per dispatch, no switch (binding s0 only).
const C = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = P.widths[0][0];
  let o = P.offs[0][0];
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let i = base + j * WG;
    if (i >= P.rows * w) { return; }
    let row = i / w;
    let c = i - row * w;
    whole_w[row * P.width + o + c] = s0[i] + vec4<u32>(0u * s1[0].x + 0u * s2[0].x + 0u * s3[0].x);
  }
}`;
// D: B's tiles, one piece per dispatch, no switch.
const D = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = P.widths[0][0];
  let o = P.offs[0][0];
  let c = (wid.x << P.shift) + (lid & ((1u << P.shift) - 1u));
  if (c >= w) { return; }
  let per = WG >> P.shift;
  var row = wid.y * per * ELEMS + (lid >> P.shift);
  for (var j = 0u; j < ELEMS; j++) {
    if (row >= P.rows) { return; }
    whole_w[row * P.width + o + c] = s0[row * w + c] + vec4<u32>(0u * s1[0].x + 0u * s2[0].x + 0u * s3[0].x);
    row += per;
  }
}`;
// E: one row per invocation-group: each invocation copies ELEMS vec4s of one row, rows by y (flat 1-D, division by a const-ish?)
// E: A with the division done in f32 (exact for i < 2^24) plus a correction.
const E = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let inv = 1.0 / f32(w);
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let i = base + j * WG;
    if (i >= P.rows * w) { return; }
    var row = u32(f32(i) * inv);
    if (row * w > i) { row -= 1u; }
    if ((row + 1u) * w <= i) { row += 1u; }
    let c = i - row * w;
    whole_w[row * P.width + o + c] = load(k, i);
  }
}`;

// F: the floor: a flat copy of piece 0 into the first quarter (no rows), per piece.
const F = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = P.widths[0][0];
  let o = P.offs[0][0];
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  for (var j = 0u; j < ELEMS; j++) {
    let i = base + j * WG;
    if (i >= P.rows * w) { return; }
    whole_w[o * P.rows + i] = s0[i] + vec4<u32>(0u * s1[0].x + 0u * s2[0].x + 0u * s3[0].x);
  }
}`;
// H: B's tiles, the switch on the piece outside the loop (uniform, once per invocation).
const H = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let c = (wid.x << P.shift) + (lid & ((1u << P.shift) - 1u));
  if (c >= w) { return; }
  let per = WG >> P.shift;
  var row = wid.y * per * ELEMS + (lid >> P.shift);
  switch k {
    case 0u: {
      for (var j = 0u; j < ELEMS; j++) {
        if (row >= P.rows) { return; }
        whole_w[row * P.width + o + c] = s0[row * w + c];
        row += per;
      }
    }
    case 1u: {
      for (var j = 0u; j < ELEMS; j++) {
        if (row >= P.rows) { return; }
        whole_w[row * P.width + o + c] = s1[row * w + c];
        row += per;
      }
    }
    case 2u: {
      for (var j = 0u; j < ELEMS; j++) {
        if (row >= P.rows) { return; }
        whole_w[row * P.width + o + c] = s2[row * w + c];
        row += per;
      }
    }
    default: {
      for (var j = 0u; j < ELEMS; j++) {
        if (row >= P.rows) { return; }
        whole_w[row * P.width + o + c] = s3[row * w + c];
        row += per;
      }
    }
  }
}`;
// J: A's flat layout, the switch on the piece outside the loop.
const J = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let n = P.rows * w;
  let base = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  switch k {
    case 0u: {
      for (var j = 0u; j < ELEMS; j++) {
        let i = base + j * WG;
        if (i >= n) { return; }
        let row = i / w;
        whole_w[row * P.width + o + i - row * w] = s0[i];
      }
    }
    case 1u: {
      for (var j = 0u; j < ELEMS; j++) {
        let i = base + j * WG;
        if (i >= n) { return; }
        let row = i / w;
        whole_w[row * P.width + o + i - row * w] = s1[i];
      }
    }
    case 2u: {
      for (var j = 0u; j < ELEMS; j++) {
        let i = base + j * WG;
        if (i >= n) { return; }
        let row = i / w;
        whole_w[row * P.width + o + i - row * w] = s2[i];
      }
    }
    default: {
      for (var j = 0u; j < ELEMS; j++) {
        let i = base + j * WG;
        if (i >= n) { return; }
        let row = i / w;
        whole_w[row * P.width + o + i - row * w] = s3[i];
      }
    }
  }
}`;
// L: J with the row and column stepped (WG = q w + r) instead of divided per element.
const L = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let n = P.rows * w;
  var i = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  var row = i / w;
  var col = i - row * w;
  let q = WG / w;
  let r = WG - q * w;
  switch k {
    case 0u: {
      for (var j = 0u; j < ELEMS; j++) {
        if (i >= n) { return; }
        whole_w[row * P.width + o + col] = s0[i];
        i += WG;
        row += q;
        col += r;
        if (col >= w) { col -= w; row += 1u; }
      }
    }
    case 1u: {
      for (var j = 0u; j < ELEMS; j++) {
        if (i >= n) { return; }
        whole_w[row * P.width + o + col] = s1[i];
        i += WG;
        row += q;
        col += r;
        if (col >= w) { col -= w; row += 1u; }
      }
    }
    case 2u: {
      for (var j = 0u; j < ELEMS; j++) {
        if (i >= n) { return; }
        whole_w[row * P.width + o + col] = s2[i];
        i += WG;
        row += q;
        col += r;
        if (col >= w) { col -= w; row += 1u; }
      }
    }
    default: {
      for (var j = 0u; j < ELEMS; j++) {
        if (i >= n) { return; }
        whole_w[row * P.width + o + col] = s3[i];
        i += WG;
        row += q;
        col += r;
        if (col >= w) { col -= w; row += 1u; }
      }
    }
  }
}`;
// M: J written as shaders/cat.wgsl ships it (a for loop to min(n, b + ELEMS WG), helper functions).
const M = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
fn in_whole(i: u32, w: u32, o: u32) -> u32 {
  let row = i / w;
  return row * P.width + o + i - row * w;
}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let n = P.rows * w;
  let b = (wid.x + wid.y * nwg.x) * WG * ELEMS + lid;
  switch k {
    case 0u: { for (var i = b; i < min(n, b + ELEMS * WG); i += WG) { whole_w[in_whole(i, w, o)] = s0[i]; } }
    case 1u: { for (var i = b; i < min(n, b + ELEMS * WG); i += WG) { whole_w[in_whole(i, w, o)] = s1[i]; } }
    case 2u: { for (var i = b; i < min(n, b + ELEMS * WG); i += WG) { whole_w[in_whole(i, w, o)] = s2[i]; } }
    default: { for (var i = b; i < min(n, b + ELEMS * WG); i += WG) { whole_w[in_whole(i, w, o)] = s3[i]; } }
  }
}`;
// N: join as shipped (grid-stride loop: ELEMS here only sizes the grid, groups = n / (WG ELEMS)).
const N = (WG: number, ELEMS: number): string => head(WG, ELEMS) + /* wgsl */ `
fn in_whole(i: u32, w: u32, o: u32) -> u32 {
  let row = i / w;
  return row * P.width + o + i - row * w;
}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let n = P.rows * w;
  let b = wid.x * WG + lid;
  let stride = nwg.x * WG;
  switch k {
    case 0u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s0[i]; } }
    case 1u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s1[i]; } }
    case 2u: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s2[i]; } }
    default: { for (var i = b; i < n; i += stride) { whole_w[in_whole(i, w, o)] = s3[i]; } }
  }
}`;
// S: split as shipped (the pieces written, the whole read; timing only: the check reads the whole).
const S = (WG: number, ELEMS: number): string => head(WG, ELEMS).replaceAll('var<storage, read> s', 'var<storage, read_write> s').replace(/fn load[\s\S]*/, '') + /* wgsl */ `
fn in_whole(i: u32, w: u32, o: u32) -> u32 {
  let row = i / w;
  return row * P.width + o + i - row * w;
}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.z;
  let w = P.widths[k >> 2u][k & 3u];
  let o = P.offs[k >> 2u][k & 3u];
  let n = P.rows * w;
  let b = wid.x * WG + lid;
  let stride = nwg.x * WG;
  switch k {
    case 0u: { for (var i = b; i < n; i += stride) { s0[i] = whole_w[in_whole(i, w, o)]; } }
    case 1u: { for (var i = b; i < n; i += stride) { s1[i] = whole_w[in_whole(i, w, o)]; } }
    case 2u: { for (var i = b; i < n; i += stride) { s2[i] = whole_w[in_whole(i, w, o)]; } }
    default: { for (var i = b; i < n; i += stride) { s3[i] = whole_w[in_whole(i, w, o)]; } }
  }
}`;
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
const srcs = Array.from({ length: K }, (_, k) => {
  const b = dev.createBuffer({ size: ROWS * W * 16, usage });
  dev.queue.writeBuffer(b, 0, Uint32Array.from({ length: ROWS * W * 4 }, (_, i) => i * 7 + k));
  return b;
});
const out = dev.createBuffer({ size: ROWS * W * K * 16, usage });
const check = dev.createBuffer({ size: ROWS * W * K * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
function uniform(shift: number, one?: number): GPUBuffer {
  const u = new Uint32Array(20);
  for (let k = 0; k < K; k++) {
    const slot = one === undefined ? k : 0;
    if (one !== undefined && k !== one) continue;
    u[slot] = k * W; // offs
    u[8 + slot] = W;
  }
  u[16] = ROWS; u[17] = K * W; u[18] = shift;
  const b = dev.createBuffer({ size: 80, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  dev.queue.writeBuffer(b, 0, u);
  return b;
}
const log2 = (v: number) => Math.round(Math.log2(v));
type Disp = { pipe: GPUComputePipeline; bg: GPUBindGroup; grid: [number, number, number] }[];
function make(kernel: (wg: number, elems: number) => string, perPiece: boolean, tiled: boolean, WG = 256, ELEMS = 4): Disp {
  const shift = log2(Math.min(WG, 2 ** Math.ceil(Math.log2(W))));
  const mod = dev.createShaderModule({ code: kernel(WG, ELEMS) });
  const pipe = dev.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'main' } });
  const pieces = perPiece ? [0, 1, 2, 3] : [-1];
  return pieces.map((p) => {
    const order = p < 0 ? srcs : [srcs[p], ...srcs.filter((_, i) => i !== p)];
    const bg = dev.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: uniform(shift, p < 0 ? undefined : p) } }, ...order.map((b, i) => ({ binding: i + 1, resource: { buffer: b } })), { binding: 5, resource: { buffer: out } }],
    });
    const z = p < 0 ? K : 1;
    let grid: [number, number, number];
    if (tiled) grid = [Math.ceil(W / (1 << shift)), Math.ceil(ROWS / ((WG >> shift) * ELEMS)), z];
    else grid = [Math.ceil((ROWS * W) / (WG * ELEMS)), 1, z];
    return { pipe, bg, grid };
  });
}
const KERNELS = { A, B, C, D, E, F, H, J, L, M, N, S } as const;
const PER_PIECE = { N: false, S: false, M: false, L: false, J: false, H: false, A: false, B: false, C: true, D: true, E: false, F: true };
const TILED = { N: false, S: false, M: false, L: false, J: false, H: true, A: false, B: true, C: false, D: true, E: false, F: false };
const want = (process.env.VARIANTS ?? 'A/256/4,B/256/4,C/256/4,D/256/4,F/256/4').split(',');
const variants: [string, Disp][] = want.map((v) => {
  const [k, wgs, el] = v.split('/') as [keyof typeof KERNELS, string, string];
  return [v, make(KERNELS[k], PER_PIECE[k], TILED[k], Number(wgs), Number(el))];
});
async function run(d: Disp, ops: number): Promise<void> {
  const enc = dev.createCommandEncoder();
  if (d.length === 0) {
    for (let o = 0; o < ops; o++) for (let k = 0; k < K; k++) enc.copyBufferToBuffer(srcs[k], 0, out, k * ROWS * W * 16, ROWS * W * 16);
  }
  for (let o = 0; o < ops; o++) {
    for (const { pipe, bg, grid } of d) {
      const pass = enc.beginComputePass();
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(...grid);
      pass.end();
    }
  }
  dev.queue.submit([enc.finish()]);
  await dev.queue.onSubmittedWorkDone();
}
// Correctness of each variant before timing (not S's: it writes the pieces from the whole).
for (const [name, d] of variants) {
  if (name.startsWith('S')) continue;
  const enc0 = dev.createCommandEncoder();
  enc0.clearBuffer(out);
  dev.queue.submit([enc0.finish()]);
  await run(d, 1);
  const enc = dev.createCommandEncoder();
  enc.copyBufferToBuffer(out, 0, check, 0, ROWS * W * K * 16);
  dev.queue.submit([enc.finish()]);
  await check.mapAsync(GPUMapMode.READ);
  const got = new Uint32Array(check.getMappedRange().slice(0));
  check.unmap();
  let bad = 0;
  for (let r = 0; r < ROWS; r++) for (let k = 0; k < K; k++) for (let c = 0; c < W * 4; c++) {
    if (got[(r * K * W + k * W) * 4 + c] !== (r * W * 4 + c) * 7 + k) bad++;
  }
  console.log(`${name}: ${bad} wrong`);
}
variants.push(['G copyBufferToBuffer', []]);
{
}
const res = new Map<string, number[]>();
for (let round = 0; round < Number(process.env.ROUNDS ?? 16); round++) {
  for (const [name, d] of round % 2 ? [...variants].reverse() : variants) {
    const t0 = performance.now();
    await run(d, OPS);
    res.set(name, [...(res.get(name) ?? []), (performance.now() - t0) / OPS]);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
for (const [n, v] of res) console.log(`${n.padEnd(20)} median ${med(v).toFixed(2)} ms  (min ${Math.min(...v).toFixed(2)})`);
wg.destroy();
