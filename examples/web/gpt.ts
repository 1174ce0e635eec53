// The GPT page: fetches Moby-Dick from the demo server, trains the character-level GPT of
// `npm run gpt` (examples/gpt/model.ts: the same model, AdamW, warm-up + cosine schedule and
// gradient clipping) in the tab with a live loss chart, and streams text sampled from the model
// every few dozen steps, one character at a time, while it trains.
//
// Query parameters: ?backend=auto|webgpu|cpu &steps=300 (trained on load) &total=1500 (the
// schedule's length) &layers=2 &heads=4 &embd=64 &block=64 &batch=32 &sample-every=100
// &sample-chars=200 &autostart=0 (wait for the button).
import * as wg from 'webgrad-gpu';
import { drawLossChart } from './chart.js';
import { GPT, generate } from '../gpt/model.js';

const { nn, optim, data } = wg;
const F = nn.functional;

/** Steps between loss readbacks: each readback makes JS wait for the GPU. */
const READ_EVERY = 10;
const WARMUP = 100;
const PROMPT = 'The whale';

export interface GptDemoState {
  status: 'loading' | 'ready' | 'training' | 'error';
  backend: 'cpu' | 'webgpu' | null;
  vocabSize: number;
  parameters: number;
  step: number;
  /** [step, mean training loss over the last READ_EVERY steps] */
  losses: [number, number][];
  tokensPerSecond: number | null;
  /** Every sample written so far, oldest first. */
  samples: { step: number; text: string }[];
  error: string | null;
}

/** What the page exposes on `window.gptDemo` (for tests and the console). */
export interface GptDemo {
  state: GptDemoState;
  ready: Promise<void>;
  /** Trains `steps` more steps (sampling every sample-every steps); resolves with the losses read. */
  train(steps: number): Promise<[number, number][]>;
  /** Samples `chars` characters after `prompt`, streamed into the page; resolves with them. */
  sample(chars: number, prompt?: string): Promise<string>;
}

