// A compiled step with its memory plan (step-plan.ts: static buffers, bind groups built once,
// one submit per call) against the same compiled step without it (buffers from the pool, a
// submit every 64 dispatches), and eager, in one process: three identical models (seed 0),
// blocks of 10 steps taking turns, each block ending with a loss readback.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/plan-ab.ts [blocks=6] [gpt|mlp] [batch]
import * as wg from 'webgrad-gpu';
import { getBackend } from '../../src/runtime.js';
import { GPT } from '../../examples/gpt/model.js';
import { makeModel } from '../../examples/mnist/model.js';

const blocks = Number(process.argv[2] ?? 6);
const which = process.argv[3] ?? 'gpt';
const B = Number(process.argv[4] ?? (which === 'gpt' ? 32 : 64));
await wg.init({ backend: 'webgpu', verbose: false });
const { nn, optim } = wg;
const F = nn.functional;
const backend = getBackend() as unknown as {
  beginPlannedCall(p: unknown): unknown;
  endPlannedCall(): void;
  stats: { bindGroups: number; submits: number };
};

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
  which === 'gpt' ? [wg.randint(0, 89, [B, 64]), wg.randint(0, 89, [B, 64])] : [wg.rand([B, 784]), wg.randint(0, 10, [B])];

// The unplanned side runs with the backend's plan hooks turned off for its calls only.
const begin = backend.beginPlannedCall.bind(backend);
const end = backend.endPlannedCall.bind(backend);
const planned = wg.compile(make());
const unplannedInner = wg.compile(make());
const unplanned: Step = (x, y, s) => {
  backend.beginPlannedCall = () => null;
  backend.endPlannedCall = () => {};
  try {
    return unplannedInner(x, y, s);
  } finally {
    backend.beginPlannedCall = begin;
    backend.endPlannedCall = end;
  }
};
const sides: Record<string, Step> = { eager: make(), unplanned, planned };
const names = Object.keys(sides);
const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const host: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const bind: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const block = async (name: string): Promise<void> => {
  let sum = wg.zeros([]);
  const b0 = backend.stats.bindGroups;
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
  bind[name].push((backend.stats.bindGroups - b0) / 10);
  sum.dispose();
};
for (const n of names) await block(n); // warm-up: traces, plans, pipelines
for (const n of names) await block(n);
for (const n of names) {
  ms[n].length = 0;
  host[n].length = 0;
  bind[n].length = 0;
}
for (let b = 0; b < blocks; b++) {
  const order = b % 2 ? [...names].reverse() : names;
  for (const n of order) await block(n);
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log(`${which} batch ${B}, ${blocks} blocks of 10 steps; medians per step:`);
for (const n of names) {
  console.log(`  ${n.padEnd(10)} ${med(ms[n]).toFixed(2).padStart(8)} ms total  ${med(host[n]).toFixed(2).padStart(7)} ms host  ${med(bind[n]).toFixed(1).padStart(6)} bind groups created`);
}
const ratio = (a: string, b: string) => names.length && ms[a].map((v, i) => v / ms[b][i]);
console.log(`  per-block total unplanned/planned: ${(ratio('unplanned', 'planned') as number[]).map((v) => v.toFixed(2)).join(' ')}`);
console.log(`  per-block total eager/planned:     ${(ratio('eager', 'planned') as number[]).map((v) => v.toFixed(2)).join(' ')}`);
console.log(`  per-block host unplanned/planned:  ${host.unplanned.map((v, i) => (v / host.planned[i]).toFixed(2)).join(' ')}`);
console.log(`  plan: ${JSON.stringify(planned.info())}`);
wg.destroy();
