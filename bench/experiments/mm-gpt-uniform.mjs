// Candidate: rows per workgroup (A loads uniform across the SIMD lanes: llvmpipe loads them once
// and broadcasts), lanes along n, TM x TN scalar accumulators written out; vs the current kernel.
// Result: 2-5x slower than the current kernel on every GPT shape (e.g. NN 2048x192x64 u64.8.1 0.19x): lavapipe pays per load, uniform or not.
import { bench, oldSrc, curTiles, GPT, done } from './mm-gpt-harness.mjs';
const decl = oldSrc.slice(0, oldSrc.indexOf('override TRANS_A'));
export function gen(TM, TN) {
  const L = [];
  const R = [...Array(TM).keys()], C = [...Array(TN).keys()];
  L.push(`override TRANS_A: bool = false; override TRANS_B: bool = false; override WG: u32 = 8u;`);
  L.push(`@compute @workgroup_size(WG) fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {`);
  L.push(`let M = P.m; let N = P.n; let K = P.k; let rb = wid.y * ${TM}u; let cb = wid.x * WG * ${TN}u + l.x;`);
  for (const i of R) L.push(`let r${i} = min(rb + ${i}u, M - 1u);`);
  for (const j of C) L.push(`let c${j} = min(cb + ${j}u * WG, N - 1u);`);
  for (const i of R) for (const j of C) L.push(`var s${i}_${j} = 0.0;`);
  L.push(`for (var kk = 0u; kk < K; kk++) {`);
  for (const i of R) L.push(`let a${i} = a[select(r${i} * K + kk, kk * M + r${i}, TRANS_A)];`);
  for (const j of C) L.push(`let b${j} = b[select(kk * N + c${j}, c${j} * K + kk, TRANS_B)];`);
  for (const i of R) for (const j of C) L.push(`s${i}_${j} = fma(a${i}, b${j}, s${i}_${j});`);
  L.push(`}`);
  for (const i of R) for (const j of C) L.push(`if (rb + ${i}u < M && cb + ${j}u * WG < N) { out[(rb + ${i}u) * N + cb + ${j}u * WG] = s${i}_${j}; }`);
  L.push(`}`);
  return decl + L.join('\n');
}
const cfgs = JSON.parse(process.env.CFG ?? '[[64,4,1],[64,8,1],[32,8,2],[16,8,1],[64,16,1]]');
const uni = (m, n, k) => [m, n, k, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
if (process.argv[1].endsWith('mm-gpt-uniform.mjs')) {
  await bench(process.env.SHAPES ? JSON.parse(process.env.SHAPES) : GPT, (m, k, n, ta, tb) => {
    const t0 = curTiles(m, n);
    const out = [{ name: 'cur', code: oldSrc, consts: { ...t0, TRANS_A: ta, TRANS_B: tb }, grid: [Math.ceil(n / (t0.WG_X * t0.TN)), Math.ceil(m / (t0.WG_Y * t0.TM)), 1], uni: uni(m, n, k) }];
    for (const [wg, tm, tn] of cfgs) out.push({ name: `u${wg}.${tm}.${tn}`, code: gen(tm, tn), consts: { WG: wg, TRANS_A: ta, TRANS_B: tb }, grid: [Math.ceil(n / (wg * tn)), Math.ceil(m / tm), 1], uni: uni(m, n, k) });
    return out;
  });
  done();
}
