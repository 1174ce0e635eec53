// Candidate: the direct kernel with every TM x TN accumulator and load written out (no loops
// over i, j, no indexed arrays), generated per (TM, TN); vs the current kernel.
// Result (GPT shapes, loaded 2-core lavapipe): u8.8.8.8 = the loops (0.87-1.74x noise either way), 16x8/8x16 no gain; the V4 form led to matmul.wgsl VEC_A/VEC_B.
import { bench, oldSrc, curTiles, GPT, done } from './mm-gpt-harness.mjs';
const decl = oldSrc.slice(0, oldSrc.indexOf('override TRANS_A'));
function gen(TM, TN) {
  const L = [];
  const R = [...Array(TM).keys()], C = [...Array(TN).keys()];
  L.push(`override TRANS_A: bool = false; override TRANS_B: bool = false; override WG_X: u32 = 8u; override WG_Y: u32 = 8u;`);
  L.push(`@compute @workgroup_size(WG_X, WG_Y) fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {`);
  L.push(`let M = P.m; let N = P.n; let K = P.k; let rb = (wid.y * WG_Y + l.y) * ${TM}u; let cb = (wid.x * WG_X + l.x) * ${TN}u;`);
  for (const i of R) L.push(`let r${i} = min(rb + ${i}u, M - 1u);`);
  for (const j of C) L.push(`let c${j} = min(cb + ${j}u, N - 1u);`);
  for (const i of R) for (const j of C) L.push(`var s${i}_${j} = 0.0;`);
  L.push(`for (var kk = 0u; kk < K; kk++) {`);
  for (const i of R) L.push(`let a${i} = a[select(r${i} * K + kk, kk * M + r${i}, TRANS_A)];`);
  for (const j of C) L.push(`let b${j} = b[select(kk * N + c${j}, c${j} * K + kk, TRANS_B)];`);
  for (const i of R) for (const j of C) L.push(`s${i}_${j} = fma(a${i}, b${j}, s${i}_${j});`);
  L.push(`}`);
  for (const i of R) for (const j of C) L.push(`if (rb + ${i}u < M && cb + ${j}u < N) { out[(rb + ${i}u) * N + cb + ${j}u] = s${i}_${j}; }`);
  L.push(`}`);
  return decl + L.join('\n');
}
// V4: loads along the contiguous dimension as vec4 (NN: B rows along n; TN: A rows along m);
// needs that dimension % 4 == 0 (experiment only: edge tiles clamp to the last full group).
function genV4(TM, TN, ta) {
  const L = [];
  const R = [...Array(TM).keys()], C = [...Array(TN).keys()];
  L.push(`@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;`);
  L.push(`@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;`);
  L.push(`override TRANS_A: bool = false; override TRANS_B: bool = false; override WG_X: u32 = 8u; override WG_Y: u32 = 8u;`);
  L.push(`@compute @workgroup_size(WG_X, WG_Y) fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {`);
  L.push(`let M = P.m; let N = P.n; let K = P.k; let rb = (wid.y * WG_Y + l.y) * ${TM}u; let cb = (wid.x * WG_X + l.x) * ${TN}u;`);
  L.push(`let rq = min(rb, M - ${TM}u) / 4u; let cq = min(cb, N - ${TN}u) / 4u;`);
  for (const i of R) L.push(`let r${i} = min(rb + ${i}u, M - 1u);`);
  for (const j of C) L.push(`let c${j} = min(cb + ${j}u, N - 1u);`);
  for (const i of R) for (const j of C) L.push(`var s${i}_${j} = 0.0;`);
  L.push(`for (var kk = 0u; kk < K; kk++) {`);
  if (ta) { for (let q = 0; q < TM / 4; q++) L.push(`let av${q} = a4[kk * (M / 4u) + rq + ${q}u];`); for (const i of R) L.push(`let a${i} = av${i >> 2}[${i & 3}];`); }
  else for (const i of R) L.push(`let a${i} = a[r${i} * K + kk];`);
  for (let q = 0; q < TN / 4; q++) L.push(`let bv${q} = b4[kk * (N / 4u) + cq + ${q}u];`);
  for (const j of C) L.push(`let b${j} = bv${j >> 2}[${j & 3}];`);
  for (const i of R) for (const j of C) L.push(`s${i}_${j} = fma(a${i}, b${j}, s${i}_${j});`);
  L.push(`}`);
  for (const i of R) for (const j of C) L.push(`if (rb + ${i}u < M && cb + ${j}u < N) { out[(rb + ${i}u) * N + cb + ${j}u] = s${i}_${j}; }`);
  L.push(`}`);
  return decl.replace(/@group\(0\) @binding\(4\)[^\n]*\n/, '').replace(/@group\(0\) @binding\(5\)[^\n]*\n/, '') + L.join('\n');
}
const cfgs = JSON.parse(process.env.CFG ?? '[[8,8,4,4],[8,8,8,8],[8,8,4,8]]');
const uni = (m, n, k) => [m, n, k, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
await bench(process.env.SHAPES ? JSON.parse(process.env.SHAPES) : GPT, (m, k, n, ta, tb) => {
  const t0 = curTiles(m, n);
  const g = (t) => [Math.ceil(n / (t.WG_X * t.TN)), Math.ceil(m / (t.WG_Y * t.TM)), 1];
  const out = [{ name: 'cur', code: oldSrc, consts: { ...t0, TRANS_A: ta, TRANS_B: tb }, grid: g(t0), uni: uni(m, n, k) }];
  for (const [wx, wy, tm, tn] of cfgs) {
    const t = { WG_X: wx, WG_Y: wy, TM: tm, TN: tn };
    if (process.env.WITHCUR) out.push({ name: `c${wx}.${wy}.${tm}.${tn}`, code: oldSrc, consts: { SHARED: 0, BK: 16, ...t, TRANS_A: ta, TRANS_B: tb }, grid: g(t), uni: uni(m, n, k) });
    if (!tb && n % 4 === 0 && (!ta || m % 4 === 0)) out.push({ name: `v${wx}.${wy}.${tm}.${tn}`, code: genV4(tm, tn, ta), consts: { WG_X: wx, WG_Y: wy }, grid: g(t), uni: uni(m, n, k) });
    out.push({ name: `u${wx}.${wy}.${tm}.${tn}`, code: gen(tm, tn), consts: { WG_X: wx, WG_Y: wy, TRANS_A: ta, TRANS_B: tb }, grid: g(t), uni: uni(m, n, k) });
  }
  return out;
});
done();
