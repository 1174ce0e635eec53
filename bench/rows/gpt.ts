// Row gpt: one training step of `npm run gpt`'s model at its defaults (2 layers, 4 heads,
// embedding 64, block 64, batch 32, vocabulary 89): forward, cross-entropy over every
// position, backward, global-norm clip at 1.0, AdamW (lr 3e-3, betas 0.9/0.99, weight decay
// 0.1 on everything, as ../shared/reference/gpt_torch.py), timed to completion.
//
// webgrad: examples/gpt/model.ts's GPT, optim.AdamW (one fused kernel per parameter),
// nn.utils.clipGradNorm_ (on the device). tfjs: the same model in tfjs-core ops
// (gpt-tfjs.ts), tf.variableGrads, the clip and AdamW by hand. Both start from the same state
// dict (deterministic host weights in PyTorch's layouts) and see the same batch.
import type { Case } from '../harness.js';
import { GPT } from '../../examples/gpt/model.js';
import { wg, wgFrom, wgInt } from '../webgrad.js';
import { randomArray, randomLabels, repsFor, type RowContext } from './common.js';
import { tfGptTrainer, type AdamWSettings, type GptShape } from './gpt-tfjs.js';
import { stepCase, type Trainer, type TrainingSpec } from './training.js';

const SHAPE: GptShape = { vocab: 89, layers: 2, heads: 4, embd: 64, block: 64 };
const BATCH = 32;
const OPT: AdamWSettings = { lr: 3e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, clip: 1.0 };

type HostWeights = Record<string, { data: Float32Array; shape: number[] }>;

/** Every parameter of the GPT by state-dict name, PyTorch's layouts, deterministic values. */
function hostWeights(): HostWeights {
  const { vocab: V, embd: C, block, layers } = SHAPE;
  const out: HostWeights = {};
  let seed = 500;
  const uniform = (name: string, shape: number[], bound: number) =>
    (out[name] = { data: randomArray(shape.reduce((a, b) => a * b, 1), seed++, -bound, bound), shape });
  const constant = (name: string, shape: number[], v: number) => (out[name] = { data: new Float32Array(shape[0]).fill(v), shape });
  const linear = (name: string, inF: number, outF: number) => {
    uniform(`${name}.weight`, [outF, inF], 1 / Math.sqrt(inF));
    uniform(`${name}.bias`, [outF], 1 / Math.sqrt(inF));
  };
  const norm = (name: string) => (constant(`${name}.weight`, [C], 1), constant(`${name}.bias`, [C], 0));
  uniform('tok.weight', [V, C], 1);
  uniform('pos.weight', [block, C], 1);
  for (let l = 0; l < layers; l++) {
    norm(`blocks.${l}.ln1`);
    norm(`blocks.${l}.ln2`);
    linear(`blocks.${l}.qkv`, C, 3 * C);
    linear(`blocks.${l}.proj`, C, C);
    linear(`blocks.${l}.fc`, C, 4 * C);
    linear(`blocks.${l}.out`, 4 * C, C);
  }
  norm('ln');
  linear('head', C, V);
  return out;
}

export interface HostBatch {
  x: Int32Array;
  y: Int32Array;
}

function hostBatch(): HostBatch {
  const n = BATCH * SHAPE.block;
  return { x: randomLabels(n, SHAPE.vocab, 600), y: randomLabels(n, SHAPE.vocab, 601) };
}

/** Compared after a step: head.bias and the final LayerNorm's bias (gradients well away from 0). */
const COMPARED = ['head.bias', 'ln.bias'];

function wgTrainer(): Trainer<wg.Tensor, wg.Tensor> {
  const { optim, nn } = wg;
  const model = new GPT({ vocabSize: SHAPE.vocab, layers: SHAPE.layers, heads: SHAPE.heads, embd: SHAPE.embd, block: SHAPE.block });
  const state: Record<string, wg.Tensor> = {};
  for (const [name, w] of Object.entries(hostWeights())) state[name] = wgFrom(w.data, w.shape);
  model.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  const params = [...model.parameters()];
  const opt = new optim.AdamW(params, { lr: OPT.lr, betas: [OPT.beta1, OPT.beta2], eps: OPT.eps, weightDecay: OPT.weightDecay });
  const named = new Map(model.namedParameters());
  return {
    step: (x, y) => {
      opt.zeroGrad();
      const loss = wg.scope(() => {
        const l = nn.functional.crossEntropy(model.forward(x), y);
        l.backward();
        return l;
      });
      nn.utils.clipGradNorm_(params, OPT.clip).dispose();
      opt.step();
      return loss;
    },
    weights: async () => (await Promise.all(COMPARED.map((n) => named.get(n)!.toArray()))).flatMap((a) => [...a]),
    dispose: () => {
      for (const p of params) {
        p.grad?.dispose();
        p.dispose();
      }
      opt.dispose();
    },
  };
}

export const SPEC: TrainingSpec<HostBatch> = {
  webgrad: { trainer: wgTrainer, upload: (b) => [wgInt(b.x, [BATCH, SHAPE.block]), wgInt(b.y, [BATCH * SHAPE.block])] },
  tfjs: (tf) => ({
    trainer: () => {
      const t = tfGptTrainer(tf, SHAPE, hostWeights(), OPT);
      return { ...t, weights: async () => (await Promise.all(COMPARED.map((n) => t.weight(n)))).flatMap((a) => [...a]) };
    },
    upload: (b) => [tf.tensor2d(b.x, [BATCH, SHAPE.block], 'int32'), tf.tensor2d(b.y, [BATCH, SHAPE.block], 'int32')],
  }),
};

export function gptStepCases(ctx: RowContext, spec: TrainingSpec<HostBatch> = SPEC): Case[] {
  const info = {
    row: 'gpt',
    name: 'GPT train step',
    size: `b${BATCH} T${SHAPE.block} L${SHAPE.layers} H${SHAPE.heads} C${SHAPE.embd} V${SHAPE.vocab}`,
    unit: 'ms' as const,
    reps: repsFor(ctx, ctx.quick ? 3 : 10),
    warmup: 2,
    note: 'forward + cross-entropy + backward + clip + AdamW, to completion; tokens/s = 2048 / median',
    // The first step's loss and two bias vectors after one AdamW step (≈ lr·sign(g) each):
    // float32 sums in different orders; 1e-3 leaves room for a rare sign flip of a tiny gradient.
    tolerance: 1e-3,
  };
  return [stepCase(ctx, info, hostBatch(), spec)];
}
