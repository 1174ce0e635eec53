// Rows cnn and cnn-epoch: the MNIST CNN of `npm run mnist -- --model cnn`
// (conv 1->8 5x5 pad 2, batch norm, ReLU, max-pool 2; conv 8->16 5x5 pad 2, batch norm, ReLU,
// max-pool 2; flatten; linear 784->10) with softmax cross-entropy and plain SGD (lr 0.05), batch 64. cnn-step times
// one training step to completion; cnn-epoch an MNIST-sized epoch of random data uploaded per
// batch (by default a slice scaled to 60000 samples, as row 6).
//
// webgrad: nn.Conv2d / nn.MaxPool2d / nn.Linear in NCHW with PyTorch's weight layouts.
// tfjs: the same weights as variables in tfjs's layouts (NHWC activations, filters
// [kh, kw, in, out]; the linear weight's rows permuted from PyTorch's (c, h, w) flatten order to
// tfjs's (h, w, c)), tf.conv2d / tf.moments + tf.batchNorm (training mode: the batch's
// statistics) / tf.maxPool / tf.losses.softmaxCrossEntropy and
// tf.train.sgd(lr).minimize: what a tfjs user writes. Same weights, same batches: after a step
// both libraries hold the same numbers (checked before timing).
import type * as TF from '@tensorflow/tfjs-core';
import type { Case } from '../harness.js';
import type { TfModule } from '../tfjs.js';
import { wg, wgFrom, wgInt } from '../webgrad.js';
import { oneHot, randomArray, randomLabels, repsFor, type RowContext } from './common.js';
import { epochCase, stepCase, type Trainer, type TrainingSpec } from './training.js';

const BATCH = 64;
const C1 = 8;
const C2 = 16;
const K = 5;
const OUT = 10;
const FLAT = C2 * 7 * 7;
const LR = 0.05;
const MNIST_TRAIN = 60000;
const POOL = 8;

export interface HostBatch {
  x: Float32Array;
  labels: Int32Array;
  onehot: Float32Array;
}

function hostBatches(count: number): HostBatch[] {
  return Array.from({ length: count }, (_, i) => {
    const labels = randomLabels(BATCH, OUT, 300 + i);
    return { x: randomArray(BATCH * 28 * 28, 400 + i, 0, 1), labels, onehot: oneHot(labels, OUT) };
  });
}

/** PyTorch's default init bounds (1/sqrt(fan_in)), in PyTorch's layouts. */
function hostWeights(): Record<'w1' | 'b1' | 'w2' | 'b2' | 'w3' | 'b3', Float32Array> {
  const u1 = 1 / Math.sqrt(1 * K * K);
  const u2 = 1 / Math.sqrt(C1 * K * K);
  const u3 = 1 / Math.sqrt(FLAT);
  return {
    w1: randomArray(C1 * 1 * K * K, 31, -u1, u1),
    b1: randomArray(C1, 32, -u1, u1),
    w2: randomArray(C2 * C1 * K * K, 33, -u2, u2),
    b2: randomArray(C2, 34, -u2, u2),
    w3: randomArray(OUT * FLAT, 35, -u3, u3),
    b3: randomArray(OUT, 36, -u3, u3),
  };
}

/** [out, in, kh, kw] -> [kh, kw, in, out]. */
function filterToTf(w: Float32Array, out: number, inC: number): Float32Array {
  const r = new Float32Array(w.length);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inC; i++)
      for (let y = 0; y < K; y++) for (let x = 0; x < K; x++) r[((y * K + x) * inC + i) * out + o] = w[((o * inC + i) * K + y) * K + x];
  return r;
}

/** Linear weight [OUT, C2*7*7] in (c, h, w) order -> tfjs matMul weight [7*7*C2, OUT] in (h, w, c) order. */
function linearToTf(w: Float32Array): Float32Array {
  const r = new Float32Array(w.length);
  for (let o = 0; o < OUT; o++)
    for (let c = 0; c < C2; c++) for (let p = 0; p < 49; p++) r[(p * C2 + c) * OUT + o] = w[o * FLAT + c * 49 + p];
  return r;
}

// ---- webgrad ----

