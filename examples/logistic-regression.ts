// Program 2 of the seed tutorial: gradient descent with autograd on one layer of weights,
// output = 1/(1+exp(-data.mm(w1))). The tutorial calls backward on a loss it never defines;
// here the loss is binary cross-entropy against labels that a hidden weight vector separates,
// and the update is the tutorial's, looped until every sample is classified right.
//
//   node --import ./scripts/register.mjs examples/logistic-regression.ts [--backend auto|webgpu|cpu] [--steps 200]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as wg from 'webgrad-gpu';

export interface LogisticRegressionOptions {
  backend?: wg.BackendChoice;
  steps?: number;
  /** Larger than the tutorial's 1e-4, which would need many thousands of steps on this mean loss. */
  learningRate?: number;
  seed?: number;
  log?: boolean;
}

export interface LogisticRegressionResult {
  /** Loss and accuracy before step 0 and then every `steps / 10` steps. */
  steps: number[];
  losses: number[];
  accuracies: number[];
}

export async function main(opts: LogisticRegressionOptions = {}): Promise<LogisticRegressionResult> {
  const { backend = 'auto', steps = 200, learningRate = 0.5, seed = 0, log = true } = opts;
  await wg.init({ backend, verbose: log });
  const print = log ? console.log : () => {};
  wg.manualSeed(seed);

  // Load the data.
  const dataNum = 23;
  const dataDim = 10;
  const data = wg.randn(dataNum, dataDim);
  // Labels 0/1 that some weight vector separates (the tutorial's random labels have no pattern).
  const label = wg.noGrad(() => data.mm(wg.randn(dataDim, 1)).gt(0));

  // Initialise the weights with random values.
  const w1 = wg.randn(dataDim, 1, { requiresGrad: true });
  const one = wg.tensor(1);

  const result: LogisticRegressionResult = { steps: [], losses: [], accuracies: [] };
  const every = Math.max(1, Math.floor(steps / 10));
  for (let step = 0; step <= steps; step++) {
    await wg.scope(async () => {
      // f = 1/(1+exp(-wx))
      const output = one.div(wg.exp(data.mm(w1).neg()).add(1));
      const loss = wg.nn.functional.binaryCrossEntropy(output, label);
      if (step % every === 0 || step === steps) {
        const accuracy = await output.gt(0.5).eq(label).mean().item();
        result.steps.push(step);
        result.losses.push(await loss.item());
        result.accuracies.push(accuracy);
        print(`step ${String(step).padStart(4)}  loss ${result.losses.at(-1)!.toFixed(4)}  accuracy ${(100 * accuracy).toFixed(1)}%`);
      }
      if (step === steps) return;
      // Backpropagate to get the derivative of the loss with respect to w1.
      loss.backward();
      // Update the parameters.
      wg.noGrad(() => {
        w1.sub_(w1.grad!.mul(learningRate));
        // Zero the derivative for the next step.
        w1.grad!.zero_();
      });
    });
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, steps: { type: 'string', default: '200' } } });
  try {
    await main({ backend: values.backend as wg.BackendChoice, steps: Number(values.steps) });
  } finally {
    wg.destroy();
  }
}
