// Row 'cat': wg.cat of 4 x [4096, 256] float32 along dim 0 and along dim 1 against tfjs's
// tf.concat on the same adapter, forward alone and forward + backward (the gradient of each
// input sliced back out of an upstream gradient: tf.grads on tfjs). GB/s counts the bytes every
// implementation must move: the forward reads and writes the 4M elements once (8 bytes each),
// the backward once more.
import type * as TF from '@tensorflow/tfjs-core';
import type { Case } from '../harness.js';
import { wg, wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

const K = 4;

export function joiningCases(ctx: RowContext): Case[] {
  const [rows, cols] = ctx.quick ? [1024, 256] : [4096, 256];
  const n = K * rows * cols;
  const parts = Array.from({ length: K }, (_, i) => randomArray(rows * cols, 40 + i));
  const dy = (dim: number): Float32Array => randomArray(n, 50 + dim);
  const outShape = (dim: number): [number, number] => (dim === 0 ? [K * rows, cols] : [rows, K * cols]);
  const inner = ctx.gpu ? 16 : ctx.quick ? 2 : 1;
  const cases: Case[] = [];
  for (const dim of [0, 1]) {
    for (const backward of [false, true]) {
      cases.push({
        row: 'cat',
        name: `cat ${K} along dim ${dim}${backward ? ' + backward' : ''}`,
        size: `${K}x${rows}x${cols}`,
        unit: 'GB/s',
        work: (backward ? 16 : 8) * n,
        inner,
        reps: repsFor(ctx, ctx.quick ? 5 : 11),
        warmup: 2,
        webgrad: async () => {
          const xs = parts.map((p) => wgFrom(p, [rows, cols], backward));
          const g = backward ? wgFrom(dy(dim), outShape(dim)) : null;
          return wgRunner(ctx, {
            step: () => {
              for (let i = 0; i < inner; i++) {
                const y = wg.cat(xs, dim);
                if (g) {
                  y.backward(g);
                  for (const x of xs) {
                    x.grad?.dispose();
                    x.grad = null;
                  }
                }
                y.dispose();
              }
            },
            dispose: () => [...xs, g].forEach((t) => t?.dispose()),
          }, inner);
        },
        tfjs: async () => {
          const tf = ctx.tfc.tf;
          const xs = parts.map((p) => tf.tensor2d(p, [rows, cols]));
          const g = backward ? tf.tensor2d(dy(dim), outShape(dim)) : null;
          const grads = tf.grads((...ts: TF.Tensor[]) => tf.concat(ts, dim));
          return tfRunner(ctx, {
            step: () => {
              for (let i = 0; i < inner; i++) {
                if (g) grads(xs, g).forEach((t) => t.dispose());
                else tf.concat(xs, dim).dispose();
              }
            },
            dispose: () => [...xs, g].forEach((t) => t?.dispose()),
          }, inner);
        },
      });
    }
  }
  return cases;
}
