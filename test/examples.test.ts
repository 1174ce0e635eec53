// The seed programs as tests: each example's main() runs on the CPU backend (float64 is
// CPU-only) and its numbers are checked against the tutorial's.
import { afterAll, describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { main as andNeuron } from '../examples/and-neuron.js';
import { main as logisticRegression } from '../examples/logistic-regression.js';
import { main as twoLayerNet } from '../examples/two-layer-net.js';
import { main as pytorchMnist } from '../examples/pytorch-mnist.js';
import { backendsUnderTest, skipReason } from './helpers/backends.js';

// What the tutorial prints (Python floats, which reproduce exactly in float64).
const TUTORIAL = [0.4514297388906616, 0.2369025056182418, -0.611635769357402];
const AND = { '0&1': 0, '1&0': 0, '0&0': 0, '1&1': 1 };

describe('examples (CPU backend)', () => {
  afterAll(() => wg.destroy());

  it('and-neuron reproduces the tutorial exactly in float64', async () => {
    const r = await andNeuron({ backend: 'cpu', dtype: 'float64', log: false });
    expect(r.weights).toEqual(TUTORIAL);
    expect(r.truthTable).toEqual(AND);
  });

  it('and-neuron matches the tutorial within 1e-5 in float32', async () => {
    const r = await andNeuron({ backend: 'cpu', log: false });
    r.weights.forEach((w, i) => expect(Math.abs(w - TUTORIAL[i]), `weight ${i}: ${w}`).toBeLessThan(1e-5));
    expect(r.truthTable).toEqual(AND);
  });

  it('logistic-regression: the loss falls and every sample ends up classified right', async () => {
    const r = await logisticRegression({ backend: 'cpu', log: false });
    expect(r.steps.at(-1)).toBe(200);
    for (let i = 1; i < r.losses.length; i++) expect(r.losses[i]).toBeLessThan(r.losses[i - 1]);
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0] / 10);
    expect(r.accuracies[0]).toBeLessThan(1);
    expect(r.accuracies.at(-1)).toBe(1);
  });

  it('two-layer-net: the loss falls every 50 steps and memory stays flat', async () => {
    const r = await twoLayerNet({ backend: 'cpu', log: false });
    expect(r.steps).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 499]);
    for (let i = 1; i < r.losses.length; i++) expect(r.losses[i]).toBeLessThan(r.losses[i - 1]);
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0] / 20);
    // Flat (the count may only drop, as the GC finalizes earlier tests' garbage).
    expect(r.liveTensors[1]).toBeLessThanOrEqual(r.liveTensors[0]);
  });

  // PyTorch's MNIST example, ported: 5 batches of its 1.2M-parameter Net (Adadelta lr 1.0)
  // already move the test loss off ln 10 = 2.303 (2.05 and 31% on 200 test images, seed 1).
  it("pytorch-mnist: PyTorch's MNIST example trains on a slice, the test loss falling below chance", async () => {
    const r = await pytorchMnist({ backend: 'cpu', limit: 320, testLimit: 200, logInterval: 1, log: false });
    expect(r.trainLosses).toHaveLength(5);
    expect(r.trainLosses[0]).toBeGreaterThan(2.2);
    expect(r.trainLosses.at(-1)!).toBeLessThan(r.trainLosses[0] - 0.3);
    expect(r.testLosses[0]).toBeLessThan(2.2);
    expect(r.accuracies[0]).toBeGreaterThan(0.2);
  }, 180_000);
});

// The same programs on the GPU, where an adapter exists (float32 only there).
const gpu = (await backendsUnderTest()).filter((b) => b !== 'cpu');
for (const backend of gpu) {
  // Without an adapter: declared but skipped, with the reason in the name (a failure under CI).
  const skip = skipReason(backend);
  (skip ? describe.skip : describe)(`examples (${backend} backend)${skip ? ` (SKIPPED: ${skip})` : ''}`, () => suite(backend));
}

function suite(backend: wg.BackendChoice): void {
  afterAll(() => wg.destroy());

  it('and-neuron matches the tutorial within 1e-5', async () => {
    const r = await andNeuron({ backend, log: false });
    r.weights.forEach((w, i) => expect(Math.abs(w - TUTORIAL[i]), `weight ${i}: ${w}`).toBeLessThan(1e-5));
    expect(r.truthTable).toEqual(AND);
  });

  it('logistic-regression and two-layer-net agree with the CPU run', async () => {
    const cpuLr = await logisticRegression({ backend: 'cpu', log: false });
    const gpuLr = await logisticRegression({ backend, log: false });
    expect(gpuLr.accuracies.at(-1)).toBe(1);
    gpuLr.losses.forEach((l, i) => expect(Math.abs(l - cpuLr.losses[i])).toBeLessThan(1e-4 * Math.max(1, cpuLr.losses[i])));
    const cpuNet = await twoLayerNet({ backend: 'cpu', steps: 101, log: false });
    const gpuNet = await twoLayerNet({ backend, steps: 101, log: false });
    gpuNet.losses.forEach((l, i) => expect(Math.abs(l - cpuNet.losses[i])).toBeLessThan(1e-3 * cpuNet.losses[i]));
    expect(gpuNet.liveTensors[1]).toBeLessThanOrEqual(gpuNet.liveTensors[0]);
  });
}
