// Row 3: full sum of 16M floats (reads 4N bytes), and row-wise logSoftmax of 4096 x 1000
// (reads and writes the matrix once each at best: 8 bytes per element), in GB/s.
import type { Case } from '../harness.js';
import { wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

export function reduceCases(ctx: RowContext): Case[] {
  const n = ctx.quick ? 1 << 20 : 1 << 24;
  const [rows, cols] = ctx.quick ? [1024, 1000] : [4096, 1000];
  const x = randomArray(n, 5);
  const m = randomArray(rows * cols, 6, -4, 4);
  const lsInner = ctx.gpu ? 32 : 4;
  const inner = ctx.gpu ? 16 : ctx.quick ? 4 : 1;
  return [
    {
      row: '3',
      name: 'sum (all)',
      size: ctx.quick ? '1M' : '16M',
      unit: 'GB/s',
      work: 4 * n,
      inner,
      reps: repsFor(ctx, ctx.quick ? 5 : 11),
      warmup: 2,
      // 16M terms in [-1, 1) cancel to a sum of ~2,300: float32 trees in different orders
      // differ by ~3e-6 of it (measured at 1M); leaving out one 256-element block: ~4e-3.
      tolerance: 1e-4,
      webgrad: async () => {
        const X = wgFrom(x, [n]);
        return wgRunner(ctx, {
          step: () => {
            for (let i = 0; i < inner; i++) X.sum().dispose();
          },
          answer: () => X.sum(),
          dispose: () => X.dispose(),
        }, inner);
      },
      tfjs: async () => {
        const tf = ctx.tfc.tf;
        const X = tf.tensor1d(x);
        return tfRunner(ctx, {
          step: () => {
            for (let i = 0; i < inner; i++) tf.sum(X).dispose();
          },
          answer: () => tf.sum(X),
          dispose: () => X.dispose(),
        }, inner);
      },
    },
    {
      row: '3',
      name: 'logSoftmax (rows)',
      size: `${rows}x${cols}`,
      unit: 'GB/s',
      work: 8 * rows * cols,
      inner: lsInner,
      reps: repsFor(ctx, ctx.quick ? 5 : 11),
      warmup: 2,
      tolerance: 1e-5, // exp and log of values in [-4, 4): a few ulps
      webgrad: async () => {
        const X = wgFrom(m, [rows, cols]);
        return wgRunner(ctx, {
          step: () => {
            for (let i = 0; i < lsInner; i++) X.logSoftmax(1).dispose();
          },
          answer: () => X.logSoftmax(1),
          dispose: () => X.dispose(),
        }, lsInner);
      },
      tfjs: async () => {
        const tf = ctx.tfc.tf;
        const X = tf.tensor2d(m, [rows, cols]);
        return tfRunner(ctx, {
          step: () => {
            for (let i = 0; i < lsInner; i++) tf.logSoftmax(X, 1).dispose();
          },
          answer: () => tf.logSoftmax(X, 1),
          dispose: () => X.dispose(),
        }, lsInner);
      },
    },
  ];
}
