// One AdamW step over the GPT bench model's 30 parameters (bench/rows/gpt.ts's shape), one
// parameter per dispatch against several per dispatch (multi-tensor), interleaved in one
// process. "per-parameter" splits each Backend.optimizerStep call into one call per update,
// which is what the optimizers did before (one dispatch a parameter). Each run: STEPS steps,
// then item() of one float (so the GPU work is done); the median of the per-step means.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/foreach-optim.ts
import * as wg from 'webgrad-gpu';
import { GPT } from '../../examples/gpt/model.js';
import type { WebGPUBackend } from '../../src/backend/webgpu/webgpu-backend.js';
import { getBackend } from '../../src/runtime.js';

await wg.init({ backend: 'webgpu', verbose: false });
const be = getBackend() as WebGPUBackend;
const multi = be.optimizerStep.bind(be);
const single: typeof multi = (updates) => updates.forEach((u) => multi([u]));

const model = new GPT({ vocabSize: 89, layers: 2, heads: 4, embd: 64, block: 64 });
const params = [...model.parameters()];
for (const p of params) p.grad = wg.randn(p.shape).mul(1e-2);
const opt = new wg.optim.AdamW(params, { lr: 3e-3, betas: [0.9, 0.99], weightDecay: 0.1 });
const probe = wg.zeros([1]);

const STEPS = 20;
const RUNS = 15;
async function run(step: typeof multi): Promise<{ ms: number; dispatches: number }> {
  be.optimizerStep = step;
  const d0 = be.dispatchCount();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) opt.step();
  await probe.item();
  const ms = (performance.now() - t0) / STEPS;
  return { ms, dispatches: (be.dispatchCount() - d0) / STEPS };
}

await run(single); // warm: state buffers, pipelines of both paths
await run(multi);
const times: Record<'per-parameter' | 'multi-tensor', number[]> = { 'per-parameter': [], 'multi-tensor': [] };
const dispatches: Record<string, number> = {};
for (let r = 0; r < RUNS; r++) {
  for (const [name, step] of [['per-parameter', single], ['multi-tensor', multi]] as const) {
    const out = await run(step);
    times[name].push(out.ms);
    dispatches[name] = out.dispatches;
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`AdamW step over ${params.length} GPT parameters (${params.reduce((s, p) => s + p.numel, 0)} floats), ${be.info().name}:`);
for (const name of Object.keys(times) as (keyof typeof times)[]) {
  console.log(`  ${name.padEnd(14)} ${dispatches[name]} dispatches  median ${median(times[name]).toFixed(3)} ms/step  (${RUNS} runs of ${STEPS})`);
}
console.log(`  ratio per-parameter / multi-tensor: ${(median(times['per-parameter']) / median(times['multi-tensor'])).toFixed(2)}`);
delete (be as Partial<WebGPUBackend>).optimizerStep;
opt.dispose();
wg.destroy();
