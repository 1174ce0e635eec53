// Where the time of bench row `cat` (4 x [1024, 256] along dim 1, + backward) goes, webgrad
// only, every case interleaved in one process (the machine is shared: read the medians of
// rounds side by side, not one number). Each case: OPS ops issued (2, as the --quick bench's
// inner loop), then flush + wait; the buffers the pool created while timing are counted.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/cat-census.ts [case filter] [OPS]
// Measured (medians, ms per op; before -> after the cat.wgsl rewrite): fwd 14.1 -> 5.1,
// fwd+bwd 31.0 -> 10.4, g.clone() 0.8 -> 0.7, split alone 15.1 -> 6.6. fwd+bwd = fwd + the
// backward's seed clone (engine.ts copies the given gradient, a buffer copy) + split: nothing
// else. With OPS = 8 the pool re-creates buffers every round (cat dim 0 fwd+bwd: 5.25 created
// per op, 68 ms against 3.8 ms at OPS = 2): buffers released before a submit wait in the pool
// and, once freed, exceed its cap (max(64 MiB, peak live bytes)) and are destroyed.
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
for (const [n, body] of use) {
  const before = { ...be.stats };
  for (let i = 0; i < OPS; i++) body();
  await sync();
  console.log(`${n}: ${Object.entries(be.stats).map(([k, v]) => `${k} ${(v - (before[k] ?? 0)) / OPS}`).join(', ')}`);
}
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
