// Row 'attention': causal scaled dot-product attention, forward + backward (dq, dk, dv), at
// [B=32, H=4, T, d=16] for T = 64 (the GPT issue's defaults) and T = 256. Three versions on one
// adapter: webgrad's fused kernel (F.scaledDotProductAttention: one dispatch forward, two
// backward, no [T, T] matrix), the same attention composed from webgrad's ops (matmul, mul,
// add of a -Infinity mask, softmax, matmul: what a model writes by hand), and tfjs-webgpu's
// composed ops (tf.matMul, tf.softmax, gradients by tf.grads). The harness times two sides per
// case, so each case pits one webgrad version against the same tfjs version; the fused /
// composed ratio is between the two webgrad medians. Unit: ms per forward + backward.
//
// Measured on lavapipe (Dawn, 2 CPU cores shared with other jobs at load ~13, so +-2x between
// runs; bench/results/2026-12-02-attention.json): T = 64: fused 210 ms vs composed 349 ms
// (5 reps; 144 vs 408 in a 1-rep run), tfjs 1102 ms; T = 256: fused 2.86 s vs composed 8.67 s
// vs tfjs 10.9 s (1 rep). Fused: 3 dispatches per fwd+bwd, composed: 13.
import type { Case } from '../harness.js';
import { wg, wgFrom } from '../webgrad.js';
import { randomArray, repsFor, tfRunner, wgRunner, type RowContext } from './common.js';

export function attentionCases(ctx: RowContext): Case[] {
  const cases: Case[] = [];
  for (const t of ctx.quick ? [64] : [64, 256]) {
    const [b, h, d] = [32, 4, 16];
    const shape = [b, h, t, d];
    const n = b * h * t * d;
    const [qd, kd, vd, gd] = [1, 2, 3, 4].map((s) => randomArray(n, 40 + s));
    const maskData = Float32Array.from({ length: t * t }, (_, e) => (e % t <= Math.floor(e / t) ? 0 : -Infinity));
    const scale = 1 / Math.sqrt(d);
    const inner = ctx.gpu ? 16 : t === 64 ? 4 : 1;
    const common = {
      row: 'attention', size: `[${shape.join(',')}] causal`, unit: 'ms' as const, inner,
      reps: repsFor(ctx, ctx.quick ? 3 : 5), warmup: 1, tolerance: 1e-4, note: `${inner} fwd+bwd per timed run`,
    };

    const wgCase = (fused: boolean) => async () => {
      const [Q, K, V] = [qd, kd, vd].map((a) => wgFrom(a, shape, true));
      const G = wgFrom(gd, shape);
      const M = wgFrom(maskData, [t, t]);
      const forward = (): wg.Tensor => fused
        ? wg.nn.functional.scaledDotProductAttention(Q, K, V, { isCausal: true })
        : Q.matmul(K.transpose(-2, -1)).mul(scale).add(M).softmax(-1).matmul(V);
      return wgRunner(ctx, {
        step: () => {
          for (let i = 0; i < inner; i++) {
            wg.scope(() => forward().backward(G));
            for (const x of [Q, K, V]) {
              x.grad?.dispose();
              x.grad = null;
            }
          }
        },
        answer: () => wg.noGrad(forward),
        dispose: () => [Q, K, V, G, M].forEach((x) => x.dispose()),
      }, inner);
    };

    const tfCase = async () => {
      const tf = ctx.tfc.tf;
      const [Q, K, V, G] = [qd, kd, vd, gd].map((a) => tf.tensor(a, shape));
      const M = tf.tensor(maskData, [t, t]);
      const forward = (q: typeof Q, k: typeof Q, v: typeof Q) => tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), M)), v);
      const grads = tf.grads((q, k, v) => forward(q, k, v));
      return tfRunner(ctx, {
        step: () => {
          for (let i = 0; i < inner; i++) for (const g of grads([Q, K, V], G)) g.dispose();
        },
        answer: () => tf.tidy(() => forward(Q, K, V)),
        dispose: () => [Q, K, V, G, M].forEach((x) => x.dispose()),
      }, inner);
    };

    cases.push(
      { ...common, name: `T=${t} fused sdpa fwd+bwd (vs tfjs composed)`, webgrad: wgCase(true), tfjs: tfCase },
      { ...common, name: `T=${t} composed ops fwd+bwd (vs tfjs composed)`, webgrad: wgCase(false), tfjs: tfCase },
    );
  }
  return cases;
}
