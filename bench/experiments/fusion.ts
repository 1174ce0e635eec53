// Does each fusion of src/backend/webgpu/fusion.ts pay on this adapter? The tutorial step
// (bench row 5: mm, clamp, mm, sub, pow, sum, backward, SGD by hand, item()) and an MLP
// training step (784 -> 128 -> 10, batch 64, crossEntropy, Adam), with fusion on and off,
// interleaved in one process (on, off, on, off, ...): medians of per-run means, and the
// dispatches per step from the backend's counters.
// Run: XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/fusion.ts
import * as wg from 'webgrad-gpu';
import { setFusion } from '../../src/backend/webgpu/fusion.js';
import type { WebGPUBackend } from '../../src/backend/webgpu/webgpu-backend.js';
import { getBackend } from '../../src/runtime.js';

await wg.init({ backend: 'webgpu' });
const backend = getBackend() as WebGPUBackend;
wg.manualSeed(0);
const X = wg.randn(233, 10);
const Y = wg.randn(233, 10);
const W1 = wg.randn([10, 7], { requiresGrad: true });
const W2 = wg.randn([7, 10], { requiresGrad: true });

const tutorial = async (): Promise<void> => {
  const loss = X.mm(W1).clamp(0).mm(W2).sub(Y).pow(2).sum();
  await loss.item();
  loss.backward();
  wg.noGrad(() => {
    W1.sub_(W1.grad!.mul(1e-4));
    W2.sub_(W2.grad!.mul(1e-4));
    W1.grad!.zero_();
    W2.grad!.zero_();
  });
};

const model = new wg.nn.Sequential(new wg.nn.Linear(784, 128), new wg.nn.ReLU(), new wg.nn.Linear(128, 10));
const opt = new wg.optim.Adam(model.parameters(), { lr: 1e-3 });
const xb = wg.randn(64, 784);
const yb = wg.tensor(Array.from({ length: 64 }, (_, i) => i % 10), { dtype: 'int32' });
const mlp = async (): Promise<void> => {
  const loss = wg.nn.functional.crossEntropy(model.forward(xb), yb);
  loss.backward();
  opt.step();
  opt.zeroGrad();
  await loss.item();
};

const STEPS = 20;
const ROUNDS = 7;
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];

for (const [name, step] of [['tutorial step + item()', tutorial], ['MLP step (Adam)', mlp]] as const) {
  const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const dispatches: Record<'on' | 'off', number> = { on: 0, off: 0 };
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const mode of ['on', 'off'] as const) {
      setFusion(mode === 'on');
      const d0 = backend.stats.dispatches;
      const t0 = performance.now();
      for (let s = 0; s < STEPS; s++) await wg.scope(step);
      const ms = (performance.now() - t0) / STEPS;
      if (r > 0) times[mode].push(ms); // round 0 warms up both
      dispatches[mode] = (backend.stats.dispatches - d0) / STEPS;
    }
  }
  const on = median(times.on);
  const off = median(times.off);
  console.log(
    `${name}: fused ${on.toFixed(3)} ms (${dispatches.on} dispatches), unfused ${off.toFixed(3)} ms ` +
      `(${dispatches.off} dispatches): ${(off / on).toFixed(2)}x`,
  );
}
setFusion(true);
wg.destroy();
