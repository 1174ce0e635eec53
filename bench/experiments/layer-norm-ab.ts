// `npm run gpt`'s step with the fused LayerNorm against the same step with the composed one
// (layerNormComposed: mean, sub, square, mean, rsqrt, mul, add; autograd's backward), eager
// and compiled, in one process: four identical models (seed 0), blocks of 10 steps taking
// turns in a rotating order, each block ending with a loss readback.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/layer-norm-ab.ts [blocks=4]
import * as wg from 'webgrad-gpu';
import { batchFor, gptStep, median, timeBlock, type Step } from './ab-steps.js';
import { layerNormComposed } from '../../src/nn/layer-norm.js';
import { getBackend } from '../../src/runtime.js';

const blocks = Number(process.argv[2] ?? 4);
await wg.init({ backend: 'webgpu', verbose: false });
const { nn } = wg;

let composed = false;
const fused = nn.LayerNorm.prototype.forward;
nn.LayerNorm.prototype.forward = function (this: wg.nn.LayerNorm, x: wg.Tensor): wg.Tensor {
  return composed ? layerNormComposed(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps }) : fused.call(this, x);
};

const names = ['fused eager', 'composed eager', 'fused compiled', 'composed compiled'] as const;
type Name = (typeof names)[number];
const sides: Record<Name, Step> = {
  'fused eager': gptStep(), 'composed eager': gptStep(),
  'fused compiled': wg.compile(gptStep()) as Step, 'composed compiled': wg.compile(gptStep()) as Step,
};
const ms = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
const dispatches = {} as Record<Name, number>;
const block = async (name: Name): Promise<void> => {
  composed = name.startsWith('composed');
  const b = getBackend();
  const d0 = b.dispatchCount();
  ms[name].push((await timeBlock(sides[name], () => batchFor('gpt', 32))).ms);
  dispatches[name] = (b.dispatchCount() - d0) / 10;
};
for (const n of names) await block(n); // warm-up (and the compiled sides' traces)
for (let b = 0; b < blocks; b++) {
  for (let i = 0; i < names.length; i++) await block(names[(i + b) % names.length]);
}
const med = median;
for (const n of names) {
  const v = ms[n].slice(1);
  console.log(`${n}: ${v.map((t) => t.toFixed(0)).join(' ')} ms/step, median ${med(v).toFixed(1)}; ~${dispatches[n].toFixed(0)} dispatches/step`);
}
for (const mode of ['eager', 'compiled'] as const) {
  const [f, c] = [ms[`fused ${mode}`].slice(1), ms[`composed ${mode}`].slice(1)];
  console.log(`${mode}: composed / fused = ${(med(c) / med(f)).toFixed(2)}x (medians); per-block ${f.map((v, i) => (c[i] / v).toFixed(2)).join(' ')}`);
}
wg.destroy();