function wgTrainer(): Trainer<wg.Tensor, wg.Tensor> {
  const { nn, optim } = wg;
  const h = hostWeights();
  const conv1 = new nn.Conv2d(1, C1, K, { padding: 2 });
  const conv2 = new nn.Conv2d(C1, C2, K, { padding: 2 });
  const fc = new nn.Linear(FLAT, OUT);
  wg.noGrad(() => {
    const pairs: [wg.Tensor, Float32Array][] = [[conv1.weight, h.w1], [conv1.bias!, h.b1], [conv2.weight, h.w2], [conv2.bias!, h.b2], [fc.weight, h.w3], [fc.bias!, h.b3]];
    for (const [p, data] of pairs) {
      const src = wgFrom(data, [...p.shape]);
      p.copy_(src);
      src.dispose();
    }
  });
  const bn1 = new nn.BatchNorm2d(C1);
  const bn2 = new nn.BatchNorm2d(C2);
  const model = new nn.Sequential(conv1, bn1, new nn.ReLU(), new nn.MaxPool2d(2), conv2, bn2, new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), fc);
  const opt = new optim.SGD(model.parameters(), { lr: LR });
  return {
    step: (x, y) => {
      opt.zeroGrad();
      const loss = wg.scope(() => {
        const l = nn.functional.crossEntropy(model.forward(x), y);
        l.backward();
        return l;
      });
      opt.step();
      return loss;
    },
    // The biases and batch-norm shifts (the same layout in both libraries).
    weights: async () => (await Promise.all([conv1.bias!, bn1.bias!, conv2.bias!, bn2.bias!, fc.bias!].map((t) => t.toArray()))).flatMap((a) => [...a]),
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
  const h = hostWeights();
  const id = tfNames++;
  const v = (t: TF.Tensor, name: string): TF.Variable => tf.variable(t, true, `cnn${id}_${name}`);
  const w1 = v(tf.tensor4d(filterToTf(h.w1, C1, 1), [K, K, 1, C1]), 'w1') as TF.Variable<TF.Rank.R4>;
  const b1 = v(tf.tensor1d(h.b1), 'b1');
  const w2 = v(tf.tensor4d(filterToTf(h.w2, C2, C1), [K, K, C1, C2]), 'w2') as TF.Variable<TF.Rank.R4>;
  const b2 = v(tf.tensor1d(h.b2), 'b2');
  const w3 = v(tf.tensor2d(linearToTf(h.w3), [FLAT, OUT]), 'w3');
  const b3 = v(tf.tensor1d(h.b3), 'b3');
  // Batch norms as PyTorch initialises them: scale 1, shift 0.
  const g1 = v(tf.ones([C1]), 'g1');
  const s1 = v(tf.zeros([C1]), 's1');
  const g2 = v(tf.ones([C2]), 'g2');
  const s2 = v(tf.zeros([C2]), 's2');
  const vars = [w1, b1, g1, s1, w2, b2, g2, s2, w3, b3];
  const norm = (x: TF.Tensor4D, g: TF.Variable, s: TF.Variable): TF.Tensor4D => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, s as TF.Tensor1D, g as TF.Tensor1D, 1e-5) as TF.Tensor4D;
  };
  const opt = tf.train.sgd(LR);
  return {
    step: (x, onehot) =>
      opt.minimize(() => {
        const a1 = tf.maxPool(tf.relu(norm(tf.add(tf.conv2d(x as TF.Tensor4D, w1, 1, 2), b1), g1, s1)), 2, 2, 0);
        const a2 = tf.maxPool(tf.relu(norm(tf.add(tf.conv2d(a1, w2, 1, 2), b2), g2, s2)), 2, 2, 0);
        const logits = tf.add(tf.matMul(tf.reshape(a2, [-1, FLAT]) as TF.Tensor2D, w3 as TF.Tensor2D), b3);
        return tf.losses.softmaxCrossEntropy(onehot, logits) as TF.Scalar;
      }, true, vars)!,
    weights: async () => (await Promise.all([b1, s1, b2, s2, b3].map((t) => t.data()))).flatMap((a) => [...a]),
    dispose: () => {
      for (const t of vars) t.dispose();
      opt.dispose();
    },
  };
}

/** NCHW with C = 1 and NHWC with C = 1 are the same bytes: one host batch serves both. */
export const SPEC: TrainingSpec<HostBatch> = {
  webgrad: { trainer: wgTrainer, upload: (b) => [wgFrom(b.x, [BATCH, 1, 28, 28]), wgInt(b.labels, [BATCH])] },
  tfjs: (tf) => ({ trainer: () => tfTrainer(tf), upload: (b) => [tf.tensor4d(b.x, [BATCH, 28, 28, 1]), tf.tensor2d(b.onehot, [BATCH, OUT])] }),
};

// The answer: the first step's loss and the biases and batch-norm shifts after it. float32 sums of <= 200
// products per output and a different summation order in each library: 1e-4 leaves margin.
const TOLERANCE = 1e-4;

export function cnnStepCases(ctx: RowContext, spec: TrainingSpec<HostBatch> = SPEC): Case[] {
  const [batch] = hostBatches(1);
  const info = {
    row: 'cnn',
    name: 'CNN train step',
    size: `b${BATCH} conv${C1}bn-conv${C2}bn-fc${OUT}`,
    unit: 'ms' as const,
    reps: repsFor(ctx, ctx.quick ? 5 : 15),
    warmup: 2,
    note: 'forward + softmax cross-entropy + backward + SGD, to completion',
    tolerance: TOLERANCE,
  };
  return [stepCase(ctx, info, batch, spec)];
}

export function cnnEpochCases(ctx: RowContext): Case[] {
  const full = Math.ceil(MNIST_TRAIN / BATCH); // 938
  const batches = ctx.fullEpoch ? full : ctx.quick ? 5 : 20;
  const samples = batches * BATCH;
  const scale = ctx.fullEpoch ? undefined : MNIST_TRAIN / samples;
  const info = {
    row: 'cnn-epoch',
    name: 'CNN epoch',
    size: ctx.fullEpoch ? `60000 (${full} batches)` : `${samples} -> 60000`,
    unit: 'ms' as const,
    scale,
    reps: repsFor(ctx, ctx.quick ? 2 : 3),
    warmup: 1,
    tolerance: TOLERANCE,
    note: `${batches} batches of ${BATCH}${scale ? `, time scaled by ${scale.toFixed(2)} to 60000 samples` : ''}; upload per batch; one loss readback at the end`,
  };
  return [epochCase(ctx, info, hostBatches(POOL), batches, SPEC)];
}
