// A compiled step with its memory plan (step-plan.ts: static buffers, bind groups built once,
// one submit per call) against the same compiled step without it (`memoryPlan: false`: buffers
// from the pool, a submit every 64 dispatches), and eager, in one process: three identical
// models (seed 0), blocks of 10 steps taking turns, each block ending with a loss readback.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/plan-ab.ts [blocks=6] [gpt|mlp] [batch]
import * as wg from 'webgrad-gpu';
import { getBackend } from '../../src/runtime.js';
import { batchFor, gptStep, median, mlpStep, timeBlock, type Step } from './ab-steps.js';

const blocks = Number(process.argv[2] ?? 6);
const which = process.argv[3] ?? 'gpt';
const B = Number(process.argv[4] ?? (which === 'gpt' ? 32 : 64));
await wg.init({ backend: 'webgpu', verbose: false });
const backend = getBackend() as unknown as { stats: { bindGroups: number } };

const make = which === 'gpt' ? gptStep : mlpStep;
const batch = (): [wg.Tensor, wg.Tensor] => batchFor(which === 'gpt' ? 'gpt' : 'mlp', B);

const planned = wg.compile(make());
const unplanned = wg.compile(make(), { memoryPlan: false });
const sides: Record<string, Step> = { eager: make(), unplanned, planned };
const names = Object.keys(sides);
const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const host: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const bind: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const block = async (name: string): Promise<void> => {
  const b0 = backend.stats.bindGroups;
  const t = await timeBlock(sides[name], batch);
  ms[name].push(t.ms);
  host[name].push(t.hostMs);
  bind[name].push((backend.stats.bindGroups - b0) / 10);
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
const med = median;
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
