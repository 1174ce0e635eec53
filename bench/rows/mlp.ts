// Rows 4 and 6: a 784 -> 128 -> 10 ReLU MLP with softmax cross-entropy, plain SGD (lr 0.05),
// batch 128. Row 4 times one training step to completion; row 6 an epoch (469 batches of
// random MNIST-shaped data, uploaded per batch as a data loader would), by default a slice of
// it scaled to 60000 samples.
//
// webgrad: nn.Sequential(Linear, ReLU, Linear), nn.functional.crossEntropy (fused kernel each
// way) on int32 targets, optim.SGD (one fused kernel per parameter), zeroGrad (set to null).
// tfjs: the same weights as variables, tf.losses.softmaxCrossEntropy on one-hot labels,
// tf.train.sgd(lr).minimize, which is what a tfjs user writes.
// Both start from the same weights and see the same batches in the same order, so after the
// same number of steps their losses agree (checked: row 6 reports both final losses).
import type * as TF from '@tensorflow/tfjs-core';
import type { Case } from '../harness.js';
import type { TfModule } from '../tfjs.js';
import { wg, wgFrom, wgInt } from '../webgrad.js';
import { oneHot, randomArray, randomLabels, repsFor, type RowContext } from './common.js';
import { epochCase, stepCase, type Trainer, type TrainingSpec } from './training.js';

const IN = 784;
const HIDDEN = 128;
const OUT = 10;
const BATCH = 128;
const LR = 0.05;
const MNIST_TRAIN = 60000;
/** Distinct host batches cycled through (an epoch's worth of random data would be 188 MB). */
const POOL = 8;

export interface HostBatch {
  x: Float32Array;
  labels: Int32Array;
  onehot: Float32Array;
}

function hostBatches(count: number): HostBatch[] {
  return Array.from({ length: count }, (_, i) => {
    const labels = randomLabels(BATCH, OUT, 100 + i);
    return { x: randomArray(BATCH * IN, 200 + i, 0, 1), labels, onehot: oneHot(labels, OUT) };
  });
}

/** PyTorch-style init U(-1/sqrt(in), 1/sqrt(in)); weights stored [out, in] like nn.Linear. */
function hostWeights(): { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array } {
  const u1 = 1 / Math.sqrt(IN);
  const u2 = 1 / Math.sqrt(HIDDEN);
  return {
    w1: randomArray(HIDDEN * IN, 11, -u1, u1),
    b1: randomArray(HIDDEN, 12, -u1, u1),
    w2: randomArray(OUT * HIDDEN, 13, -u2, u2),
    b2: randomArray(OUT, 14, -u2, u2),
  };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

// ---- webgrad ----

function wgTrainer(): Trainer<wg.Tensor, wg.Tensor> {
  const { nn, optim } = wg;
  const w = hostWeights();
  const fc1 = new nn.Linear(IN, HIDDEN);
  const fc2 = new nn.Linear(HIDDEN, OUT);
  wg.noGrad(() => {
    for (const [p, data] of [[fc1.weight, w.w1], [fc1.bias!, w.b1], [fc2.weight, w.w2], [fc2.bias!, w.b2]] as const) {
      const src = wgFrom(data, [...p.shape]);
      p.copy_(src);
      src.dispose();
    }
  });
  const model = new nn.Sequential(fc1, new nn.ReLU(), fc2);
  const opt = new optim.SGD(model.parameters(), { lr: LR });
  return {
    step: (x, targets) => {
      opt.zeroGrad();
      const loss = wg.scope(() => {
        const l = nn.functional.crossEntropy(model.forward(x), targets);
        l.backward();
        return l;
      });
      opt.step();
      return loss;
    },
    // Both biases, concatenated (the same layout in both libraries; weights are transposed in tfjs).
    weights: async () => [...(await fc1.bias!.toArray()), ...(await fc2.bias!.toArray())],
    dispose: () => {
      for (const p of model.parameters()) {
        p.grad?.dispose();
        p.dispose();
      }
      opt.dispose();
    },
  };
}

// ---- tfjs ----

let tfNames = 0;

function tfTrainer(tf: TfModule): Trainer<TF.Tensor, TF.Scalar> {
  const w = hostWeights();
  const id = tfNames++;
  const w1 = tf.variable(tf.tensor2d(transpose(w.w1, HIDDEN, IN), [IN, HIDDEN]), true, `mlp${id}_w1`);
  const b1 = tf.variable(tf.tensor1d(w.b1), true, `mlp${id}_b1`);
  const w2 = tf.variable(tf.tensor2d(transpose(w.w2, OUT, HIDDEN), [HIDDEN, OUT]), true, `mlp${id}_w2`);
  const b2 = tf.variable(tf.tensor1d(w.b2), true, `mlp${id}_b2`);
  const opt = tf.train.sgd(LR);
  return {
    step: (x, onehot) =>
      opt.minimize(() => {
        const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as TF.Tensor2D, w1), b1)), w2), b2);
        return tf.losses.softmaxCrossEntropy(onehot, logits) as TF.Scalar;
      }, true, [w1, b1, w2, b2])!,
    weights: async () => [...(await b1.data()), ...(await b2.data())],
    dispose: () => {
      for (const v of [w1, b1, w2, b2]) v.dispose();
      opt.dispose();
    },
  };
}

export const SPEC: TrainingSpec<HostBatch> = {
  webgrad: { trainer: wgTrainer, upload: (b) => [wgFrom(b.x, [BATCH, IN]), wgInt(b.labels, [BATCH])] },
  tfjs: (tf) => ({ trainer: () => tfTrainer(tf), upload: (b) => [tf.tensor2d(b.x, [BATCH, IN]), tf.tensor2d(b.onehot, [BATCH, OUT])] }),
};

export function mlpStepCases(ctx: RowContext, spec: TrainingSpec<HostBatch> = SPEC): Case[] {
  const [batch] = hostBatches(1);
  const info = {
    row: '4',
    name: 'MLP train step',
    size: `b${BATCH} ${IN}-${HIDDEN}-${OUT}`,
    unit: 'ms' as const,
    reps: repsFor(ctx, ctx.quick ? 7 : 25),
    warmup: 3,
    note: 'forward + softmax cross-entropy + backward + SGD, to completion',
    // The answer: the first step's loss and both biases after it (the gradient has gone
    // through the whole network). float32 sums of <= 784 terms: ~1e-6; 1e-4 leaves margin.
    tolerance: 1e-4,
  };
  return [stepCase(ctx, info, batch, spec)];
}

export function mlpEpochCases(ctx: RowContext, spec: TrainingSpec<HostBatch> = SPEC): Case[] {
  const full = Math.ceil(MNIST_TRAIN / BATCH); // 469
  const batches = ctx.fullEpoch ? full : ctx.quick ? 10 : ctx.backend === 'webgpu' ? 60 : 40;
  const samples = batches * BATCH;
  const scale = ctx.fullEpoch ? undefined : MNIST_TRAIN / samples;
  const info = {
    row: '6',
    name: 'MLP epoch',
    size: ctx.fullEpoch ? `60000 (${full} batches)` : `${samples} -> 60000`,
    unit: 'ms' as const,
    scale,
    reps: repsFor(ctx, ctx.quick ? 2 : 5),
    warmup: 1,
    tolerance: 1e-4, // as row 4: the first step's loss and biases
    note: `${batches} batches of ${BATCH}${scale ? `, time scaled by ${scale.toFixed(2)} to 60000 samples` : ''}; host->device upload per batch; one loss readback at the end`,
  };
  return [epochCase(ctx, info, hostBatches(POOL), batches, spec)];
}
