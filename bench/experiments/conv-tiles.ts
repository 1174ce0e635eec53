// Tile shapes and kernel forms for the three convolution kernels (src/backend/webgpu/conv.ts),
// each timed alone on this adapter: min / median of REPS dispatches (after a warm-up that
// compiles), the variants interleaved round by round, and each variant's median ratio to the
// first ('tuned', what the launcher picks) within a round, which is what survives a shared
// machine's load. Shapes: the CNN-on-MNIST layers 8->16 (batch 64, 14x14, 5x5, padding 2) and
// 1->8 (28x28), the CIFAR-like 32->64 (batch 32, 16x16, 3x3, padding 1) and 3->32 (32x32).
// The forward's variants: 'generic direct' is the implicit-GEMM kernel (conv), 'fwd WG_X TMxTN'
// conv_fwd with those tiles.
// Run: [SHAPE=mnist,cifar,mnist1,cifar3 (name prefixes)] [KINDS=fwd,dx,dw] [FV='32,4,16;32,8,8']
//      [DV='32,8,7'] [TUNED=1] [AB=1] [REPS=3] [CPU=1] [COMPILE=1]
//      XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/conv-tiles.ts
import type { ConvArgs } from '../../src/backend/backend.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, convForwardTiles, type ForcedTiles } from '../../src/backend/webgpu/conv.js';
import { nodeGPU, requestAdapterQuietly } from '../../src/backend/webgpu/node-gpu.js';
import { GpuRuntime } from '../../src/backend/webgpu/runtime.js';
import type { MatmulTiles } from '../../src/backend/webgpu/tuner.js';

const REPS = Number(process.env.REPS ?? 3);
// CPU=1: CPU time of the process (lavapipe's threads run in it) instead of wall time: on a
// shared machine it moves far less with the load than the wall clock does.
const CPU = !!process.env.CPU;
const gpuApi = (await nodeGPU())!;
const adapter = (await requestAdapterQuietly(gpuApi, {}))!;
const device = await adapter.requestDevice();
const gpu = new GpuRuntime(device, 'cpu-emulated');

const geo = (batch: number, inC: number, outC: number, size: number, k: number): ConvArgs => ({
  batch, inC, outC, inH: size, inW: size, outH: size, outW: size, kH: k, kW: k,
  strideH: 1, strideW: 1, padH: (k - 1) / 2, padW: (k - 1) / 2, dilH: 1, dilW: 1, groups: 1,
});
const filled = (n: number) => {
  const s = gpu.alloc(n, 'float32', 'bench');
  device.queue.writeBuffer(s.buffer!.gpu, 0, Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
  return s;
};

type Kind = 'fwd' | 'dx' | 'dw';
/** Min and median of REPS timed runs of each variant, the variants interleaved (a shared machine). */
async function timeAll(kind: Kind, a: ConvArgs, variants: (ForcedTiles | undefined)[]): Promise<string[]> {
  const x = filled(a.batch * a.inC * a.inH * a.inW);
  const w = filled(a.outC * a.inC * a.kH * a.kW);
  const dy = filled(a.batch * a.outC * a.outH * a.outW);
  const run = (tiles: ForcedTiles | undefined) => gpu.release(kind === 'fwd' ? conv2d(gpu, x, w, null, a, tiles) : kind === 'dx' ? conv2dInputGrad(gpu, dy, w, a, tiles) : conv2dWeightGrad(gpu, x, dy, a, tiles));
  const ts: number[][] = variants.map(() => []);
  for (let r = -1; r < REPS; r++) {
    for (const [i, tiles] of variants.entries()) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      run(tiles);
      gpu.flush();
      await device.queue.onSubmittedWorkDone();
      const c = process.cpuUsage(c0);
      if (r >= 0) ts[i].push(CPU ? (c.user + c.system) / 1000 : performance.now() - t0);
      else if (process.env.COMPILE) console.log(`  first run (compiles the pipeline): ${(performance.now() - t0).toFixed(0)} ms`);
    }
  }
  [x, w, dy].forEach((s) => gpu.release(s));
  // Each variant's time over the first one's in the same round (paired, so the load's drift cancels).
  const paired = ts.map((t) => t.map((v, r) => v / ts[0][r]).sort((p, q) => p - q)[Math.floor(REPS / 2)]);
  return ts.map((t, i) => {
    t.sort((p, q) => p - q);
    return `${t[0].toFixed(1)}/${t[Math.floor(REPS / 2)].toFixed(1)}${i > 0 ? ` (x${paired[i].toFixed(2)})` : ''}`;
  });
}

