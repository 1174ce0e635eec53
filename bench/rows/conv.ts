// Row 'conv': conv2d forward and forward + backward (gradients to input and weight) at the
// CNN-on-MNIST shapes (batch 64, 1->8 and 8->16 channels, 5x5, padding 2, 28x28 and 14x14) and a
// CIFAR-like one (batch 32, 3->32 and 32->64, 3x3, padding 1, 32x32 and 16x16), against
// tfjs-webgpu's tf.conv2d and tf.grads of it on the same adapter. tfjs runs its native NHWC
// layout (filters [kh, kw, in, out]), webgrad NCHW as PyTorch: the same convolution either way.
// No bias on either side. Unit: ms per op (lower is better).
// One --quick --reps 1 run on lavapipe (a 2-core machine at load 15, so +-3x), webgrad vs tfjs:
// MNIST 1->8 fwd 72 vs 790 ms (10.9x), fwd+bwd 228 vs 1212 (5.3x); 8->16 fwd 167 vs 296 (1.8x),
// fwd+bwd 506 vs 1383 (2.7x); CIFAR-like 3->32 fwd 52 vs 470 (9.1x), fwd+bwd 703 vs 2224
// (3.2x); 32->64 fwd 350 vs 534 (1.5x), fwd+bwd not reached within the minute.
import type * as TF from '@tensorflow/tfjs-core';
import type { Case } from '../harness.js';
import { wg, wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

interface Shape { batch: number; inC: number; outC: number; size: number; k: number }
const SHAPES: Shape[] = [
  { batch: 64, inC: 1, outC: 8, size: 28, k: 5 },
  { batch: 64, inC: 8, outC: 16, size: 14, k: 5 },
  { batch: 32, inC: 3, outC: 32, size: 32, k: 3 },
  { batch: 32, inC: 32, outC: 64, size: 16, k: 3 },
];

export function convCases(ctx: RowContext): Case[] {
  const cases: Case[] = [];
  const inner = ctx.gpu ? 8 : 1;
  for (const [si, s] of SHAPES.entries()) {
    const { batch, inC, outC, size, k } = s;
    const pad = (k - 1) / 2;
    const xData = randomArray(batch * inC * size * size, 40 + si);
    const wData = randomArray(outC * inC * k * k, 50 + si, -0.3, 0.3);
    const dyData = randomArray(batch * outC * size * size, 60 + si);
    const common = { row: 'conv', tolerance: 1e-4, size: `${batch}x${inC}->${outC} ${size}x${size} k${k}`, unit: 'ms' as const, inner, reps: repsFor(ctx, ctx.quick ? 3 : 7), warmup: 1 };
    const wgCase = (backward: boolean) => async () => {
      const X = wgFrom(xData, [batch, inC, size, size], backward);
      const W = wgFrom(wData, [outC, inC, k, k], backward);
      const DY = wgFrom(dyData, [batch, outC, size, size]);
      return wgRunner(ctx, {
        step: () => {
          for (let i = 0; i < inner; i++) {
            wg.scope(() => {
              const y = wg.nn.functional.conv2d(X, W, null, { padding: pad });
              if (backward) y.backward(DY);
            });
            for (const t of [X, W]) {
              t.grad?.dispose();
              t.grad = null;
            }
          }
        },
        // Forward: y; backward: the weight gradient (NCHW / [out, in, kh, kw] on both sides).
        answer: () => wg.scope(() => {
          const y = wg.nn.functional.conv2d(X, W, null, { padding: pad });
          if (!backward) return y;
          y.backward(DY);
          const g = W.grad!;
          W.grad = null;
          X.grad?.dispose();
          X.grad = null;
          return g;
        }),
        dispose: () => [X, W, DY].forEach((t) => t.dispose()),
      }, inner);
    };
    const tfCase = (backward: boolean) => async () => {
      const tf = ctx.tfc.tf;
      // The same numbers in NHWC / [kh, kw, in, out].
      const nhwc = (d: Float32Array, shape: [number, number, number, number], perm: number[]): TF.Tensor4D =>
        tf.tidy(() => tf.transpose(tf.tensor4d(d, shape), perm));
      const X = nhwc(xData, [batch, inC, size, size], [0, 2, 3, 1]);
      const W = nhwc(wData, [outC, inC, k, k], [2, 3, 1, 0]);
      const DY = nhwc(dyData, [batch, outC, size, size], [0, 2, 3, 1]);
      const conv = (x: TF.Tensor4D, w: TF.Tensor4D): TF.Tensor4D => tf.conv2d(x, w, 1, 'same');
      const grads = tf.grads((x, w) => conv(x as TF.Tensor4D, w as TF.Tensor4D));
      return tfRunner(ctx, {
        step: () => {
          for (let i = 0; i < inner; i++) {
            if (backward) grads([X, W], DY).forEach((t) => t.dispose());
            else conv(X, W).dispose();
          }
        },
        answer: () => tf.tidy(() => (backward ? tf.transpose(grads([X, W], DY)[1], [3, 2, 0, 1]) : tf.transpose(conv(X, W), [0, 3, 1, 2]))),
        dispose: () => [X, W, DY].forEach((t) => t.dispose()),
      }, inner);
    };
    cases.push({ ...common, name: 'conv2d fwd (vs tf.conv2d)', webgrad: wgCase(false), tfjs: tfCase(false) });
    cases.push({ ...common, name: 'conv2d fwd+bwd (vs tf.grads of tf.conv2d)', webgrad: wgCase(true), tfjs: tfCase(true) });
  }
  return cases;
}
