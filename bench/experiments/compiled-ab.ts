// `npm run gpt`'s step eager against the same step compiled, in one process: two identical
// models (seed 0), blocks of 10 steps taking turns (eager first in odd blocks, compiled first
// in even ones), each block ending with the loss readback the job does every 10 steps.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/compiled-ab.ts [blocks=4] [model=gpt|mlp]
import * as wg from 'webgrad-gpu';
import { GPT } from '../../examples/gpt/model.js';
import { makeModel } from '../../examples/mnist/model.js';

const blocks = Number(process.argv[2] ?? 4);
const which = process.argv[3] ?? 'gpt';
await wg.init({ backend: 'webgpu', verbose: false });
const { nn, optim } = wg;
const F = nn.functional;

type Step = (x: wg.Tensor, y: wg.Tensor, sum: wg.Tensor) => wg.Tensor;
function gptStep(): Step {
  wg.manualSeed(0);
  const model = new GPT({ vocabSize: 89, layers: 2, heads: 4, embd: 64, block: 64 });
  const params = [...model.parameters()];
  const opt = new optim.AdamW(model.paramGroups(0.1, false), { lr: 3e-3, betas: [0.9, 0.99] });
  return (x, y, sum) => wg.scope(() => {
    const loss = F.crossEntropy(model.forward(x), y.reshape([-1]));
    opt.zeroGrad();
    loss.backward();
    nn.utils.clipGradNorm_(params, 1);
    opt.step();
    return wg.noGrad(() => sum.add(loss));
  });
}
function mlpStep(): Step {
  wg.manualSeed(0);
  const model = makeModel(128);
  const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
  return (x, y, sum) => wg.scope(() => {
    const loss = F.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return wg.noGrad(() => sum.add(loss));
  });
}
const make = which === 'gpt' ? gptStep : mlpStep;
const batch = (): [wg.Tensor, wg.Tensor] =>
  which === 'gpt' ? [wg.randint(0, 89, [32, 64]), wg.randint(0, 89, [32, 64])] : [wg.rand([64, 784]), wg.randint(0, 10, [64])];
const sides = { eager: make(), compiled: wg.compile(make()) as Step };
const ms: Record<string, number[]> = { eager: [], compiled: [] };
/** Host time inside the step calls (JS, encoding, submits), per step. */
const host: Record<string, number[]> = { eager: [], compiled: [] };
const block = async (name: 'eager' | 'compiled'): Promise<void> => {
  let sum = wg.zeros([]);
  const t0 = performance.now();
  let h = 0;
  for (let i = 0; i < 10; i++) {
    const [x, y] = batch();
    const h0 = performance.now();
    const next = sides[name](x, y, sum);
    h += performance.now() - h0;
    sum.dispose();
    x.dispose();
    y.dispose();
    sum = next;
  }
  await sum.item();
  ms[name].push((performance.now() - t0) / 10);
  host[name].push(h / 10);
  sum.dispose();
};
await block('eager'); // warm-up (and the compiled side's trace)
await block('compiled');
for (let b = 0; b < blocks; b++) {
  for (const n of (b % 2 ? ['compiled', 'eager'] : ['eager', 'compiled']) as ('eager' | 'compiled')[]) await block(n);
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
const [e, c] = [ms.eager.slice(1), ms.compiled.slice(1)];
console.log(`${which}: eager ${e.map((v) => v.toFixed(0)).join(' ')} ms/step; compiled ${c.map((v) => v.toFixed(0)).join(' ')} ms/step`);
console.log(`median eager ${med(e).toFixed(1)} / compiled ${med(c).toFixed(1)} = ${(med(e) / med(c)).toFixed(2)}x; per-block ratios ${e.map((v, i) => (v / c[i]).toFixed(2)).join(' ')}`);
console.log(`host time in the step calls: median eager ${med(host.eager.slice(1)).toFixed(1)} / compiled ${med(host.compiled.slice(1)).toFixed(1)} ms/step`);
wg.destroy();
