// Row 2: exp and clamp(min=0), forward alone and forward + backward, in GB/s moved.
//
// Bytes are the minimum an implementation must move, 4 per float32:
//   forward         read x, write y                        8N
//   forward+backward the forward, then read dy and y (exp) or x (clamp), write dx: 8N + 12N = 20N
// webgrad: y = x.exp(); y.backward(dy), with x.grad cleared after each run (no accumulation).
// tfjs: tf.grad(f)(x, dy), which runs the forward and the backward. clamp(0) is
// tf.clipByValue(x, 0, +Infinity) in tfjs: its gradient is a few kernels (>=, <=, and, where).
import type * as TF from '@tensorflow/tfjs-core';
import type { Case } from '../harness.js';
import type { TfModule } from '../tfjs.js';
import { wg, wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

type Op = 'exp' | 'clamp';

const wgForward = (op: Op, x: wg.Tensor): wg.Tensor => (op === 'exp' ? x.exp() : x.clamp(0));
const tfForward = (tf: TfModule, op: Op, x: TF.Tensor): TF.Tensor => (op === 'exp' ? tf.exp(x) : tf.clipByValue(x, 0, Infinity));

export function elementwiseCases(ctx: RowContext): Case[] {
  const sizes = ctx.quick ? [1 << 20] : [1 << 20, 1 << 24];
  const out: Case[] = [];
  for (const n of sizes) {
    const big = n >= 1 << 24;
    const x = randomArray(n, 3, -2, 2);
    const dy = randomArray(n, 4);
    for (const op of ['exp', 'clamp'] as const) {
      for (const backward of [false, true]) {
        const inner = ctx.gpu ? (big ? 8 : 64) : big ? 1 : 4;
        out.push({
          row: '2',
          name: `${op === 'exp' ? 'exp' : 'clamp(0)'} ${backward ? 'fwd+bwd' : 'fwd'}`,
          size: big ? '16M' : '1M',
          unit: 'GB/s',
          work: (backward ? 20 : 8) * n,
          inner,
          reps: repsFor(ctx, ctx.quick ? 5 : big ? 9 : 15),
          warmup: 2,
          // One rounding per element (exp: a few ulps apart between libraries).
          tolerance: 1e-5,
          webgrad: async () => {
            const X = wgFrom(x, [n], backward);
            const DY = wgFrom(dy, [n]);
            return wgRunner(ctx, {
              step: () => {
                for (let i = 0; i < inner; i++) {
                  const y = wgForward(op, X);
                  if (backward) {
                    y.backward(DY);
                    X.grad?.dispose();
                    X.grad = null;
                  }
                  y.dispose();
                }
              },
              answer: () => {
                const y = wgForward(op, X);
                if (!backward) return y;
                y.backward(DY);
                y.dispose();
                const g = X.grad!;
                X.grad = null;
                return g;
              },
              dispose: () => (X.dispose(), DY.dispose()),
            }, inner);
          },
          tfjs: async () => {
            const tf = ctx.tfc.tf;
            const X = tf.tensor1d(x);
            const DY = tf.tensor1d(dy);
            const grad = tf.grad((t: TF.Tensor) => tfForward(tf, op, t));
            return tfRunner(ctx, {
              step: () => {
                for (let i = 0; i < inner; i++) (backward ? grad(X, DY) : tfForward(tf, op, X)).dispose();
              },
              answer: () => (backward ? grad(X, DY) : tfForward(tf, op, X)),
              dispose: () => (X.dispose(), DY.dispose()),
            }, inner);
          },
        });
      }
    }
  }
  return out;
}
