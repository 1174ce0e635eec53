// The MNIST model and its evaluation, shared by the Node trainer (train.ts) and the browser
// demo (examples/web/main.ts): no Node imports here, so the demo's bundle can take it.
import * as wg from 'webgrad-gpu';

const { nn, data } = wg;

/** MNIST's pixel mean and standard deviation (the usual torchvision Normalize constants). */
export const MNIST_NORMALIZE = { mean: 0.1307, std: 0.3081 };

export function makeModel(hidden: number): wg.nn.Sequential {
  return new nn.Sequential(new nn.Linear(784, hidden), new nn.ReLU(), new nn.Linear(hidden, 10));
}

/** Test accuracy, counted on the device: one readback for the whole set. */
export async function evaluate(model: wg.nn.Module, images: Float32Array, labels: Int32Array, batchSize = 1000): Promise<number> {
  const loader = new data.DataLoader({ x: images, y: labels, n: labels.length, features: 784 }, { batchSize, shuffle: false, normalize: MNIST_NORMALIZE });
  let correct = wg.zeros([], { dtype: 'float32' });
  for await (const { x, y } of loader) {
    const next = wg.scope(() => wg.noGrad(() => correct.add(model.forward(x).argmax(1).eq(y).sum())));
    correct.dispose();
    correct = next;
    x.dispose();
    y.dispose();
  }
  const n = await correct.item();
  correct.dispose();
  return n / labels.length;
}
