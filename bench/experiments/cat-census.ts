// Where the time of bench row `cat` (4 x [1024, 256] along dim 1, + backward) goes, webgrad
// only, every case interleaved in one process (the machine is shared: read the medians of
// rounds side by side, not one number). Each case: OPS ops issued, then flush + wait.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/cat-census.ts
import * as wg from 'webgrad-gpu';
import { getBackend } from '../../src/runtime.js';

await wg.init({ backend: 'webgpu', verbose: false });
const be = getBackend() as unknown as { flush(): void; device: GPUDevice; stats: Record<string, number> };
const sync = async (): Promise<void> => {
  be.flush();
  await be.device.queue.onSubmittedWorkDone();
};
const [K, R, C] = [4, 1024, 256];
const OPS = Number(process.argv[3] ?? 8);
const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const xs = Array.from({ length: K }, () => wg.tensor(rnd(R * C)).reshape([R, C]).requiresGrad_());
const g1 = wg.tensor(rnd(K * R * C)).reshape([R, K * C]);
const g0 = wg.tensor(rnd(K * R * C)).reshape([K * R, C]);
const dropGrads = (): void => xs.forEach((x) => { x.grad?.dispose(); x.grad = null; });
const cases: [string, () => void][] = [
  ['cat dim1 fwd', () => wg.noGrad(() => wg.cat(xs, 1).dispose())],
  ['cat dim1 fwd+bwd', () => { const y = wg.cat(xs, 1); y.backward(g1); dropGrads(); y.dispose(); }],
  ['g.clone()', () => g1.clone().dispose()],
  ['split dim1 (no grad)', () => g1.split(C, 1).forEach((t) => t.dispose())],
  ['cat dim0 fwd+bwd', () => { const y = wg.cat(xs, 0); y.backward(g0); dropGrads(); y.dispose(); }],
];
const only = process.argv[2]?.split(',');
const use = only ? cases.filter(([n]) => only.some((o) => n.includes(o))) : cases;
const res = new Map<string, number[]>();
const created = new Map<string, number>();
for (const [, body] of use) { body(); await sync(); }
const d0 = be.stats.dispatches;
for (const [n, body] of use) {
  const before = { ...be.stats };
  for (let i = 0; i < OPS; i++) body();
  await sync();
  console.log(`${n}: ${Object.entries(be.stats).map(([k, v]) => `${k} ${(v - (before[k] ?? 0)) / OPS}`).join(', ')}`);
}
void d0;
for (let round = 0; round < 12; round++) {
  for (const [name, body] of round % 2 ? [...use].reverse() : use) {
    const c0 = be.stats.buffersCreated;
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) body();
    await sync();
    const v = (performance.now() - t0) / OPS;
    created.set(name, (created.get(name) ?? 0) + be.stats.buffersCreated - c0);
    res.set(name, [...(res.get(name) ?? []), v]);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
for (const [n, v] of res) console.log(`${n.padEnd(22)} median ${med(v).toFixed(2)} ms  (min ${Math.min(...v).toFixed(2)}, max ${Math.max(...v).toFixed(2)}), buffers created ${created.get(n)}`);
wg.destroy();
