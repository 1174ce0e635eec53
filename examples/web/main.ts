// The browser demo: loads MNIST from the served IDX files, trains 784 → 128 → 10 or the CNN
// (the model picker) in the page (WebGPU, or the CPU backend where the browser has none) with a live loss chart and test
// accuracy, then classifies digits drawn on the pad. The model, normalisation and evaluation
// come from examples/mnist/model.ts, as in the Node trainer; the loss, optimizer and loop are
// those of examples/mnist/train.ts. The served bundle replaces the library import (here and in
// model.ts) with `./webgrad.js` (the library's browser build; see serve.ts).
//
// Query parameters: ?backend=auto|webgpu|cpu &model=mlp|cnn &train=12000 (training images) &test=10000
// (test images) &batch=64 &steps=600 (steps trained on load) &autostart=0 (wait for the button).
import * as wg from 'webgrad-gpu';
import { drawLossChart } from './chart.js';
import { MNIST_NORMALIZE, buildModel, evaluate as evaluateModel, type ModelKind } from '../mnist/model.js';
import { DrawPad, showPixels } from './draw.js';

const { nn, optim, data } = wg;
const F = nn.functional;

const LR = 1e-3;
/** Steps between loss readbacks: each readback makes JS wait for the GPU. */
const READ_EVERY = 10;

export interface Prediction {
  digit: number;
  probs: number[];
}

export interface DemoState {
  status: 'loading' | 'ready' | 'training' | 'evaluating' | 'error';
  /** The model being trained (the picker; ?model=). */
  model: ModelKind;
  backend: 'cpu' | 'webgpu' | null;
  adapter: string;
  /** False when the browser has no `navigator.gpu` at all. */
  webgpuInBrowser: boolean;
  trainImages: number;
  testImages: number;
  step: number;
  /** [step, mean training loss over the last READ_EVERY steps] */
  losses: [number, number][];
  testAccuracy: number | null;
  samplesPerSecond: number | null;
  prediction: Prediction | null;
  error: string | null;
}

export interface TrainResult {
  steps: number;
  seconds: number;
  losses: [number, number][];
}

/** What the page exposes on `window.demo` (for tests and the console). */
export interface Demo {
  state: DemoState;
  /** Resolves when the data is loaded and the model built (rejects if that fails). */
  ready: Promise<void>;
  train(steps: number): Promise<TrainResult>;
  /** Starts over with a freshly initialised model of `kind` (training so far is dropped). */
  setModel(kind: ModelKind): Promise<void>;
  evaluate(): Promise<number>;
  /** 784 pixels in [0, 1] (MNIST layout: white digit on black) -> class probabilities. */
  predict(pixels: ArrayLike<number>): Promise<Prediction>;
  /** Classifies what is on the pad (null when it is empty) and shows the result. */
  predictDrawing(): Promise<Prediction | null>;
  clearDrawing(): void;
}

