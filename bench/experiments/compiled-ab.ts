// `npm run gpt`'s step eager against the same step compiled, in one process: two identical
// models (seed 0), blocks of 10 steps taking turns (eager first in odd blocks, compiled first
// in even ones), each block ending with the loss readback the job does every 10 steps.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/compiled-ab.ts [blocks=4] [model=gpt|mlp]
import * as wg from 'webgrad-gpu';
import { batchFor, gptStep, median, mlpStep, timeBlock, type Step } from './ab-steps.js';

const blocks = Number(process.argv[2] ?? 4);
const which = process.argv[3] ?? 'gpt';
await wg.init({ backend: 'webgpu', verbose: false });

const make = which === 'gpt' ? gptStep : mlpStep;
const batch = (): [wg.Tensor, wg.Tensor] => batchFor(which === 'gpt' ? 'gpt' : 'mlp', which === 'gpt' ? 32 : 64);
const sides = { eager: make(), compiled: wg.compile(make()) as Step };
const ms: Record<string, number[]> = { eager: [], compiled: [] };
/** Host time inside the step calls (JS, encoding, submits), per step. */
const host: Record<string, number[]> = { eager: [], compiled: [] };
const block = async (name: 'eager' | 'compiled'): Promise<void> => {
  const t = await timeBlock(sides[name], batch);
  ms[name].push(t.ms);
  host[name].push(t.hostMs);
};
await block('eager'); // warm-up (and the compiled side's trace)
await block('compiled');
for (let b = 0; b < blocks; b++) {
  for (const n of (b % 2 ? ['compiled', 'eager'] : ['eager', 'compiled']) as ('eager' | 'compiled')[]) await block(n);
}
const med = median;
const [e, c] = [ms.eager.slice(1), ms.compiled.slice(1)];
console.log(`${which}: eager ${e.map((v) => v.toFixed(0)).join(' ')} ms/step; compiled ${c.map((v) => v.toFixed(0)).join(' ')} ms/step`);
console.log(`median eager ${med(e).toFixed(1)} / compiled ${med(c).toFixed(1)} = ${(med(e) / med(c)).toFixed(2)}x; per-block ratios ${e.map((v, i) => (v / c[i]).toFixed(2)).join(' ')}`);
console.log(`host time in the step calls: median eager ${med(host.eager.slice(1)).toFixed(1)} / compiled ${med(host.compiled.slice(1)).toFixed(1)} ms/step`);
wg.destroy();
