// Row compiled: the training steps of rows 5 (tutorial, loss read every step), 4 (MLP), cnn and
// gpt, and row 6's MNIST-size MLP epoch, each twice against tfjs-webgpu on the same adapter in
// one run: eager webgrad (exactly the row's own case) and the same step function wrapped in
// `wg.compile`; then eager against compiled directly, interleaved (see pair()).
//
// The compiled trainer traces on a throwaway trainer of the same model first: the first call
// with a signature runs eagerly, and the answer check (the first step's loss and weights, vs
// tfjs) must see a compiled call, not that eager trace. Fusion decides from the ops each call
// issues, not from state kept by the trace (src/compile.ts), so the trace's trainer may differ.
// Counters add step.info()'s dispatches of the traced (eager) call and of a compiled call.
import type { Case, Runner } from '../harness.js';
import { median } from '../harness.js';
import { wg, wgFrom } from '../webgrad.js';
import { cnnStepCases, SPEC as CNN } from './cnn.js';
import { gptStepCases, SPEC as GPT } from './gpt.js';
import { mlpEpochCases, mlpStepCases, SPEC as MLP } from './mlp.js';
import { tutorialCases, tutorialData } from './tutorial.js';
import { wgRunner, type RowContext } from './common.js';
import type { Trainer, TrainingSpec } from './training.js';

type Info = () => wg.CompiledStepInfo | null;

/** `spec` with its webgrad trainer's step compiled; `info()` reports the step of the last trainer made. */
function compiledSpec<B>(spec: TrainingSpec<B>): { spec: TrainingSpec<B>; info: Info } {
  let current: wg.CompiledStep<[wg.Tensor, wg.Tensor], wg.Tensor> | null = null;
  const trainer = (): Trainer<wg.Tensor, wg.Tensor> => {
    const real = spec.webgrad.trainer();
    let inner = real;
    const step = wg.compile((x: wg.Tensor, y: wg.Tensor) => inner.step(x, y));
    current = step;
    return {
      step: (x, y) => {
        if (step.info().calls === 0) {
          // Trace on a throwaway copy of the model, so that `real` only ever takes compiled steps.
          inner = spec.webgrad.trainer();
          step(x, y).dispose();
          inner.dispose();
          inner = real;
        }
        return step(x, y);
      },
      weights: () => real.weights(),
      dispose: () => real.dispose(),
    };
  };
  return { spec: { ...spec, webgrad: { ...spec.webgrad, trainer } }, info: () => current?.info() ?? null };
}

/**
 * The pair for one model: the row's eager case and its compiled twin, renamed into this row,
 * each timed against tfjs. Eager against compiled is measured once more inside the compiled
 * case, after its timed reps: a second eager runner and the compiled one take turns for
 * max(reps, 5) rounds (alternating which goes first, as the harness does), so drift on the
 * shared machine lands on both; their median ratio is `vsEager` in the counters, printed with
 * step.info()'s dispatch counts (the table itself compares each side with tfjs only).
 */
function pair(eager: Case, compiled: Case, info: Info): Case[] {
  const short = eager.name.replace(/ \+ item\(\)$/, '');
  return [
    { ...eager, row: 'compiled', name: `${short} eager` },
    {
      ...compiled,
      row: 'compiled',
      name: `${short} compiled`,
      webgrad: async () => {
        const r = await compiled.webgrad();
        let e: Runner | null = null;
        const release = async (): Promise<void> => {
          await e?.dispose?.();
          e = null;
        };
        return {
          ...r,
          dispose: async () => {
            await release();
            await r.dispose?.();
          },
          counters: async () => {
            const base = await r.counters?.();
            const i = info();
            const vsEager = await interleaved((e = await eager.webgrad()), r, compiled.warmup, Math.max(compiled.reps, 5)).finally(release);
            const out = { ...base, eagerDispatches: i?.eagerDispatches ?? 'n/a', compiledDispatches: i?.dispatches ?? 'n/a', vsEager: Math.round(vsEager * 100) / 100 };
            console.log(`  ${short}: compiled/eager speed ${vsEager.toFixed(2)}x (${Math.max(compiled.reps, 5)} interleaved rounds), ${out.eagerDispatches} -> ${out.compiledDispatches} dispatches per step`);
            return out;
          },
        };
      },
    },
  ];
}

