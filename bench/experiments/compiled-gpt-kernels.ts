// Which kernels one compiled GPT step (the bench row's model) still dispatches, by kind:
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/compiled-gpt-kernels.ts
import * as wg from 'webgrad-gpu';
import { GPT } from '../../examples/gpt/model.js';
await wg.init({ backend: 'webgpu', verbose: false });
const { nn, optim } = wg; const F = nn.functional;
wg.manualSeed(0);
const model = new GPT({ vocabSize: 89, layers: 2, heads: 4, embd: 64, block: 64 });
const params = [...model.parameters()];
const opt = new optim.AdamW(params, { lr: 3e-3 });
const x = wg.randint(0, 89, [32, 64]); const y = wg.randint(0, 89, [32 * 64]);
const fn = (x: wg.Tensor, y: wg.Tensor) => { opt.zeroGrad(); const l = F.crossEntropy(model.forward(x), y); l.backward(); nn.utils.clipGradNorm_(params, 1).dispose(); opt.step(); return l; };
const step = wg.compile(fn);
for (let i = 0; i < 2; i++) await wg.scope(async () => step(x, y).item());
const p = await wg.profile(async () => wg.scope(async () => step(x, y).item()));
const agg = new Map<string, number>();
for (const k of p.kernels) { const name = k.kernel.replace(/ \(.*\)$/, '').replace(/^.*\((chain):chain\)$/, 'chain'); const key = k.kernel.includes('chain:chain') ? 'chain' : k.kernel.split(' (')[1]?.replace(')', '') ?? k.kernel; agg.set(key, (agg.get(key) ?? 0) + k.count); void name; }
console.log(step.info());
console.log([...agg].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${c} ${k}`).join('\n'));
wg.destroy();
