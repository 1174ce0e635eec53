// Counts, per training step of the MLP, the CNN and the GPT, each backend call and the GPU
// dispatches it made: what a compiled step could fuse.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/step-census.ts
import * as wg from 'webgrad-gpu';
import { getBackend } from '../../src/runtime.js';
import { GPT } from '../../examples/gpt/model.js';
import { makeCnn } from '../../examples/mnist/model.js';

await wg.init({ backend: 'webgpu', verbose: false });
const be = getBackend() as unknown as Record<string, unknown> & { stats: { dispatches: number } };
const calls = new Map<string, [number, number]>();
let depth = 0;
for (let o = Object.getPrototypeOf(be); o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
  for (const name of Object.getOwnPropertyNames(o)) {
    const f = be[name];
    if (name === 'constructor' || typeof f !== 'function' || name === 'hostData' || name === 'supports') continue;
    be[name] = (...args: unknown[]) => {
      const d0 = be.stats.dispatches;
      depth++;
      try {
        return (f as (...a: unknown[]) => unknown).apply(be, args);
      } finally {
        depth--;
        if (depth === 0) {
          let key = name;
          if (name === 'unary' || name === 'binary' || name === 'unaryGrad' || name === 'reduce') key += `:${String(args[0])}`;
          const c = calls.get(key) ?? [0, 0];
          c[0]++;
          c[1] += be.stats.dispatches - d0;
          calls.set(key, c);
        }
      }
    };
  }
}
async function census(name: string, step: () => wg.Tensor): Promise<void> {
  for (let i = 0; i < 2; i++) (await wg.scope(async () => step().item()));
  calls.clear();
  const d0 = be.stats.dispatches;
  await wg.scope(async () => step().item());
  const d = be.stats.dispatches - d0;
  const rows = [...calls].sort((a, b) => b[1][1] - a[1][1]);
  console.log(`${name}: ${d} dispatches, ${rows.reduce((s, r) => s + r[1][0], 0)} backend calls`);
  for (const [k, [n, dd]] of rows) console.log(`  ${String(dd).padStart(4)} dispatches ${String(n).padStart(4)} calls  ${k}`);
}
const { nn, optim } = wg;
const F = nn.functional;
{
  const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
  const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
  const x = wg.randn(64, 784);
  const y = wg.randint(0, 10, [64]);
  await census('MLP (Adam, batch 64)', () => { opt.zeroGrad(); const l = F.crossEntropy(model.forward(x), y); l.backward(); opt.step(); return l; });
}
{
  const model = makeCnn();
  const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
  const x = wg.randn(64, 784);
  const y = wg.randint(0, 10, [64]);
  await census('CNN (Adam, batch 64)', () => { opt.zeroGrad(); const l = F.crossEntropy(model.forward(x), y); l.backward(); opt.step(); return l; });
}
{
  const model = new GPT({ vocabSize: 89, layers: 2, heads: 4, embd: 64, block: 64 });
  const params = [...model.parameters()];
  const opt = new optim.AdamW(params, { lr: 3e-3 });
  const x = wg.randint(0, 89, [32, 64]);
  const y = wg.randint(0, 89, [32 * 64]);
  await census('GPT (AdamW + clip, batch 32)', () => { opt.zeroGrad(); const l = F.crossEntropy(model.forward(x), y); l.backward(); nn.utils.clipGradNorm_(params, 1).dispose(); opt.step(); return l; });
}
wg.destroy();
