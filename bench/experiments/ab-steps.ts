// The training steps the A/B experiments (compiled-ab.ts, layer-norm-ab.ts, plan-ab.ts) time:
// `npm run gpt`'s step and the MNIST MLP's, each from a fresh model (seed 0), freeing what it
// makes but the running loss sum it returns, as the jobs do.
import * as wg from 'webgrad-gpu';
import { GPT } from '../../examples/gpt/model.js';
import { makeModel } from '../../examples/mnist/model.js';

const { nn, optim } = wg;
const F = nn.functional;

/** One step: a batch and the loss sum so far in, the new sum out. */
export type Step = (x: wg.Tensor, y: wg.Tensor, sum: wg.Tensor) => wg.Tensor;

/** `npm run gpt`'s model (2 layers, embd 64, 4 heads, block 64) with AdamW and clipping. */
export function gptStep(): Step {
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

/** `npm run mnist`'s MLP (hidden 128) with Adam. */
export function mlpStep(): Step {
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

/** A random batch for `which` step: token ids [b, 64] (GPT) or images [b, 784] and labels (MLP). */
export function batchFor(which: 'gpt' | 'mlp', b: number): [wg.Tensor, wg.Tensor] {
  return which === 'gpt' ? [wg.randint(0, 89, [b, 64]), wg.randint(0, 89, [b, 64])] : [wg.rand([b, 784]), wg.randint(0, 10, [b])];
}

/** What one block of steps took, per step: in all (to its loss readback) and inside the calls. */
export interface BlockTime {
  readonly ms: number;
  readonly hostMs: number;
}

/**
 * Runs `steps` steps of `step` on fresh batches from `batch`, each batch and the previous loss
 * sum freed after the call, then reads the sum back (the only wait).
 */
export async function timeBlock(step: Step, batch: () => [wg.Tensor, wg.Tensor], steps = 10): Promise<BlockTime> {
  let sum = wg.zeros([]);
  const t0 = performance.now();
  let host = 0;
  for (let i = 0; i < steps; i++) {
    const [x, y] = batch();
    const h0 = performance.now();
    const next = step(x, y, sum);
    host += performance.now() - h0;
    for (const t of [sum, x, y]) t.dispose();
    sum = next;
  }
  await sum.item();
  const ms = (performance.now() - t0) / steps;
  sum.dispose();
  return { ms, hostMs: host / steps };
}

/** The median (the upper one of an even count). */
export const median = (a: readonly number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1];