declare global {
  interface Window {
    gptDemo: GptDemo;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const intParam = (name: string, dflt: number, min = 0) => {
  const v = Number(params.get(name) ?? dflt);
  return Number.isInteger(v) && v >= min ? v : dflt;
};
const opts = {
  backend: (params.get('backend') ?? 'auto') as wg.BackendChoice,
  steps: intParam('steps', 300),
  total: intParam('total', 1500, WARMUP + 1),
  layers: intParam('layers', 2, 1),
  heads: intParam('heads', 4, 1),
  embd: intParam('embd', 64, 1),
  block: intParam('block', 64, 2),
  batch: intParam('batch', 32, 1),
  sampleEvery: intParam('sample-every', 100, 1),
  sampleChars: intParam('sample-chars', 200, 1),
  autostart: params.get('autostart') !== '0',
};

const state: GptDemoState = {
  status: 'loading',
  backend: null,
  vocabSize: 0,
  parameters: 0,
  step: 0,
  losses: [],
  tokensPerSecond: null,
  samples: [],
  error: null,
};

let model: GPT;
let opt: wg.optim.AdamW;
let sched: wg.optim.lrScheduler.LambdaLR;
let tokenizer: wg.data.CharTokenizer;
let batches: wg.data.TextBatches;
let queue: Promise<unknown> = Promise.resolve();

/** Runs training and sampling one after another, never interleaved. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn);
  queue = run.catch(() => {});
  return run;
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0)); // lets the page repaint

/** `npm run gpt`'s schedule: linear warm-up over 100 steps, then cosine decay to 10% at `total`. */
const lrFactor = (it: number): number =>
  it < WARMUP ? (it + 1) / WARMUP : 0.1 + 0.45 * (1 + Math.cos((Math.PI * Math.min(it - WARMUP, opts.total - WARMUP)) / (opts.total - WARMUP)));

function render(): void {
  const s = state;
  $('status').textContent =
    s.status === 'loading' ? 'loading Moby-Dick…'
    : s.status === 'training' ? `training… step ${s.step}`
    : s.status === 'error' ? `error: ${s.error}`
    : `ready: ${s.step} steps trained`;
  $('status').className = s.status === 'error' ? 'error' : '';
  const last = s.losses.at(-1);
  $('loss-value').textContent = last ? last[1].toFixed(3) : '–';
  $('step-value').textContent = String(s.step);
  $('speed-value').textContent = s.tokensPerSecond === null ? '–' : String(Math.round(s.tokensPerSecond));
  $('lr-value').textContent = opt ? opt.paramGroups[0].lr.toExponential(2) : '–';
  ($('train-btn') as HTMLButtonElement).disabled = s.status !== 'ready';
  drawLossChart($('loss-chart'), s.losses);
}

async function setup(): Promise<void> {
  const info = await wg.init({ backend: opts.backend, verbose: false });
  state.backend = info.name;
  $('backend').textContent = info.name === 'webgpu' ? 'WebGPU' : 'CPU (TypeScript kernels)';
  if (info.name === 'cpu') {
    $('notice').hidden = false;
    $('notice').textContent = 'No WebGPU here (or ?backend=cpu): the GPT trains on webgrad’s CPU backend, slowly.';
  }
  const res = await fetch('moby-dick.txt');
  if (!res.ok) throw new Error(`moby-dick.txt: HTTP ${res.status}`);
  const text = await res.text();
  tokenizer = data.CharTokenizer.fromText(text);
  const { train } = data.trainValSplit(tokenizer.encode(text), 0.9);
  state.vocabSize = tokenizer.vocabSize;

  wg.manualSeed(0);
  model = new GPT({ vocabSize: tokenizer.vocabSize, layers: opts.layers, heads: opts.heads, embd: opts.embd, block: opts.block });
  state.parameters = [...model.parameters()].reduce((n, p) => n + p.numel, 0);
  opt = new optim.AdamW(model.paramGroups(0.1, true), { lr: 3e-3, betas: [0.9, 0.99] });
  sched = new optim.lrScheduler.LambdaLR(opt, lrFactor);
  batches = new data.TextBatches(train, { batchSize: opts.batch, blockSize: opts.block, seed: 0 });
  $('model-value').textContent =
    `${opts.layers} layers, ${opts.heads} heads, embedding ${opts.embd}, block ${opts.block}, batch ${opts.batch}, ${state.parameters.toLocaleString('en')} parameters, vocabulary ${tokenizer.vocabSize}`;
  state.status = 'ready';
  render();
}

function train(steps: number): Promise<[number, number][]> {
  return exclusive(async () => {
    state.status = 'training';
    render();
    const first = state.losses.length;
    const params = [...model.parameters()];
    let lossSum = wg.zeros([]);
    let start = performance.now();
    let counted = 0;
    try {
      for (let i = 1; i <= steps; i++) {
        const { x, y } = batches.next();
        const next = wg.scope(() => {
          opt.zeroGrad();
          const loss = F.crossEntropy(model.forward(x), y.reshape([-1]));
          loss.backward();
          nn.utils.clipGradNorm_(params, 1.0);
          opt.step();
          return wg.noGrad(() => lossSum.add(loss));
        });
        sched.step();
        lossSum.dispose();
        lossSum = next;
        x.dispose();
        y.dispose();
        state.step++;
        counted++;
        if (i % READ_EVERY === 0 || i === steps) {
          state.losses.push([state.step, (await lossSum.item()) / counted]);
          lossSum.dispose();
          lossSum = wg.zeros([]);
          state.tokensPerSecond = (counted * opts.batch * opts.block) / ((performance.now() - start) / 1000);
          counted = 0;
          render();
          await tick();
          start = performance.now();
        }
        if (state.step % opts.sampleEvery === 0) {
          await streamSample(opts.sampleChars, PROMPT);
          start = performance.now();
        }
      }
    } finally {
      lossSum.dispose();
      state.status = 'ready';
      render();
    }
    return state.losses.slice(first);
  });
}

/** Samples `chars` characters after `prompt` into a new block of the page, one at a time. */
async function streamSample(chars: number, prompt: string): Promise<string> {
  const pre = $('sample');
  const head = document.createElement('span');
  head.className = 'step';
  head.textContent = `${pre.childElementCount ? '\n\n' : ''}— step ${state.step} —\n`;
  const body = document.createElement('span');
  body.textContent = prompt;
  pre.append(head, body);
  let ids = tokenizer.encode(prompt);
  let out = '';
  for (let i = 0; i < chars; i++) {
    const [id] = await generate(model, ids, { tokens: 1, temperature: 0.8, topK: 40 });
    const c = tokenizer.decode([id]);
    out += c;
    body.textContent += c;
    ids = Int32Array.from([...ids.slice(-opts.block + 1), id]);
    if (i % 8 === 7) await tick();
  }
  pre.scrollTop = pre.scrollHeight;
  state.samples.push({ step: state.step, text: prompt + out });
  return out;
}

function sample(chars: number, prompt = PROMPT): Promise<string> {
  return exclusive(() => streamSample(chars, prompt));
}

function fail(e: unknown): void {
  state.status = 'error';
  state.error = e instanceof Error ? e.message : String(e);
  console.error(e);
  render();
}

$('train-btn').addEventListener('click', () => train(100).catch(fail));
new ResizeObserver(() => drawLossChart($('loss-chart'), state.losses)).observe($('loss-chart'));
render();

const ready = setup();
window.gptDemo = { state, ready, train, sample };
ready.then(() => (opts.autostart ? train(opts.steps) : undefined)).catch(fail);
