// Row 'indexing': embedding-sized lookups, 4096 int32 indices into a 10,000 x 256 float32 table
// (issue 11), forward and forward + backward, against tfjs-webgpu's tf.gather and its gradient
// (tfjs's gather gradient is an unsortedSegmentSum, a scatter-add by atomics). webgrad's
// backward is a deterministic sorted scatter-add (src/backend/webgpu/gather.ts): indexSelect
// sorts the 4096 indices once; gather (an index of [4096, 256], the same lookup written per
// element) sorts 256 index lines of 4096. Unit: ms per op (lower is better).
import type { Case } from '../harness.js';
import { wg, wgFrom, wgInt } from '../webgrad.js';
import { randomArray, randomLabels, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

export function indexingCases(ctx: RowContext): Case[] {
  const [rows, dim, n] = [10_000, 256, 4096];
  const table = randomArray(rows * dim, 31);
  const labels = randomLabels(n, rows, 32);
  const dyData = randomArray(n * dim, 33);
  const fullIndex = Int32Array.from({ length: n * dim }, (_, e) => labels[Math.floor(e / dim)]);
  const inner = ctx.gpu ? 8 : 1;
  const size = `${n} of ${rows}x${dim}`;
  const common = { row: 'indexing', size, unit: 'ms' as const, inner, reps: repsFor(ctx, ctx.quick ? 3 : 7), warmup: 1 };

  const wgCase = (backward: boolean, perElement: boolean) => async () => {
    const X = wgFrom(table, [rows, dim], backward);
    const I = perElement ? wgInt(fullIndex, [n, dim]) : wgInt(labels, [n]);
    const DY = wgFrom(dyData, [n, dim]);
    return wgRunner(ctx, {
      step: () => {
        for (let i = 0; i < inner; i++) {
          wg.scope(() => {
            const y = perElement ? X.gather(0, I) : X.indexSelect(0, I);
            if (backward) y.backward(DY);
          });
          X.grad?.dispose();
          X.grad = null;
        }
      },
      dispose: () => [X, I, DY].forEach((t) => t.dispose()),
    }, inner);
  };
  const tfCase = (backward: boolean) => async () => {
    const tf = ctx.tfc.tf;
    const X = tf.tensor2d(table, [rows, dim]);
    const I = tf.tensor1d(labels, 'int32');
    const DY = tf.tensor2d(dyData, [n, dim]);
    const grad = tf.grad((x) => tf.gather(x, I, 0));
    return tfRunner(ctx, {
      step: () => {
        for (let i = 0; i < inner; i++) (backward ? grad(X, DY) : tf.gather(X, I, 0)).dispose();
      },
      dispose: () => [X, I, DY].forEach((t) => t.dispose()),
    }, inner);
  };
  return [
    { ...common, name: 'indexSelect fwd (vs tf.gather)', webgrad: wgCase(false, false), tfjs: tfCase(false) },
    { ...common, name: 'indexSelect fwd+bwd (vs tf.grad of tf.gather)', webgrad: wgCase(true, false), tfjs: tfCase(true) },
    { ...common, name: 'gather fwd+bwd, index [4096,256] (vs tf.grad of tf.gather)', webgrad: wgCase(true, true), tfjs: tfCase(true) },
  ];
}
