// Row 1: square matmul C = A·B, n x n float32, in GFLOP/s (2n³ flops per op).
import type { Case } from '../harness.js';
import { wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

export function matmulCases(ctx: RowContext): Case[] {
  const gpu = ctx.backend === 'webgpu';
  let sizes = gpu ? [128, 256, 512, 1024] : [128, 256, 512];
  if (ctx.quick) sizes = sizes.slice(0, gpu ? 3 : 2);
  if (gpu && (ctx.big || ctx.gpu)) sizes.push(2048);
  if (gpu && ctx.gpu) sizes.push(4096);
  return sizes.map((n): Case => {
    const flops = 2 * n ** 3;
    // Small products run back to back (one wait per run) so the rate is throughput, not the
    // ~0.1 ms submit-and-wait round trip; at least ~30 MFLOP per timed run.
    const inner = Math.max(1, Math.floor((ctx.gpu ? 2 ** 31 : 2 ** 25) / flops));
    const big = n >= 1024 && !ctx.gpu;
    const a = randomArray(n * n, 1);
    const b = randomArray(n * n, 2);
    return {
      row: '1',
      name: 'matmul',
      size: `${n}x${n}x${n}`,
      unit: 'GFLOP/s',
      work: flops,
      inner,
      reps: repsFor(ctx, big ? 7 : ctx.quick ? 5 : 15),
      warmup: big ? 1 : 2,
      // float32 dot products of n <= 4096 terms in different orders: ~1e-6 relative; a wrong
      // tile or index is off by O(1).
      tolerance: 1e-5,
      note: [inner > 1 ? `${inner} products per timed run` : '', gpu ? '' : 'CPU: n <= 512 (a 1024 product takes seconds in JS)']
        .filter(Boolean)
        .join('; ') || undefined,
      webgrad: async () => {
        const A = wgFrom(a, [n, n]);
        const B = wgFrom(b, [n, n]);
        return wgRunner(ctx, {
          step: () => {
            for (let i = 0; i < inner; i++) A.mm(B).dispose();
          },
          answer: () => A.mm(B),
          dispose: () => (A.dispose(), B.dispose()),
        }, inner);
      },
      tfjs: async () => {
        const tf = ctx.tfc.tf;
        const A = tf.tensor2d(a, [n, n]);
        const B = tf.tensor2d(b, [n, n]);
        return tfRunner(ctx, {
          step: () => {
            for (let i = 0; i < inner; i++) tf.matMul(A, B).dispose();
          },
          answer: () => tf.matMul(A, B),
          dispose: () => (A.dispose(), B.dispose()),
        }, inner);
      },
    };
  });
}
