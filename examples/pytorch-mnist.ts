// PyTorch's own MNIST example (github.com/pytorch/examples, mnist/main.py), line for line in
// webgrad: two conv layers, max-pool, dropout, log-softmax + NLL loss, Adadelta (lr 1.0) and
// StepLR (step 1, gamma 0.7), batch 64. What changed in the port: camelCase names, `await
// loss.item()` for the printed loss, the data loader's normalize option instead of
// torchvision's transforms, and test batches of 500 instead of 1000 (see main).
//
//   npm run example examples/pytorch-mnist.ts -- [--epochs 1] [--backend auto|webgpu|cpu] [--limit N] [--test-limit N]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as wg from 'webgrad-gpu';

const { nn, optim, data } = wg;
const F = nn.functional;

/** mnist/main.py's Net: 1,199,882 parameters. */
export class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, { stride: 1 });
  conv2 = new nn.Conv2d(32, 64, 3, { stride: 1 });
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: wg.Tensor): wg.Tensor {
    x = x.reshape(-1, 1, 28, 28); // the loader yields flat 784-pixel rows
    x = this.conv1.call(x);
    x = F.relu(x);
    x = this.conv2.call(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = this.dropout1.call(x);
    x = x.flatten(1);
    x = this.fc1.call(x);
    x = F.relu(x);
    x = this.dropout2.call(x);
    x = this.fc2.call(x);
    return F.logSoftmax(x, 1);
  }
}

export interface PytorchMnistOptions {
  backend?: wg.BackendChoice;
  epochs?: number;
  batchSize?: number;
  testBatchSize?: number;
  lr?: number;
  gamma?: number;
  seed?: number;
  logInterval?: number;
  /** Only the first N training / test images (quick runs and tests). */
  limit?: number;
  testLimit?: number;
  log?: boolean;
}

export interface PytorchMnistResult {
  /** Test accuracy after each epoch, in [0, 1]. */
  accuracies: number[];
  /** Average test loss after each epoch. */
  testLosses: number[];
  /** The training loss printed every logInterval batches. */
  trainLosses: number[];
  seconds: number;
}

export async function main(opts: PytorchMnistOptions = {}): Promise<PytorchMnistResult> {
  // Test batches of 500, not PyTorch's 1000: conv2's output for 1000 images, [1000, 64, 24, 24]
  // float32, is 147 MB, more than the 128 MiB a WebGPU storage binding may hold on common
  // adapters (maxStorageBufferBindingSize); the accuracy over the 10,000 images is the same.
  const { backend = 'auto', epochs = 1, batchSize = 64, testBatchSize = 500, lr = 1.0, gamma = 0.7, seed = 1, logInterval = 10, log = true } = opts;
  const print = log ? console.log : () => {};
  await wg.init({ backend, verbose: log });
  wg.manualSeed(seed);
  const normalize = { mean: 0.1307, std: 0.3081 };
  const trainSet = await data.loadMnist({ train: true, limit: opts.limit });
  const testSet = await data.loadMnist({ train: false, limit: opts.testLimit });
  const trainLoader = new data.DataLoader(trainSet, { batchSize, shuffle: true, seed, normalize });
  const testLoader = new data.DataLoader(testSet, { batchSize: testBatchSize, shuffle: false, normalize });

  const model = new Net();
  const optimizer = new optim.Adadelta(model.parameters(), { lr });
  const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 1, gamma });
  const result: PytorchMnistResult = { accuracies: [], testLosses: [], trainLosses: [], seconds: 0 };
  const start = performance.now();

  for (let epoch = 1; epoch <= epochs; epoch++) {
    // train(args, model, device, train_loader, optimizer, epoch)
    model.train();
    let batchIdx = 0;
    let seen = 0;
    for await (const { x, y } of trainLoader) {
      const loss = wg.scope(() => {
        optimizer.zeroGrad();
        const output = model.call(x);
        const l = F.nllLoss(output, y);
        l.backward();
        optimizer.step();
        return l;
      });
      seen += y.shape[0];
      if (batchIdx % logInterval === 0) {
        const l = await loss.item();
        result.trainLosses.push(l);
        print(`Train Epoch: ${epoch} [${seen}/${trainSet.count} (${((100 * batchIdx) / trainLoader.length).toFixed(0)}%)]\tLoss: ${l.toFixed(6)}`);
      }
      for (const t of [loss, x, y]) t.dispose();
      batchIdx++;
    }

    // test(model, device, test_loader)
    model.eval();
    let testLoss = wg.zeros([]);
    let correct = wg.zeros([]);
    for await (const { x, y } of testLoader) {
      const [nextLoss, nextCorrect] = wg.scope(() =>
        wg.noGrad(() => {
          const output = model.call(x);
          return [testLoss.add(F.nllLoss(output, y, { reduction: 'sum' })), correct.add(output.argmax(1).eq(y).sum())];
        }),
      );
      for (const t of [testLoss, correct, x, y]) t.dispose();
      [testLoss, correct] = [nextLoss, nextCorrect];
    }
    const avgLoss = (await testLoss.item()) / testSet.count;
    const hits = await correct.item();
    testLoss.dispose();
    correct.dispose();
    result.testLosses.push(avgLoss);
    result.accuracies.push(hits / testSet.count);
    print(`\nTest set: Average loss: ${avgLoss.toFixed(4)}, Accuracy: ${hits}/${testSet.count} (${((100 * hits) / testSet.count).toFixed(0)}%)\n`);
    scheduler.step();
  }
  result.seconds = (performance.now() - start) / 1000;
  for (const p of model.parameters()) {
    p.grad?.dispose();
    p.dispose();
  }
  optimizer.dispose();
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'auto' },
      epochs: { type: 'string', default: '1' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
    },
  });
  try {
    const r = await main({
      backend: values.backend as wg.BackendChoice,
      epochs: Number(values.epochs),
      limit: values.limit ? Number(values.limit) : undefined,
      testLimit: values['test-limit'] ? Number(values['test-limit']) : undefined,
    });
    console.log(`test accuracy after ${r.accuracies.length} epoch(s): ${(100 * r.accuracies.at(-1)!).toFixed(2)}% (${r.seconds.toFixed(0)} s)`);
  } finally {
    wg.destroy();
  }
}
