// Program 1 of the seed tutorial: a neuron learns logical AND by per-sample gradient descent.
// The tutorial derives d_w1, d_w2 and d_b by hand; here autograd finds them from the squared
// error, and every step does the same arithmetic in the same order, so in float64 the weights
// come out bit for bit as the tutorial prints them:
//   0.4514297388906616 0.2369025056182418 -0.611635769357402
//
//   node --import ./scripts/register.mjs examples/and-neuron.ts [--backend auto|webgpu|cpu] [--dtype float32|float64]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as wg from 'webgrad-gpu';

export interface AndNeuronOptions {
  backend?: wg.BackendChoice;
  /** float64 runs on the CPU backend only. */
  dtype?: 'float32' | 'float64';
  log?: boolean;
}

export interface AndNeuronResult {
  /** w1, w2, b after training. */
  weights: [number, number, number];
  /** f(x1, x2) for '0&1', '1&0', '0&0', '1&1'. */
  truthTable: Record<string, number>;
}

export async function main(opts: AndNeuronOptions = {}): Promise<AndNeuronResult> {
  const { dtype = 'float32', log = true } = opts;
  // float64 lives on the CPU backend: 'auto' picks it rather than failing on WebGPU.
  const backend = opts.backend ?? (dtype === 'float64' ? 'cpu' : 'auto');
  await wg.init({ backend, verbose: log });
  const print = log ? console.log : () => {};

  // First guess w1, w2 and b.
  const w1 = wg.tensor(0.666, { dtype, requiresGrad: true });
  const w2 = wg.tensor(0.333, { dtype, requiresGrad: true });
  const b = wg.tensor(0.233, { dtype, requiresGrad: true });

  // The training data, one row per sample: [x1, x2, g(x1, x2)].
  const data = [
    [1, 0, -1],
    [0, 1, -1],
    [0, 0, -1],
    [1, 1, 1],
  ];
  const epoch = 20; // train on the same data 20 times
  const learningRate = 0.01;
  for (let e = 0; e < epoch; e++) {
    // Update the weights after each sample.
    for (const [x1, x2, y] of data) {
      wg.scope(() => {
        const loss = w1.mul(x1).add(w2.mul(x2)).add(b).sub(y).pow(2);
        loss.backward(); // w1.grad = 2*(w1*x1 + w2*x2 + b - y)*x1, and so on
        wg.noGrad(() => {
          for (const w of [w1, w2, b]) {
            w.sub_(w.grad!.mul(learningRate)); // next guess = this guess - learning rate * derivative
            w.grad!.zero_();
          }
        });
      });
    }
  }
  const weights: [number, number, number] = [await w1.item(), await w2.item(), await b.item()];
  print(...weights);

  // The neuron: 1 if w1*x1 + w2*x2 + b > 0 else 0. Training should have taught it x1 & x2.
  const f = (x1: number, x2: number): Promise<number> => wg.scope(() => w1.mul(x1).add(w2.mul(x2)).add(b).gt(0).item());
  const truthTable: Record<string, number> = {};
  for (const [x1, x2] of [[0, 1], [1, 0], [0, 0], [1, 1]]) {
    truthTable[`${x1}&${x2}`] = await f(x1, x2);
    print(`${x1}&${x2}=`, truthTable[`${x1}&${x2}`]);
  }
  return { weights, truthTable };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { backend: { type: 'string' }, dtype: { type: 'string', default: 'float32' } } });
  if (values.dtype !== 'float32' && values.dtype !== 'float64') throw new Error(`--dtype must be float32 or float64, got ${values.dtype}`);
  try {
    await main({ backend: values.backend as wg.BackendChoice | undefined, dtype: values.dtype });
  } finally {
    wg.destroy();
  }
}
