// Row 'pool': maxPool2d 2x2 stride 2 at the MNIST CNN's shape (batch 64, 16 channels, 28x28 ->
// 14x14), forward and forward + backward, against tfjs-webgpu's tf.maxPool and its gradient
// (tfjs is NHWC: its input is the same values transposed once, outside the timing; its gradient
// is transposed back for the answer check). webgrad's forward saves each window's argmax; the
// backward runs one invocation per input element over the windows covering it (one here).
// Unit: ms per op (lower is better).
import type * as TF from '@tensorflow/tfjs-core';
import type { Case } from '../harness.js';
import { wg, wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

export function poolCases(ctx: RowContext): Case[] {
  const [n, c, h, w] = [64, 16, 28, 28];
  const x = randomArray(n * c * h * w, 41);
  const dy = randomArray((n * c * h * w) / 4, 42);
  const inner = ctx.gpu ? 16 : 4;
  const common = { row: 'pool', size: `[${n},${c},${h},${w}] 2x2/2`, unit: 'ms' as const, inner, reps: repsFor(ctx, ctx.quick ? 3 : 7), warmup: 1 };

  const wgCase = (backward: boolean) => async () => {
    const X = wgFrom(x, [n, c, h, w], backward);
    const DY = wgFrom(dy, [n, c, h / 2, w / 2]);
    const once = (): wg.Tensor => {
      const y = wg.nn.functional.maxPool2d(X, 2);
      if (!backward) return y;
      y.backward(DY);
      y.dispose();
      const g = X.grad!;
      X.grad = null;
      return g;
    };
    return wgRunner(ctx, {
      step: () => {
        for (let i = 0; i < inner; i++) wg.scope(() => void once().dispose());
      },
      answer: () => wg.scope(() => once()),
      dispose: () => [X, DY].forEach((t) => t.dispose()),
    }, inner);
  };
  const tfCase = (backward: boolean) => async () => {
    const tf = ctx.tfc.tf;
    const X = tf.tidy(() => tf.transpose(tf.tensor4d(x, [n, c, h, w]), [0, 2, 3, 1])) as TF.Tensor4D;
    const DY = tf.tidy(() => tf.transpose(tf.tensor4d(dy, [n, c, h / 2, w / 2]), [0, 2, 3, 1])) as TF.Tensor4D;
    const grad = tf.grad((t: TF.Tensor) => tf.maxPool(t as TF.Tensor4D, 2, 2, 'valid'));
    const once = (): TF.Tensor => (backward ? grad(X, DY) : tf.maxPool(X, 2, 2, 'valid'));
    return tfRunner(ctx, {
      step: () => {
        for (let i = 0; i < inner; i++) once().dispose();
      },
      answer: () => tf.tidy(() => tf.transpose(once(), [0, 3, 1, 2])),
      dispose: () => [X, DY].forEach((t) => t.dispose()),
    }, inner);
  };
  return [
    { ...common, name: 'maxPool2d fwd (vs tf.maxPool)', webgrad: wgCase(false), tfjs: tfCase(false), tolerance: 0 },
    { ...common, name: 'maxPool2d fwd+bwd (vs tf.grad of tf.maxPool)', webgrad: wgCase(true), tfjs: tfCase(true), tolerance: 0 },
  ];
}