/** Eager median / compiled median over `rounds` alternating rounds (after `warmup` each). */
async function interleaved(eager: Runner, compiled: Runner, warmup: number, rounds: number): Promise<number> {
  for (let w = 0; w < warmup; w++) await eager.run();
  const e: number[] = [];
  const c: number[] = [];
  const time = async (r: Runner, into: number[]): Promise<void> => {
    const t0 = performance.now();
    await r.run();
    into.push(performance.now() - t0);
  };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      await time(eager, e);
      await time(compiled, c);
    } else {
      await time(compiled, c);
      await time(eager, e);
    }
  }
  return median(e) / median(c);
}

/** Row 5's case with its webgrad side compiled: the step returns the loss, read after the call. */
function compiledTutorial(ctx: RowContext, base: Case): { c: Case; info: Info } {
  const { n, d, h, lr, data, label, w1, w2 } = tutorialData();
  const steps = base.inner ?? 1;
  let step: wg.CompiledStep<[], wg.Tensor> | null = null;
  let wgLoss = NaN;
  const c: Case = {
    ...base,
    webgrad: async () => {
      const X = wgFrom(data, [n, d]);
      const Y = wgFrom(label, [n, d]);
      const W1 = wgFrom(w1, [d, h], true);
      const W2 = wgFrom(w2, [h, d], true);
      const forward = (): wg.Tensor => X.mm(W1).clamp(0).mm(W2).sub(Y).pow(2).sum();
      const s = wg.compile(() => {
        const loss = forward();
        loss.backward();
        wg.noGrad(() => {
          W1.sub_(W1.grad!.mul(lr));
          W2.sub_(W2.grad!.mul(lr));
          W1.grad!.zero_();
          W2.grad!.zero_();
        });
        return loss;
      });
      step = s;
      // The answer (loss and W1's gradient at the initial weights, not applied) from a compiled
      // call: the first call traces, the second (gradients cleared in between) is compiled.
      const grads = wg.compile(() => {
        const loss = forward();
        loss.backward();
        return loss;
      });
      const clear = (): void => {
        for (const w of [W1, W2]) {
          w.grad?.dispose();
          w.grad = null;
        }
      };
      const r = wgRunner(ctx, {
        step: async () => {
          for (let i = 0; i < steps; i++) await wg.scope(async () => void (wgLoss = await s().item()));
        },
        waitsInside: true,
        answer: async () => {
          grads().dispose();
          clear();
          const loss = grads();
          const out = [await loss.item(), ...(await W1.grad!.toArray())];
          loss.dispose();
          clear();
          return out;
        },
        dispose: () => {
          for (const t of [X, Y, W1, W2]) {
            t.grad?.dispose();
            t.dispose();
          }
        },
      }, steps);
      return { ...r, counters: () => ({ ...(r.counters?.() as object), lastLoss: wgLoss }) };
    },
  };
  return { c, info: () => step?.info() ?? null };
}

export function compiledCases(ctx: RowContext): Case[] {
  const [tutorial] = tutorialCases(ctx);
  const tut = compiledTutorial(ctx, tutorial);
  const mlp = compiledSpec(MLP);
  const cnn = compiledSpec(CNN);
  const gpt = compiledSpec(GPT);
  const mlpEpoch = compiledSpec(MLP);
  return [
    ...pair(tutorial, tut.c, tut.info),
    ...pair(mlpStepCases(ctx)[0], mlpStepCases(ctx, mlp.spec)[0], mlp.info),
    ...pair(cnnStepCases(ctx)[0], cnnStepCases(ctx, cnn.spec)[0], cnn.info),
    ...pair(gptStepCases(ctx)[0], gptStepCases(ctx, gpt.spec)[0], gpt.info),
    ...pair(mlpEpochCases(ctx)[0], mlpEpochCases(ctx, mlpEpoch.spec)[0], mlpEpoch.info),
  ];
}
