// Which kernels one eager and one compiled training step dispatch, by kind, for the compiled
// row's models (the MLP of row 4, the CNN of row cnn, the GPT of row gpt), from wg.profile:
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/compiled-census.ts
import * as wg from 'webgrad-gpu';
import { randomArray, randomLabels } from '../rows/common.js';
import { SPEC as CNN } from '../rows/cnn.js';
import { SPEC as GPT } from '../rows/gpt.js';
import { SPEC as MLP } from '../rows/mlp.js';
import type { TrainingSpec } from '../rows/training.js';

await wg.init({ backend: 'webgpu', verbose: false });

const kind = (k: string): string => (k.includes('chain:chain') ? 'chain (generated)' : (k.split(' (')[1]?.replace(')', '') ?? k));

async function census<B>(name: string, spec: TrainingSpec<B>, batch: B): Promise<void> {
  const t = spec.webgrad.trainer();
  const [x, y] = spec.webgrad.upload(batch);
  const step = wg.compile((a: wg.Tensor, b: wg.Tensor) => t.step(a, b));
  const one = (f: () => wg.Tensor) => wg.profile(async () => wg.scope(async () => void (await f().item())));
  await one(() => t.step(x, y)); // warm
  const eager = await one(() => t.step(x, y));
  for (let i = 0; i < 2; i++) await one(() => step(x, y));
  const compiled = await one(() => step(x, y));
  const agg = (p: typeof eager) => {
    const m = new Map<string, { n: number; ms: number }>();
    for (const k of p.kernels) {
      const v = m.get(kind(k.kernel)) ?? { n: 0, ms: 0 };
      m.set(kind(k.kernel), { n: v.n + k.count, ms: v.ms + k.ms });
    }
    return m;
  };
  const [e, c] = [agg(eager), agg(compiled)];
  const total = (m: Map<string, { n: number; ms: number }>) => [...m.values()].reduce((s, v) => ({ n: s.n + v.n, ms: s.ms + v.ms }), { n: 0, ms: 0 });
  const [te, tc] = [total(e), total(c)];
  console.log(`\n${name}: eager ${te.n} dispatches, ${te.ms.toFixed(1)} ms GPU; compiled ${tc.n} dispatches, ${tc.ms.toFixed(1)} ms GPU (info: ${JSON.stringify(step.info())})`);
  console.log('  eager n   ms | compiled n   ms | kernel');
  const zero = { n: 0, ms: 0 };
  for (const k of [...new Set([...e.keys(), ...c.keys()])].sort((a, b) => (e.get(b) ?? zero).n - (e.get(a) ?? zero).n)) {
    const [a, b] = [e.get(k) ?? zero, c.get(k) ?? zero];
    console.log(`  ${String(a.n).padStart(7)} ${a.ms.toFixed(1).padStart(6)} | ${String(b.n).padStart(10)} ${b.ms.toFixed(1).padStart(6)} | ${k}`);
  }
  x.dispose();
  y.dispose();
  t.dispose();
}

const mlpBatch = { x: randomArray(128 * 784, 200, 0, 1), labels: randomLabels(128, 10, 100), onehot: new Float32Array(1280) };
await census('MLP step', MLP, mlpBatch);
const cnnBatch = { x: randomArray(64 * 784, 400, 0, 1), labels: randomLabels(64, 10, 300), onehot: new Float32Array(640) };
await census('CNN step', CNN, cnnBatch);
await census('GPT step', GPT, { x: randomLabels(32 * 64, 89, 600), y: randomLabels(32 * 64, 89, 601) });
wg.destroy();
