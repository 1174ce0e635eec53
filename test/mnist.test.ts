// The README's main job, in small: a short MNIST run on a subset must clearly beat chance
// (10%), and its safetensors must carry PyTorch's keys and layouts and evaluate the same.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { evaluate, makeModel, train } from '../examples/mnist/train.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

describeEachBackend(backends, 'MNIST end to end', (backend) => {
  it('trains on 3,200 images to well above chance and round-trips the weights', async () => {
    const { metrics, model } = await train({
      epochs: 1, batchSize: 64, lr: 2e-3, lrDecay: 1, hidden: 64, optimizer: 'adam', momentum: 0,
      backend, seed: 0, out: '', limit: 3200, testLimit: 1000, quiet: true,
    });
    const acc = metrics[0].testAccuracy;
    expect(acc).toBeGreaterThan(0.8);

    const dir = await mkdtemp(join(tmpdir(), 'webgrad-mnist-'));
    const path = join(dir, 'model.safetensors');
    await wg.save(model.stateDict(), path, { format: 'pt' });
    const bytes = new Uint8Array(await readFile(path));
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header['0.weight']).toMatchObject({ dtype: 'F32', shape: [64, 784] });
    expect(header['0.bias']).toMatchObject({ dtype: 'F32', shape: [64] });
    expect(header['2.weight']).toMatchObject({ dtype: 'F32', shape: [10, 64] });
    expect(header['2.bias']).toMatchObject({ dtype: 'F32', shape: [10] });

    const restored = makeModel(64);
    restored.loadStateDict(await wg.load(path));
    const test = await wg.data.loadMnist({ train: false, limit: 1000 });
    expect(await evaluate(restored, test.images, test.labels)).toBeCloseTo(acc, 6);
  });
});
