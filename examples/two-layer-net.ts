// Program 3 of the seed tutorial: a two-layer network, data 233×10 → 7 → 10, trained on the
// summed squared error with the tutorial's update. The tutorial shows one step; this loops and
// prints the loss falling. Each step runs inside scope(), which frees that step's
// intermediates, so memory stays flat however many steps run.
//
//   node --import ./scripts/register.mjs examples/two-layer-net.ts [--backend auto|webgpu|cpu] [--steps 500]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as wg from 'webgrad-gpu';

export interface TwoLayerNetOptions {
  backend?: wg.BackendChoice;
  steps?: number;
  seed?: number;
  log?: boolean;
}

export interface TwoLayerNetResult {
  /** The loss at steps 0, 50, 100, ... */
  steps: number[];
  losses: number[];
  /** Live tensors after the first and the last step: equal when nothing leaks. */
  liveTensors: [number, number];
}

export async function main(opts: TwoLayerNetOptions = {}): Promise<TwoLayerNetResult> {
  const { backend = 'auto', steps = 500, seed = 0, log = true } = opts;
  await wg.init({ backend, verbose: log });
  const print = log ? console.log : () => {};
  wg.manualSeed(seed);

  // Load the data.
  const dataNum = 233;
  const dataDim = 10;
  const data = wg.randn(dataNum, dataDim);
  const label = wg.randn(dataNum, dataDim);

  // The two layers and their number of neurons.
  const layer1In = dataDim;
  const layer1Out = 7;
  const layer2In = layer1Out;
  const layer2Out = 10;

  // Initialise the weights of both layers with random values.
  const w1 = wg.randn(layer1In, layer1Out, { requiresGrad: true });
  const w2 = wg.randn(layer2In, layer2Out, { requiresGrad: true });

  const learningRate = 1e-4;
  const result: TwoLayerNetResult = { steps: [], losses: [], liveTensors: [0, 0] };
  for (let step = 0; step < steps; step++) {
    await wg.scope(async () => {
      // Forward pass.
      const output1 = data.mm(w1);
      const output2 = output1.clamp(0).mm(w2);
      // The loss: summed squared error.
      const loss = output2.sub(label).pow(2).sum();
      if (step % 50 === 0 || step === steps - 1) {
        const value = await loss.item(); // the only wait for the device
        result.steps.push(step);
        result.losses.push(value);
        print('step', step, 'loss', value);
      }
      // Backpropagate to get the derivatives.
      loss.backward();
      // Update the parameters.
      wg.noGrad(() => {
        w1.sub_(w1.grad!.mul(learningRate));
        w2.sub_(w2.grad!.mul(learningRate));
        // Zero the derivatives for the next step.
        w1.grad!.zero_();
        w2.grad!.zero_();
      });
    });
    if (step === 0) result.liveTensors[0] = wg.memory().liveTensors;
  }
  result.liveTensors[1] = wg.memory().liveTensors;
  print('live tensors after the first step:', result.liveTensors[0], 'after the last:', result.liveTensors[1]);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, steps: { type: 'string', default: '500' } } });
  try {
    await main({ backend: values.backend as wg.BackendChoice, steps: Number(values.steps) });
  } finally {
    wg.destroy();
  }
}