declare global {
  interface Window {
    demo: Demo;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const intParam = (name: string, dflt: number) => {
  const v = Number(params.get(name) ?? dflt);
  return Number.isInteger(v) && v >= 0 ? v : dflt;
};
const opts = {
  backend: (params.get('backend') ?? 'auto') as wg.BackendChoice,
  trainLimit: intParam('train', 12000),
  testLimit: intParam('test', 10000),
  steps: intParam('steps', 600),
  batchSize: Math.max(1, intParam('batch', 64)),
  autostart: params.get('autostart') !== '0',
};

const state: DemoState = {
  status: 'loading',
  model: params.get('model') === 'cnn' ? 'cnn' : 'mlp',
  backend: null,
  adapter: '',
  webgpuInBrowser: 'gpu' in navigator,
  trainImages: 0,
  testImages: 0,
  step: 0,
  losses: [],
  testAccuracy: null,
  samplesPerSecond: null,
  prediction: null,
  error: null,
};

let model: wg.nn.Sequential;
let opt: wg.optim.Adam;
let batches: AsyncIterator<{ x: wg.Tensor; y: wg.Tensor }>;
let testSet: wg.data.Mnist;
let queue: Promise<unknown> = Promise.resolve();

/** Runs training and evaluation one after another, never interleaved. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn);
  queue = run.catch(() => {});
  return run;
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0)); // lets the page repaint

function render(): void {
  const s = state;
  $('status').textContent =
    s.status === 'loading' ? 'loading MNIST…'
    : s.status === 'training' ? `training… step ${s.step}`
    : s.status === 'evaluating' ? 'measuring test accuracy…'
    : s.status === 'error' ? `error: ${s.error}`
    : `ready: ${s.step} steps trained`;
  $('status').className = s.status === 'error' ? 'error' : '';
  const last = s.losses.at(-1);
  $('loss-value').textContent = last ? last[1].toFixed(4) : '–';
  $('acc-value').textContent = s.testAccuracy === null ? '–' : `${(100 * s.testAccuracy).toFixed(2)}%`;
  $('speed-value').textContent = s.samplesPerSecond === null ? '–' : `${Math.round(s.samplesPerSecond)}`;
  $('step-value').textContent = String(s.step);
  $('data-value').textContent = `${s.trainImages} train / ${s.testImages} test`;
  $('batch-value').textContent = String(opts.batchSize);
  ($('train-btn') as HTMLButtonElement).disabled = s.status !== 'ready';
  ($('model-select') as HTMLSelectElement).value = s.model;
  ($('model-select') as HTMLSelectElement).disabled = s.status !== 'ready';
  drawLossChart($('loss-chart'), s.losses);
}

function renderPrediction(p: Prediction | null): void {
  $('predicted').textContent = p ? String(p.digit) : '?';
  const rows = $('bars').children;
  for (let d = 0; d < 10; d++) {
    const row = rows[d] as HTMLElement;
    const prob = p ? p.probs[d] : 0;
    (row.querySelector('.bar') as HTMLElement).style.width = `${(100 * prob).toFixed(1)}%`;
    (row.querySelector('.pct') as HTMLElement).textContent = p ? `${(100 * prob).toFixed(1)}%` : '';
    row.classList.toggle('top', p?.digit === d);
  }
}

async function setup(): Promise<void> {
  const info = await wg.init({ backend: opts.backend, verbose: false });
  state.backend = info.name;
  const a = info.adapter;
  state.adapter = a ? [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') : '';
  $('backend').textContent = info.name === 'webgpu' ? `WebGPU${state.adapter ? ` (${state.adapter})` : ''}` : 'CPU (TypeScript kernels)';
  if (info.name === 'cpu') {
    $('notice').hidden = false;
    $('notice').textContent = !state.webgpuInBrowser
      ? 'This browser has no WebGPU (navigator.gpu is missing), so the demo runs on webgrad’s CPU backend (TypeScript kernels) instead.'
      : opts.backend === 'cpu'
        ? 'Running on the CPU backend, as asked (?backend=cpu).'
        : 'No WebGPU adapter could be had, so the demo runs on webgrad’s CPU backend (TypeScript kernels) instead.';
  }

  const dir = new URL('mnist/', location.href);
  const [trainSet, test] = await Promise.all([
    data.loadMnist({ dir, train: true, limit: opts.trainLimit }),
    data.loadMnist({ dir, train: false, limit: opts.testLimit }),
  ]);
  testSet = test;
  state.trainImages = trainSet.count;
  state.testImages = test.count;

  newModel(state.model);
  const loader = new data.DataLoader(trainSet, { batchSize: opts.batchSize, shuffle: true, seed: 0, normalize: MNIST_NORMALIZE });
  batches = (async function* () {
    for (;;) yield* loader; // epoch after epoch
  })();
  state.status = 'ready';
  render();
}

/** A fresh model of `kind` and its optimizer, seeded as the Node trainer seeds them. */
function newModel(kind: ModelKind): void {
  if (model) {
    for (const p of model.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
    opt.dispose();
  }
  wg.manualSeed(0);
  state.model = kind;
  model = buildModel(kind, 128);
  opt = new optim.Adam([...model.parameters()], { lr: LR });
}

function setModel(kind: ModelKind): Promise<void> {
  return exclusive(async () => {
    newModel(kind);
    state.step = 0;
    state.losses = [];
    state.testAccuracy = null;
    state.samplesPerSecond = null;
    render();
  });
}

function train(steps: number): Promise<TrainResult> {
  return exclusive(async () => {
    state.status = 'training';
    render();
    const start = performance.now();
    const first = state.losses.length;
    let lossSum = wg.zeros([]);
    let seen = 0;
    try {
      for (let i = 1; i <= steps; i++) {
        const { x, y } = (await batches.next()).value;
        const next = wg.scope(() => {
          const loss = F.crossEntropy(model.forward(x), y);
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return wg.noGrad(() => lossSum.add(loss.mul(y.shape[0])));
        });
        lossSum.dispose();
        lossSum = next;
        seen += y.shape[0];
        x.dispose();
        y.dispose();
        state.step++;
        if (i % READ_EVERY === 0 || i === steps) {
          state.losses.push([state.step, (await lossSum.item()) / seen]);
          lossSum.dispose();
          lossSum = wg.zeros([]);
          seen = 0;
          state.samplesPerSecond = (i * opts.batchSize) / ((performance.now() - start) / 1000);
          render();
          await tick();
        }
      }
    } finally {
      lossSum.dispose();
      state.status = 'ready';
      render();
    }
    return { steps, seconds: (performance.now() - start) / 1000, losses: state.losses.slice(first) };
  });
}

function evaluate(): Promise<number> {
  return exclusive(async () => {
    state.status = 'evaluating';
    render();
    try {
      state.testAccuracy = await evaluateModel(model, testSet.images, testSet.labels);
      return state.testAccuracy;
    } finally {
      state.status = 'ready';
      render();
    }
  });
}

async function predict(pixels: ArrayLike<number>): Promise<Prediction> {
  if (pixels.length !== 784) throw new Error(`predict: expected 784 pixels (28×28), got ${pixels.length}`);
  const { mean, std } = MNIST_NORMALIZE;
  const x = Float32Array.from(pixels, (v) => (v - mean) / std);
  // Runs between training steps if training is on: each step is built synchronously.
  const wasTraining = model.training;
  model.eval();
  const probs = wg.scope(() => wg.noGrad(() => model.forward(wg.tensor(x).reshape(1, 784)).softmax(1)));
  model.train(wasTraining);
  const p = Array.from(await probs.toArray());
  probs.dispose();
  return { digit: p.indexOf(Math.max(...p)), probs: p };
}

let pad: DrawPad;

async function predictDrawing(): Promise<Prediction | null> {
  const pixels = pad.pixels();
  if (!pixels) return null;
  showPixels($('preview'), pixels);
  state.prediction = await predict(pixels);
  renderPrediction(state.prediction);
  return state.prediction;
}

function clearDrawing(): void {
  pad.clear();
  showPixels($('preview'), new Float32Array(784));
  state.prediction = null;
  renderPrediction(null);
}

async function trainAndEvaluate(steps: number): Promise<void> {
  await train(steps);
  await evaluate();
  if (!pad.empty) await predictDrawing();
}

function fail(e: unknown): void {
  state.status = 'error';
  state.error = e instanceof Error ? e.message : String(e);
  console.error(e);
  render();
}

// ---- wiring ----

const bars = $('bars');
for (let d = 0; d < 10; d++) {
  const row = document.createElement('li');
  row.innerHTML = `<span class="digit">${d}</span><span class="track"><span class="bar"></span></span><span class="pct"></span>`;
  bars.append(row);
}
pad = new DrawPad($('pad'), () => {
  if (state.status !== 'loading' && state.status !== 'error') predictDrawing().catch(fail);
});
$('clear-btn').addEventListener('click', clearDrawing);
$('train-btn').addEventListener('click', () => trainAndEvaluate(500).catch(fail));
$('model-select').addEventListener('change', () => {
  const kind = ($('model-select') as HTMLSelectElement).value === 'cnn' ? 'cnn' : 'mlp';
  setModel(kind).then(() => trainAndEvaluate(opts.steps)).catch(fail);
});
new ResizeObserver(() => drawLossChart($('loss-chart'), state.losses)).observe($('loss-chart'));
render();

const ready = setup();
window.demo = { state, ready, train, setModel, evaluate, predict, predictDrawing, clearDrawing };
ready.then(() => (opts.autostart ? trainAndEvaluate(opts.steps) : undefined)).catch(fail);
