// The two shapes every training row takes (MLP, CNN, GPT): one step timed to completion, and an
// epoch of batches uploaded one by one with a single loss readback at the end. A row supplies
// a trainer per library (same initial weights, same batches) and how to upload a host batch;
// this file turns them into timed cases with the answer check: the first step's loss and
// some weights after it, which must agree between the libraries before anything is timed.
import type * as TF from '@tensorflow/tfjs-core';
import type { Case, Runner } from '../harness.js';
import type { TfModule } from '../tfjs.js';
import type { wg } from '../webgrad.js';
import { tfRunner, wgRunner, type RowContext } from './common.js';

/** One library's training loop on a model. */
export interface Trainer<T, L> {
  /** One training step on an uploaded batch; returns the loss (the caller disposes it). */
  step(x: T, y: T): L;
  /** Weights compared between the libraries after a step (same layout in both). */
  weights(): Promise<number[]>;
  dispose(): void;
}

/** A row's model in both libraries, over host batches of type B. */
export interface TrainingSpec<B> {
  webgrad: { trainer(): Trainer<wg.Tensor, wg.Tensor>; upload(b: B): [wg.Tensor, wg.Tensor] };
  tfjs(tf: TfModule): { trainer(): Trainer<TF.Tensor, TF.Scalar>; upload(b: B): [TF.Tensor, TF.Tensor] };
}

type CaseInfo = Omit<Case, 'webgrad' | 'tfjs'>;

/** The step's loss read back, then the trainer's weights: what `answer()` returns. */
async function answerOf<T extends { dispose(): void }, L extends { dispose(): void }>(
  t: Trainer<T, L>,
  [x, y]: [T, T],
  read: (loss: L) => Promise<number>,
): Promise<number[]> {
  const loss = t.step(x, y);
  const l = await read(loss);
  for (const v of [loss, x, y]) v.dispose();
  return [l, ...(await t.weights())];
}

const wgRead = (l: wg.Tensor): Promise<number> => l.item();
const tfRead = async (l: TF.Scalar): Promise<number> => (await l.data())[0];

/** One training step on a fixed batch, timed to completion. */
export function stepCase<B>(ctx: RowContext, info: CaseInfo, batch: B, spec: TrainingSpec<B>): Case {
  return {
    ...info,
    webgrad: async () => {
      const t = spec.webgrad.trainer();
      const [x, y] = spec.webgrad.upload(batch);
      return wgRunner(ctx, {
        step: () => t.step(x, y).dispose(),
        answer: () => answerOf(t, spec.webgrad.upload(batch), wgRead),
        dispose: () => (t.dispose(), x.dispose(), y.dispose()),
      });
    },
    tfjs: async () => {
      const side = spec.tfjs(ctx.tfc.tf);
      const t = side.trainer();
      const [x, y] = side.upload(batch);
      return tfRunner(ctx, {
        step: () => t.step(x, y).dispose(),
        answer: () => answerOf(t, side.upload(batch), tfRead),
        dispose: () => (t.dispose(), x.dispose(), y.dispose()),
      });
    },
  };
}

/** `batches` steps over host batches cycled from `pool`, uploaded per batch, one readback at the end. */
export function epochCase<B>(ctx: RowContext, info: CaseInfo, pool: B[], batches: number, spec: TrainingSpec<B>): Case {
  /** Runs the epoch with one library; returns the final loss. */
  async function epoch<T extends { dispose(): void }, L extends { dispose(): void }>(t: Trainer<T, L>, upload: (b: B) => [T, T], read: (l: L) => Promise<number>): Promise<number> {
    let loss: L | null = null;
    for (let i = 0; i < batches; i++) {
      const [x, y] = upload(pool[i % pool.length]);
      loss?.dispose();
      loss = t.step(x, y);
      x.dispose();
      y.dispose();
    }
    const l = await read(loss!);
    loss!.dispose();
    return l;
  }
  let wgLoss = NaN;
  let tfLoss = NaN;
  return {
    ...info,
    webgrad: async () => {
      const t = spec.webgrad.trainer();
      const r = wgRunner(ctx, {
        step: async () => void (wgLoss = await epoch(t, spec.webgrad.upload, wgRead)),
        waitsInside: true,
        answer: () => answerOf(t, spec.webgrad.upload(pool[0]), wgRead),
        dispose: () => t.dispose(),
      }, batches); // counters per batch
      return { ...r, counters: async () => ({ ...(await r.counters?.()), finalLoss: wgLoss }) };
    },
    tfjs: async (): Promise<Runner> => {
      const side = spec.tfjs(ctx.tfc.tf);
      const t = side.trainer();
      return {
        run: async () => void (tfLoss = await epoch(t, side.upload, tfRead)),
        answer: () => answerOf(t, side.upload(pool[0]), tfRead),
        dispose: () => t.dispose(),
        counters: () => ({ finalLoss: tfLoss }),
      };
    },
  };
}
