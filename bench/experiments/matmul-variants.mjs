// Candidate kernels for matmul-shapes.mjs: [name, code, constants, grid] per shape.
const head = `
struct Params { m: u32, n: u32, k: u32, a_batch: u32, b_batch: u32, batch0: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG: u32 = 8u;
override TM: u32 = 8u;
override TN: u32 = 4u;
`;
// Rows per workgroup (uniform A loads), TN columns per lane; B as vec4 (needs N % 4 == 0, !TRANS_B) or scalar.
const uni = (vec) => head + `
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<${vec ? 'vec4<f32>' : 'f32'}>;
@compute @workgroup_size(WG)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let M = P.m; let N = P.n; let K = P.k;
  let row0 = wid.y * TM;
  let c0 = (wid.x * WG + l.x) * TN;
  ${vec ? `var acc: array<vec4<f32>, 32>;
  for (var kk = 0u; kk < K; kk++) {
    var bv: array<vec4<f32>, 4>;
    for (var j = 0u; j < TN / 4u; j++) { bv[j] = b[(kk * N + min(c0 + j * 4u, N - 4u)) / 4u]; }
    for (var i = 0u; i < TM; i++) {
      let r = min(row0 + i, M - 1u);
      let av = a[select(r * K + kk, kk * M + r, TRANS_A)];
      for (var j = 0u; j < TN / 4u; j++) { acc[i * (TN / 4u) + j] += av * bv[j]; }
    }
  }
  for (var i = 0u; i < TM; i++) {
    let r = row0 + i; if (r >= M) { break; }
    for (var j = 0u; j < TN / 4u; j++) { for (var c = 0u; c < 4u; c++) {
      let col = c0 + j * 4u + c; if (col < N) { out[r * N + col] = acc[i * (TN / 4u) + j][c]; } } }
  }` : `var acc: array<f32, 64>;
  for (var kk = 0u; kk < K; kk++) {
    var bv: array<f32, 8>;
    for (var j = 0u; j < TN; j++) { let c = min(c0 + j, N - 1u); bv[j] = b[select(kk * N + c, c * K + kk, TRANS_B)]; }
    for (var i = 0u; i < TM; i++) {
      let r = min(row0 + i, M - 1u);
      let av = a[select(r * K + kk, kk * M + r, TRANS_A)];
      for (var j = 0u; j < TN; j++) { acc[i * 8u + j] += av * bv[j]; }
    }
  }
  for (var i = 0u; i < TM; i++) {
    let r = row0 + i; if (r >= M) { break; }
    for (var j = 0u; j < TN; j++) { let col = c0 + j; if (col < N) { out[r * N + col] = acc[i * 8u + j]; } }
  }`}
}`;
// Dot form for A·Bᵀ with K % 4 == 0: vec4 along k for both (A uniform).
const dot = head + `
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@compute @workgroup_size(WG)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let M = P.m; let N = P.n; let K4 = P.k / 4u;
  let row0 = wid.y * TM;
  let c0 = (wid.x * WG + l.x) * TN;
  var acc: array<vec4<f32>, 64>;
  for (var k4 = 0u; k4 < K4; k4++) {
    var bv: array<vec4<f32>, 8>;
    for (var j = 0u; j < TN; j++) { bv[j] = b[min(c0 + j, N - 1u) * K4 + k4]; }
    for (var i = 0u; i < TM; i++) {
      let av = a[min(row0 + i, M - 1u) * K4 + k4];
      for (var j = 0u; j < TN; j++) { acc[i * 8u + j] += av * bv[j]; }
    }
  }
  for (var i = 0u; i < TM; i++) {
    let r = row0 + i; if (r >= M) { break; }
    for (var j = 0u; j < TN; j++) { let col = c0 + j; let v = acc[i * 8u + j]; if (col < N) { out[r * N + col] = v.x + v.y + v.z + v.w; } }
  }
}`;
const cfgs = JSON.parse(process.env.CFG ?? '[[8,8,8],[8,4,8],[8,8,4],[16,8,4],[4,8,8]]');
export function kernels(m, k, n, ta, tb) {
  const out = [];
  for (const [WG, TM, TN] of cfgs) {
    const grid = [Math.ceil(n / (WG * TN)), Math.ceil(m / TM), 1];
    const c = { WG, TM, TN, TRANS_A: ta, TRANS_B: tb };
    if (!process.env.NOVEC && !tb && n % 4 === 0 && TN % 4 === 0) out.push([`v${WG}.${TM}.${TN}`, uni(true), c, grid]);
    out.push([`s${WG}.${TM}.${TN}`, uni(false), c, grid]);
    if (tb && !ta && k % 4 === 0) out.push([`d${WG}.${TM}.${TN}`, dot, c, grid]);
  }
  return out;
}
