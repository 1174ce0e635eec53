// Row mm-nd: the 4-D matmul of attention scores, [32,4,64,16] @ [32,4,16,64] (B=32, H=4, T=64,
// d=16: 128 products of 64x16 by 16x64), forward alone and forward + backward (dA = dC·Bᵀ and
// dB = Aᵀ·dC), in GFLOP/s (2·B·H·T·d·T flops per product; three products with backward).
import type { Case } from '../harness.js';
import { wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

const A_SHAPE = [32, 4, 64, 16];
const B_SHAPE = [32, 4, 16, 64];
const C_SHAPE = [32, 4, 64, 64];

export function matmulNdCases(ctx: RowContext): Case[] {
  const n = (s: number[]): number => s.reduce((x, y) => x * y, 1);
  const a = randomArray(n(A_SHAPE), 1);
  const b = randomArray(n(B_SHAPE), 2);
  const dc = randomArray(n(C_SHAPE), 3);
  const flops = 2 * 32 * 4 * 64 * 16 * 64;
  const inner = ctx.gpu ? 64 : 8;
  return [false, true].map((backward): Case => ({
    row: 'mm-nd',
    name: backward ? 'attention matmul fwd+bwd' : 'attention matmul fwd',
    size: '[32,4,64,16]@[32,4,16,64]',
    unit: 'GFLOP/s',
    work: backward ? 3 * flops : flops,
    inner,
    reps: repsFor(ctx, ctx.quick ? 5 : 11),
    warmup: 2,
    note: `${inner} ops per timed run`,
    webgrad: async () => {
      const A = wgFrom(a, A_SHAPE).requiresGrad_(backward);
      const B = wgFrom(b, B_SHAPE).requiresGrad_(backward);
      const dC = wgFrom(dc, C_SHAPE);
      return wgRunner(ctx, {
        step: () => {
          for (let i = 0; i < inner; i++) {
            const c = A.matmul(B);
            if (backward) {
              c.backward(dC);
              A.grad!.dispose();
              B.grad!.dispose();
              A.grad = null;
              B.grad = null;
            }
            c.dispose();
          }
        },
        dispose: () => (A.dispose(), B.dispose(), dC.dispose()),
      }, inner);
    },
    tfjs: async () => {
      const tf = ctx.tfc.tf;
      const A = tf.tensor(a, A_SHAPE);
      const B = tf.tensor(b, B_SHAPE);
      const dC = tf.tensor(dc, C_SHAPE);
      const grads = tf.grads((x, y) => tf.matMul(x, y));
      return tfRunner(ctx, {
        step: () => {
          for (let i = 0; i < inner; i++) {
            if (backward) {
              // tf.grads runs the forward product too, then dA and dB.
              for (const g of grads([A, B], dC)) g.dispose();
            } else {
              tf.matMul(A, B).dispose();
            }
          }
        },
        dispose: () => (A.dispose(), B.dispose(), dC.dispose()),
      }, inner);
    },
  }));
}
