// Issue 15 item 10: a lost device is detected, reported and recovered from. The MNIST job
// checkpoints after every epoch; a run whose device is destroyed mid-epoch (WebGPU), or that
// crashes (CPU), is resumed from the last checkpoint with `resume` after a new init() and ends
// with exactly the metrics of an uninterrupted run. Small: 320 training images, 3 epochs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { type MnistOptions, train } from '../examples/mnist/train.js';
import type { WebGPUBackend } from '../src/backend/webgpu/webgpu-backend.js';
import { getBackend } from '../src/runtime.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describeEachBackend(backends, 'MNIST checkpoint and resume', (backend) => {
  const opts = async (): Promise<MnistOptions> => {
    const out = await mkdtemp(join(tmpdir(), 'webgrad-resume-'));
    dirs.push(out);
    return {
      epochs: 3, batchSize: 32, lr: 2e-3, lrDecay: 0.5, hidden: 16, optimizer: 'adam', momentum: 0,
      backend, seed: 0, out, limit: 320, testLimit: 200, quiet: true,
    };
  };

  it(`${backend === 'webgpu' ? 'loses the device' : 'crashes'} in epoch 2, resumes from epoch 1's checkpoint and ends as an uninterrupted run`, async () => {
    const whole = await train(await opts());
    for (const p of whole.model.parameters()) p.dispose();

    const o = await opts();
    const lost: wg.DeviceLostInfo[] = [];
    const off = wg.onDeviceLost((info) => lost.push(info));
    const stop = (epoch: number, step: number): void => {
      if (epoch !== 2 || step !== 3) return;
      if (backend === 'webgpu') (getBackend() as WebGPUBackend).device.destroy(); // as a driver reset would
      else throw new Error('simulated crash');
    };
    let err: unknown = null;
    try {
      await train({ ...o, onStep: stop });
    } catch (e) {
      err = e;
    }
    if (backend === 'webgpu') {
      expect(err).toBeInstanceOf(wg.WebgradError);
      expect(String(err)).toMatch(/lost|destroyed/);
      expect(lost.map((l) => l.reason)).toEqual(['destroyed']);
      expect(wg.backendInfo().lost).toEqual(lost[0]);
    } else {
      expect(String(err)).toMatch(/simulated crash/);
    }
    off();

    // train() calls init() again (a fresh device), then loads the checkpoint of epoch 1.
    const resumed = await train({ ...o, resume: true });
    expect(wg.backendInfo().lost ?? null).toBeNull();
    const strip = (ms: typeof whole.metrics): unknown[] => ms.map(({ epoch, trainLoss, trainAccuracy, testAccuracy }) => ({ epoch, trainLoss, trainAccuracy, testAccuracy }));
    expect(strip(resumed.metrics)).toEqual(strip(whole.metrics));
    expect(resumed.metrics.at(-1)!.testAccuracy).toBeGreaterThan(0.5);
    for (const p of resumed.model.parameters()) p.dispose();
    await wg.init({ backend, verbose: false });
  }, 120_000);
});
