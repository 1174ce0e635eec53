// Row 5: the tutorial's training step (design.md), 233x10 -> 7 -> 10, sum of squared errors,
// backward, SGD by hand (lr 1e-4), reading the loss every step. The latency of one step
// including the readback, measured over STEPS consecutive steps per timed run.
//
// webgrad, as the tutorial writes it:
//   loss = data.mm(w1).clamp(0).mm(w2).sub(label).pow(2).sum(); await loss.item();
//   loss.backward(); noGrad(() => { w.sub_(w.grad.mul(lr)); w.grad.zero_() })
// tfjs: tf.variableGrads(() => same expression) gives the loss and gradients, `await
// loss.data()`, then w.assign(w.sub(g.mul(lr))) — the same work with tfjs's own idioms.
import type * as TF from '@tensorflow/tfjs-core';
import type { Case } from '../harness.js';
import { wg, wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

const N = 233;
const D = 10;
const H = 7;
const LR = 1e-4;

let tfNames = 0;

/** The row's sizes and host data (also the compiled row's, rows/compiled.ts). */
export function tutorialData(): { n: number; d: number; h: number; lr: number; data: Float32Array; label: Float32Array; w1: Float32Array; w2: Float32Array } {
  return { n: N, d: D, h: H, lr: LR, data: randomArray(N * D, 21), label: randomArray(N * D, 22), w1: randomArray(D * H, 23), w2: randomArray(H * D, 24) };
}

export function tutorialCases(ctx: RowContext): Case[] {
  const steps = ctx.quick ? 10 : 20;
  const { data, label, w1, w2 } = tutorialData();
  let wgLoss = NaN;
  let tfLoss = NaN;
  return [
    {
      row: '5',
      name: 'tutorial step + item()',
      size: `${N}x${D}-${H}-${D}`,
      unit: 'ms',
      inner: steps,
      reps: repsFor(ctx, ctx.quick ? 5 : 15),
      warmup: 2,
      note: `${steps} steps per timed run, each reading the loss`,
      // The answer: the loss and W1's gradient at the initial weights (not applied). Sums of
      // squares over 2330 floats and products of k <= 10: ~1e-6 apart.
      tolerance: 1e-5,
      webgrad: async () => {
        const X = wgFrom(data, [N, D]);
        const Y = wgFrom(label, [N, D]);
        const W1 = wgFrom(w1, [D, H], true);
        const W2 = wgFrom(w2, [H, D], true);
        const r = wgRunner(ctx, {
          step: async () => {
            for (let s = 0; s < steps; s++) {
              await wg.scope(async () => {
                const loss = X.mm(W1).clamp(0).mm(W2).sub(Y).pow(2).sum();
                wgLoss = await loss.item();
                loss.backward();
                wg.noGrad(() => {
                  W1.sub_(W1.grad!.mul(LR));
                  W2.sub_(W2.grad!.mul(LR));
                  W1.grad!.zero_();
                  W2.grad!.zero_();
                });
              });
            }
          },
          waitsInside: true,
          answer: async () => {
            const loss = X.mm(W1).clamp(0).mm(W2).sub(Y).pow(2).sum();
            loss.backward();
            const out = [await loss.item(), ...(await W1.grad!.toArray())];
            loss.dispose();
            for (const w of [W1, W2]) {
              w.grad?.dispose();
              w.grad = null;
            }
            return out;
          },
          dispose: () => {
            for (const t of [X, Y, W1, W2]) {
              t.grad?.dispose();
              t.dispose();
            }
          },
        }, steps);
        return { ...r, counters: () => ({ ...(r.counters?.() as object), lastLoss: wgLoss }) };
      },
      tfjs: async () => {
        const tf = ctx.tfc.tf;
        const id = tfNames++;
        const X = tf.tensor2d(data, [N, D]);
        const Y = tf.tensor2d(label, [N, D]);
        const W1 = tf.variable(tf.tensor2d(w1, [D, H]), true, `tut${id}_w1`);
        const W2 = tf.variable(tf.tensor2d(w2, [H, D]), true, `tut${id}_w2`);
        const r = tfRunner(ctx, {
          step: async () => {
            for (let s = 0; s < steps; s++) {
              const { value, grads } = tf.variableGrads(
                () => tf.sum(tf.pow(tf.sub(tf.matMul(tf.clipByValue(tf.matMul(X, W1), 0, Infinity), W2), Y), 2)) as TF.Scalar,
                [W1, W2],
              );
              tfLoss = (await value.data())[0];
              tf.tidy(() => {
                W1.assign(tf.sub(W1, tf.mul(grads[W1.name], LR)));
                W2.assign(tf.sub(W2, tf.mul(grads[W2.name], LR)));
              });
              value.dispose();
              tf.dispose(grads);
            }
          },
          waitsInside: true,
          answer: async () => {
            const { value, grads } = tf.variableGrads(
              () => tf.sum(tf.pow(tf.sub(tf.matMul(tf.clipByValue(tf.matMul(X, W1), 0, Infinity), W2), Y), 2)) as TF.Scalar,
              [W1, W2],
            );
            const out = [(await value.data())[0], ...(await grads[W1.name].data())];
            value.dispose();
            tf.dispose(grads);
            return out;
          },
          dispose: () => {
            for (const t of [X, Y, W1, W2]) t.dispose();
          },
        }, steps);
        // tf.profile inside r.counters() runs extra steps: take the loss of the timed ones first.
        return { ...r, counters: async () => { const lastLoss = tfLoss; return { ...(await r.counters?.()), lastLoss }; } };
      },
    },
  ];
}