const T = (SHARED: boolean, WG_X: number, WG_Y: number, TM: number, TN: number, BK = 16): MatmulTiles => ({ SHARED, WG_X, WG_Y, BK, TM, TN });
const ALL: [string, ForcedTiles | undefined][] = [
  ['tuned', undefined],
  ['generic (convTiles)', 'generic'],
  ['direct 8x8 4x4', T(false, 8, 8, 4, 4)],
  ['direct 16x2 8x8', T(false, 16, 2, 8, 8)],
  ['direct 32x2 8x4', T(false, 32, 2, 8, 4)],
  ['shared 16x16 4x4', T(true, 16, 16, 4, 4)],
];
// The forward's direct form (conv_fwd: one row of WG_X invocations, TM x TN outputs each).
const F = (WG_X: number, TM: number, TN: number): [string, MatmulTiles] => [`fwd ${WG_X} ${TM}x${TN}`, T(false, WG_X, 1, TM, TN)];
const FWD: [string, ForcedTiles | undefined][] = [
  ['tuned', undefined],
  ['generic direct 16x2 8x8', T(false, 16, 2, 8, 8)],
  ...(process.env.FV ?? '32,16,4;32,8,8').split(';').map((v) => F(...(v.split(',').map(Number) as [number, number, number]))),
];
// The gradients' direct forms (dx: conv_fwd with FLIP, dw: conv_dw) with other tiles instead of
// the generic kernel's: DV='32,8,7;32,4,14'.
if (process.env.DV) ALL.splice(2, ALL.length, ...process.env.DV.split(';').map((v) => F(...(v.split(',').map(Number) as [number, number, number]))));
// TUNED=1: only the tiles the launcher picks; AB=1: those and the generic kernel's (the gradients'
// kernel before their direct forms). KINDS=fwd,dx,dw: which kernels.
const pick = (list: [string, ForcedTiles | undefined][]) => (process.env.TUNED ? list.slice(0, 1) : process.env.AB ? list.slice(0, 2) : list);
const kinds = (process.env.KINDS ?? 'fwd,dx,dw').split(',') as Kind[];
const only = process.env.SHAPE ?? 'mnist ,cifar ';   // the default: the two deeper layers
const SHAPES = [
  ['mnist 8->16', geo(64, 8, 16, 14, 5)], ['cifar 32->64', geo(32, 32, 64, 16, 3)],
  ['mnist1 1->8', geo(64, 1, 8, 28, 5)], ['cifar3 3->32', geo(32, 3, 32, 32, 3)],
] as const;
for (const [name, a] of SHAPES) {
  if (!only.split(',').some((o) => name.startsWith(o))) continue;
  for (const kind of kinds) {
    const list = pick(kind === 'fwd' ? FWD : ALL);
    const ms = await timeAll(kind, a, list.map(([, t]) => t));
    console.log(`${name} ${kind} (min/median ms): ${list.map(([vn], i) => `${vn} ${ms[i]}`).join(' | ')}`);
  }
}
console.log(`tuned tiles for mnist fwd: ${JSON.stringify(convForwardTiles(geo(64, 8, 16, 14, 5), 'cpu-emulated'))}`);
gpu.destroy();
