// `npm run mnist` and `npm run gpt` with their training step through wg.compile: the same
// numbers as the eager step on both backends (tiny runs), and the --compile / --no-compile
// flags end to end (the scripts as the README runs them, on the CPU backend).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, train as trainGpt } from '../examples/gpt/train.js';
import { train as trainMnist, type MnistOptions } from '../examples/mnist/train.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

/** |a - b| <= rel·|b|, with the values in the message. */
const near = (a: number, b: number, rel: number, what: string): void => {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.abs(b));
};

describeEachBackend(backends, 'examples with compiled steps', (backend) => {
  // 600 images in batches of 64: nine full batches and one of 24, so the compiled step traces
  // twice (two signatures); over two epochs both signatures also run compiled.
  const mnist = (compile: boolean): MnistOptions => ({
    epochs: 2, batchSize: 64, lr: 2e-3, lrDecay: 1, hidden: 32, optimizer: 'adam', momentum: 0,
    backend, seed: 0, out: '', limit: 600, testLimit: 200, quiet: true, compile,
  });

  it('mnist: the compiled step gives the eager step\'s loss, accuracy and weights', async () => {
    // train() initialises the backend afresh: read each run's weights before the next starts.
    const eager = await trainMnist(mnist(false));
    const we = await eager.model.stateDict()['2.bias'].toArray();
    const compiled = await trainMnist(mnist(true));
    const wc = await compiled.model.stateDict()['2.bias'].toArray();
    const [e, c] = [eager.metrics[1], compiled.metrics[1]];
    // The fused chains apply the same WGSL expressions as the separate kernels; measured equal
    // to the printed digit. 1e-5 leaves room for float32 contraction differences.
    near(c.trainLoss, e.trainLoss, 1e-5, 'train loss');
    expect(c.trainAccuracy).toBe(e.trainAccuracy);
    expect(c.testAccuracy).toBe(e.testAccuracy);
    wc.forEach((v, i) => expect(Math.abs(v - we[i]), `2.bias[${i}]`).toBeLessThan(1e-5));
    expect(eager.compiled).toBeNull();
    const info = compiled.compiled!;
    expect([info.calls, info.traces, info.plans]).toEqual([20, 2, 2]);
    // On WebGPU the last call (epoch 2's batch of 24) ran fused: fewer dispatches than its trace.
    if (backend === 'webgpu') expect(info.dispatches!).toBeLessThan(info.eagerDispatches!);
    else expect([info.eagerDispatches, info.dispatches]).toEqual([null, null]);
  }, 120_000);

  it('gpt: the compiled step gives the eager step\'s training and validation losses', async () => {
    const o = {
      ...DEFAULTS, steps: 6, layers: 1, heads: 2, embd: 16, block: 16, batch: 4, lr: 1e-2, warmup: 2,
      evalEvery: 6, logEvery: 2, backend, trainLimit: 5_000, valLimit: 500, sampleTokens: 5, quiet: true,
    };
    const eager = await trainGpt({ ...o, compile: false });
    const compiled = await trainGpt({ ...o, compile: true });
    expect(compiled.trainCurve.map(([s]) => s)).toEqual([2, 4, 6]);
    compiled.trainCurve.forEach(([s, l], i) => near(l, eager.trainCurve[i][1], 1e-5, `train loss at step ${s}`));
    near(compiled.finalValLoss, eager.finalValLoss, 1e-5, 'validation loss');
    expect(compiled.sample).toBe(eager.sample);
    const info = compiled.compiled!;
    expect([info.calls, info.traces]).toEqual([6, 1]);
    if (backend === 'webgpu') expect(info.dispatches!).toBeLessThan(info.eagerDispatches!);
  }, 120_000);
});

const run = promisify(execFile);
/** Runs an example script as `npm run` does; resolves to its stdout (rejects on a non-zero exit). */
const script = async (path: string, args: string[]): Promise<string> =>
  (await run(process.execPath, ['--import', './scripts/register.mjs', path, ...args], { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 << 20 })).stdout;

describe('--compile / --no-compile (CPU backend)', () => {
  it('npm run mnist -- --compile compiles the step and says so; --no-compile does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-mnist-compile-'));
    const common = ['--epochs', '1', '--limit', '256', '--test-limit', '100', '--hidden', '16', '--backend', 'cpu'];
    const on = await script('examples/mnist/train.ts', [...common, '--compile', '--out', join(dir, 'on')]);
    expect(on).toMatch(/compiled step: 4 calls, 1 traced \(the CPU backend runs it eagerly\)/);
    const off = await script('examples/mnist/train.ts', [...common, '--no-compile', '--out', join(dir, 'off')]);
    expect(off).not.toMatch(/compiled step/);
    const options = async (d: string) => (JSON.parse(await readFile(join(dir, d, 'metrics.json'), 'utf8')) as { options: { compile: boolean } }).options;
    expect((await options('on')).compile).toBe(true);
    expect((await options('off')).compile).toBe(false);
    // Same run, same numbers (the CPU backend runs a compiled step eagerly).
    expect(on.match(/final test accuracy: .*/)![0]).toBe(off.match(/final test accuracy: .*/)![0]);
  }, 180_000);

  it('npm run gpt compiles its step by default and with --compile; --no-compile runs it eagerly; both flags are refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-gpt-compile-'));
    const common = ['--steps', '2', '--eval-every', '2', '--log-every', '1', '--layers', '1', '--heads', '1', '--embd', '8', '--block', '8', '--batch', '2',
      '--train-limit', '2000', '--val-limit', '200', '--sample-tokens', '5', '--backend', 'cpu'];
    const on = await script('examples/gpt/train.ts', [...common, '--compile', '--out', join(dir, 'on')]);
    expect(on).toMatch(/compiled step: 2 calls, 1 traced/);
    const dflt = await script('examples/gpt/train.ts', [...common, '--out', join(dir, 'default')]);
    expect(dflt).toMatch(/compiled step: 2 calls, 1 traced/);
    const off = await script('examples/gpt/train.ts', [...common, '--no-compile', '--out', join(dir, 'off')]);
    expect(off).not.toMatch(/compiled step/);
    expect(on.match(/final validation loss: .*/)![0]).toBe(off.match(/final validation loss: .*/)![0]);
    await expect(script('examples/gpt/train.ts', ['--compile', '--no-compile'])).rejects.toThrow(/--compile and --no-compile contradict each other/);
  }, 180_000);
});
