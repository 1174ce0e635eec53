// `npm run mnist`: trains 784 → 128 → 10 (ReLU), or with `--model cnn` a small CNN
// (examples/mnist/model.ts), with softmax cross-entropy on MNIST, on WebGPU where an adapter
// exists, else on the CPU backend; writes curves, metrics and safetensors.
//   npm run mnist -- --model mlp --epochs 5 --optimizer adam --lr 2e-3 --lr-decay 0.5 --batch-size 64 --hidden 128
//   npm run mnist -- --eval out/mnist/model.safetensors
//   npm run mnist -- --resume      continue from out/mnist/checkpoint.safetensors (saved every epoch)
//   npm run mnist -- --compile     the training step through wg.compile (--no-compile: eager, the default)
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as wg from 'webgrad-gpu';
import { trainingChart } from '../shared/chart.js';
import { checkpointPath, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { MNIST_NORMALIZE, buildModel, evaluate, makeCnn, makeModel, modelKindOf, type ModelKind } from './model.js';
import { ProgressBar } from '../shared/progress.js';

export { MNIST_NORMALIZE, buildModel, evaluate, makeCnn, makeModel, type ModelKind };

const { nn, optim, data } = wg;
/** Whether `npm run mnist` compiles its step without --compile/--no-compile (BENCHMARKS.md, "Issue 14"). */
const COMPILE_DEFAULT = false;
const F = nn.functional;

export interface MnistOptions {
  /** 'mlp' (784-hidden-10, the default) or 'cnn' (examples/mnist/model.ts). */
  model?: ModelKind;
  epochs: number;
  batchSize: number;
  lr: number;
  hidden: number;
  optimizer: 'adam' | 'sgd';
  momentum: number;
  /** The learning rate is multiplied by this after every epoch (PyTorch's ExponentialLR). */
  lrDecay: number;
  backend: wg.BackendChoice;
  seed: number;
  out: string;
  /** Use only the first N training images (quick runs and tests). */
  limit?: number;
  testLimit?: number;
  quiet: boolean;
  /** Continue from `out`/checkpoint.safetensors (written after every epoch when `out` is set). */
  resume?: boolean;
  /**
   * Run the training step through `wg.compile` (its elementwise chains fused on WebGPU). Off by
   * default: on lavapipe it saves 2 of 24 dispatches and no measurable time (BENCHMARKS.md, "Issue 14").
   */
  compile?: boolean;
  /** Called after every training step (tests use it to lose the device mid-epoch). */
  onStep?: (epoch: number, step: number) => void;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
}

export async function train(o: MnistOptions): Promise<{
  metrics: EpochMetrics[];
  model: wg.nn.Sequential;
  lossCurve: [number, number][];
  /** The compiled step's `info()` at the end (null without `compile`). */
  compiled: wg.CompiledStepInfo | null;
}> {
  const log = o.quiet ? () => {} : console.log;
  const info = await wg.init({ backend: o.backend, verbose: !o.quiet });
  wg.manualSeed(o.seed);
  const trainSet = await data.loadMnist({ train: true, limit: o.limit });
  const testSet = await data.loadMnist({ train: false, limit: o.testLimit });
  log(`MNIST: ${trainSet.count} training and ${testSet.count} test images; backend ${info.name}`);

  const model = buildModel(o.model ?? 'mlp', o.hidden);
  const params = [...model.parameters()];
  const opt = o.optimizer === 'adam' ? new optim.Adam(params, { lr: o.lr }) : new optim.SGD(params, { lr: o.lr, momentum: o.momentum });
  const loader = new data.DataLoader(trainSet, { batchSize: o.batchSize, shuffle: true, seed: o.seed, dropLast: false, normalize: MNIST_NORMALIZE });

  let metrics: EpochMetrics[] = [];
  let lossCurve: [number, number][] = [];
  let first = 1;
  if (o.resume) {
    // Model, optimizer state, RNG and metrics as they were after the last finished epoch; the
    // loader then shuffles the next epoch as the uninterrupted run would have.
    const progress = await loadCheckpoint(o.out, model, opt);
    ({ metrics, lossCurve } = progress);
    first = progress.epoch + 1;
    loader.setEpoch(progress.epoch);
    log(`resumed from ${checkpointPath(o.out)} after epoch ${progress.epoch}`);
  }
  // Losses and hit counts are summed on the device and read back only every `readEvery` steps:
  // a readback per step would make every step wait for the GPU.
  const readEvery = 50;
  const trainStep = (x: wg.Tensor, y: wg.Tensor, lossSum: wg.Tensor, hits: wg.Tensor): wg.Tensor[] =>
    wg.scope(() => {
      const logits = model.forward(x);
      const loss = F.crossEntropy(logits, y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return wg.noGrad(() => [lossSum.add(loss.mul(y.shape[0])), hits.add(logits.argmax(1).eq(y).sum())]);
    });
  // The same function, compiled: it traces on the first batch of each shape (the last batch of
  // an epoch may be smaller) and runs fused afterwards.
  const compiled = o.compile ? wg.compile(trainStep) : null;
  const runStep = compiled ?? trainStep;
  // The dispatch counts of the first batch shape once it has run compiled, shown after the epoch.
  let summary: string | null = null;
  let shownSummary = false;
  for (let epoch = first; epoch <= o.epochs; epoch++) {
    for (const group of opt.paramGroups) group.lr = o.lr * o.lrDecay ** (epoch - 1);
    const bar = new ProgressBar(`epoch ${epoch}/${o.epochs}`, loader.length);
    const start = performance.now();
    let lossSum = wg.zeros([]);
    let hits = wg.zeros([]);
    let seen = 0;
    let windowSeen = 0;
    let epochLoss = 0;
    let epochHits = 0;
    let step = 0;
    let shown = 'loss -';
    const drain = async (): Promise<void> => {
      const [l, h] = [await lossSum.item(), await hits.item()];
      epochLoss += l;
      epochHits += h;
      lossCurve.push([epoch - 1 + step / loader.length, l / windowSeen]);
      shown = `loss ${(l / windowSeen).toFixed(4)} acc ${((100 * h) / windowSeen).toFixed(1)}%`;
      lossSum.dispose();
      hits.dispose();
      lossSum = wg.zeros([]);
      hits = wg.zeros([]);
      windowSeen = 0;
    };
    for await (const { x, y } of loader) {
      const [nextLoss, nextHits] = runStep(x, y, lossSum, hits);
      if (compiled && summary === null && compiled.info().dispatches !== null) summary = compiledSummary(compiled.info());
      lossSum.dispose();
      hits.dispose();
      [lossSum, hits] = [nextLoss, nextHits];
      const b = y.shape[0];
      x.dispose();
      y.dispose();
      seen += b;
      windowSeen += b;
      step++;
      if (step % readEvery === 0 || step === loader.length) await drain();
      if (!o.quiet) bar.update(step, seen, shown);
      o.onStep?.(epoch, step);
    }
    lossSum.dispose();
    hits.dispose();
    const seconds = (performance.now() - start) / 1000;
    const testAccuracy = await evaluate(model, testSet.images, testSet.labels);
    const m: EpochMetrics = {
      epoch,
      trainLoss: epochLoss / seen,
      trainAccuracy: epochHits / seen,
      testAccuracy,
      seconds,
      samplesPerSecond: seen / seconds,
    };
    metrics.push(m);
    if (o.out) await saveCheckpoint(o.out, model, opt, { epoch, metrics, lossCurve });
    if (compiled && !shownSummary) {
      log(summary ?? compiledSummary(compiled.info()));
      shownSummary = true;
    }
    log(`epoch ${epoch}: train loss ${m.trainLoss.toFixed(4)}, train acc ${(100 * m.trainAccuracy).toFixed(2)}%, test acc ${(100 * testAccuracy).toFixed(2)}% (${seconds.toFixed(1)} s, ${m.samplesPerSecond.toFixed(0)} samples/s)`);
  }
  return { metrics, model, lossCurve, compiled: compiled?.info() ?? null };
}

/** One line on a compiled step's work per call: dispatches of the traced (eager) call and of a compiled call. */
export function compiledSummary(i: wg.CompiledStepInfo): string {
  if (i.eagerDispatches === null && i.dispatches === null) return `compiled step: ${i.calls} calls, ${i.traces} traced (the CPU backend runs it eagerly)`;
  return `compiled step: ${i.eagerDispatches ?? '?'} dispatches traced (eager), ${i.dispatches ?? '?'} compiled; ${i.calls} calls, ${i.traces} traced`;
}

async function writeArtifacts(o: MnistOptions, metrics: EpochMetrics[], lossCurve: [number, number][], model: wg.nn.Module): Promise<void> {
  await mkdir(o.out, { recursive: true });
  const info = wg.backendInfo();
  await writeFile(`${o.out}/metrics.json`, JSON.stringify({ options: o, backend: info, epochs: metrics, lossCurve }, null, 2));
  const svg = trainingChart(
    [{ label: 'train loss', color: '#1f77b4', points: lossCurve }],
    [
      { label: 'train accuracy', color: '#ff7f0e', points: metrics.map((m) => [m.epoch, m.trainAccuracy]) },
      { label: 'test accuracy', color: '#2ca02c', points: metrics.map((m) => [m.epoch, m.testAccuracy]) },
    ],
  );
  await writeFile(`${o.out}/curves.svg`, svg);
  await wg.save(model.stateDict(), `${o.out}/model.safetensors`, { format: 'pt' });
  console.log(`wrote ${o.out}/model.safetensors, ${o.out}/metrics.json and ${o.out}/curves.svg`);
}

async function evalSaved(path: string, o: MnistOptions): Promise<void> {
  await wg.init({ backend: o.backend, verbose: !o.quiet });
  const state = await wg.load(path);
  const kind = modelKindOf(state);
  if (!kind) throw new Error(`${path}: neither the MLP's state dict (a 2-D '0.weight') nor the CNN's (a 4-D '1.weight')`);
  const model = kind === 'cnn' ? makeCnn() : makeModel(state['0.weight'].shape[0]);
  model.loadStateDict(state);
  const testSet = await data.loadMnist({ train: false, limit: o.testLimit });
  const acc = await evaluate(model, testSet.images, testSet.labels);
  console.log(`${path}: test accuracy ${(100 * acc).toFixed(2)}% on ${testSet.count} images`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'mlp' },
      epochs: { type: 'string', default: '5' },
      'batch-size': { type: 'string', default: '64' },
      lr: { type: 'string' },
      hidden: { type: 'string', default: '128' },
      optimizer: { type: 'string', default: 'adam' },
      momentum: { type: 'string', default: '0.9' },
      'lr-decay': { type: 'string', default: '0.5' },
      backend: { type: 'string', default: 'auto' },
      seed: { type: 'string', default: '0' },
      out: { type: 'string', default: 'out/mnist' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
      eval: { type: 'string' },
      resume: { type: 'boolean', default: false },
      compile: { type: 'boolean' },
      'no-compile': { type: 'boolean' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run mnist -- [--model mlp|cnn] [--epochs 5] [--batch-size 64] [--lr 2e-3] [--hidden 128] [--optimizer adam|sgd] [--momentum 0.9] [--lr-decay 0.5] [--backend auto|webgpu|cpu] [--seed 0] [--out out/mnist] [--limit N] [--test-limit N] [--eval model.safetensors] [--resume] [--compile|--no-compile]');
    return;
  }
  const optimizer = values.optimizer === 'sgd' ? 'sgd' : values.optimizer === 'adam' ? 'adam' : null;
  if (!optimizer) throw new Error(`--optimizer must be adam or sgd, got ${values.optimizer}`);
  if (values.model !== 'mlp' && values.model !== 'cnn') throw new Error(`--model must be mlp or cnn, got ${values.model}`);
  if (values.compile && values['no-compile']) throw new Error('--compile and --no-compile contradict each other');
  const o: MnistOptions = {
    model: values.model,
    epochs: Number(values.epochs),
    batchSize: Number(values['batch-size']),
    lr: Number(values.lr ?? (optimizer === 'adam' ? 2e-3 : 0.05)),
    hidden: Number(values.hidden),
    optimizer,
    momentum: Number(values.momentum),
    lrDecay: Number(values['lr-decay']),
    backend: values.backend as wg.BackendChoice,
    seed: Number(values.seed),
    out: values.out!,
    limit: values.limit ? Number(values.limit) : undefined,
    testLimit: values['test-limit'] ? Number(values['test-limit']) : undefined,
    quiet: values.quiet!,
    resume: values.resume!,
    compile: values.compile ? true : values['no-compile'] ? false : COMPILE_DEFAULT,
  };
  try {
    if (values.eval) {
      await evalSaved(values.eval, o);
      return;
    }
    const { metrics, model, lossCurve } = await train(o);
    await writeArtifacts(o, metrics, lossCurve, model);
    const last = metrics.at(-1);
    if (last) console.log(`final test accuracy: ${(100 * last.testAccuracy).toFixed(2)}%`);
  } finally {
    wg.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
