// `npm run gpt`: trains the character-level GPT of issue 13 on Moby-Dick (model.ts), on WebGPU
// where an adapter exists, else on the CPU backend; writes curves, metrics, a sample and
// safetensors to out/gpt, and ends with `final validation loss: X.XXXX nats/char`.
//   npm run gpt -- --steps 1500 --layers 2 --heads 4 --embd 64 --block 64 --batch 32 --lr 3e-3
//   npm run gpt -- --no-compile      the training step eagerly (the default compiles it with wg.compile)
//   npm run gpt -- --generate "Call me" --tokens 500 --temperature 0.8 --top-k 40 --model out/gpt/model.safetensors
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as wg from 'webgrad-gpu';
import { panelsChart } from '../shared/chart.js';
import { ProgressBar } from '../shared/progress.js';
import { GPT, evaluate, generate, type GptConfig } from './model.js';

const { nn, optim, data } = wg;
const F = nn.functional;

export interface GptOptions {
  steps: number;
  layers: number;
  heads: number;
  embd: number;
  block: number;
  batch: number;
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  /** Decay every parameter (gpt_torch.py) instead of the Linear weights only. */
  decayAll: boolean;
  warmup: number;
  /** The cosine ends at this fraction of lr, at the last step. */
  minLrFactor: number;
  clip: number;
  evalEvery: number;
  /** Read the loss back (and show it) every this many steps. */
  logEvery: number;
  seed: number;
  backend: wg.BackendChoice;
  out: string;
  /** Train on the first N characters of the training split only (tests, quick runs). */
  trainLimit?: number;
  /** Evaluate on the first N characters of the validation split only (tests, quick runs). */
  valLimit?: number;
  sampleTokens: number;
  prompt: string;
  temperature: number;
  topK: number;
  /**
   * Run the training step through `wg.compile` (its elementwise chains fused on WebGPU). On by
   * default (`--no-compile` to compare): on lavapipe the compiled step (214 dispatches instead
   * of 318) ran 1.20x the eager one's speed, interleaved in one process (BENCHMARKS.md, "Issue 14").
   */
  compile: boolean;
  quiet: boolean;
}

export const DEFAULTS: GptOptions = {
  steps: 1500, layers: 2, heads: 4, embd: 64, block: 64, batch: 32, lr: 3e-3, beta1: 0.9, beta2: 0.99,
  weightDecay: 0.1, decayAll: false, warmup: 100, minLrFactor: 0.1, clip: 1, evalEvery: 250, logEvery: 10,
  seed: 0, backend: 'auto', out: 'out/gpt', sampleTokens: 300, prompt: '\n', temperature: 0.8, topK: 40, compile: true, quiet: false,
};

/** gpt_torch.py's schedule: linear warm-up over `warmup` steps, then cosine down to minLrFactor at `steps`. */
export function lrFactor(it: number, o: Pick<GptOptions, 'warmup' | 'steps' | 'minLrFactor'>): number {
  if (it < o.warmup) return (it + 1) / o.warmup;
  const f = o.minLrFactor;
  return f + (1 - f) * 0.5 * (1 + Math.cos((Math.PI * (it - o.warmup)) / Math.max(1, o.steps - o.warmup)));
}

export interface GptResult {
  model: GPT;
  tokenizer: wg.data.CharTokenizer;
  trainCurve: [number, number][];
  valCurve: [number, number][];
  finalValLoss: number;
  msPerStep: number;
  tokensPerSecond: number;
  sample: string;
  paramCount: number;
  /** wg.memory() after each evaluation: flat when the step frees everything it makes. */
  memory: { step: number; liveTensors: number; bytesInUse: number; poolBytes: number }[];
  /** The compiled step's `info()` at the end (null without `compile`). */
  compiled: wg.CompiledStepInfo | null;
}

export async function train(o: GptOptions): Promise<GptResult> {
  const log = o.quiet ? () => {} : console.log;
  const info = await wg.init({ backend: o.backend, verbose: !o.quiet });
  wg.manualSeed(o.seed);
  const text = await data.loadMobyDick();
  const tokenizer = data.CharTokenizer.fromText(text);
  const split = data.trainValSplit(tokenizer.encode(text), 0.9);
  const trainIds = o.trainLimit ? split.train.subarray(0, o.trainLimit) : split.train;
  const valIds = o.valLimit ? split.val.subarray(0, o.valLimit) : split.val;
  const config: GptConfig = { vocabSize: tokenizer.vocabSize, layers: o.layers, heads: o.heads, embd: o.embd, block: o.block };
  const model = new GPT(config);
  const params = [...model.parameters()];
  const paramCount = params.reduce((s, p) => s + p.numel, 0);
  log(`Moby-Dick: ${text.length} chars, vocab ${tokenizer.vocabSize}, train ${trainIds.length}, val ${valIds.length}; GPT ${o.layers}×${o.embd} (${o.heads} heads, block ${o.block}), ${paramCount} parameters; backend ${info.name}`);

  const opt = new optim.AdamW(model.paramGroups(o.weightDecay, o.decayAll), { lr: o.lr, betas: [o.beta1, o.beta2] });
  const sched = new optim.lrScheduler.LambdaLR(opt, (it) => lrFactor(it, o));
  const batches = new data.TextBatches(trainIds, { batchSize: o.batch, blockSize: o.block, seed: o.seed });
  const V = tokenizer.vocabSize;
  const tokensPerStep = o.batch * o.block;

  const trainCurve: [number, number][] = [];
  const valCurve: [number, number][] = [];
  const memory: GptResult['memory'] = [];
  const bar = new ProgressBar('gpt', o.steps, 'tokens');
  let lossSum = wg.zeros([]);
  let windowSteps = 0;
  let shown = 'loss -';
  let trainMs = 0;
  let evalMs = 0;
  // Everything the step makes is freed by the scope, but the loss summed on the device; the
  // only readback is that sum, every logEvery steps.
  const trainStep = (x: wg.Tensor, y: wg.Tensor, lossSum: wg.Tensor): wg.Tensor =>
    wg.scope(() => {
      const loss = F.crossEntropy(model.forward(x), y.reshape([-1]));
      opt.zeroGrad();
      loss.backward();
      nn.utils.clipGradNorm_(params, o.clip);
      opt.step();
      return wg.noGrad(() => lossSum.add(loss));
    });
  // The same function, compiled: the first step traces (runs eagerly), every later one runs fused.
  const compiled = o.compile ? wg.compile(trainStep) : null;
  const runStep = compiled ?? trainStep;
  let shownSummary = false;
  const start = performance.now();
  for (let step = 1; step <= o.steps; step++) {
    const { x, y } = batches.next();
    const next = runStep(x, y, lossSum);
    sched.step();
    lossSum.dispose();
    lossSum = next;
    x.dispose();
    y.dispose();
    windowSteps++;
    if (step % o.logEvery === 0 || step === o.steps) {
      const mean = (await lossSum.item()) / windowSteps;
      trainCurve.push([step, mean]);
      shown = `loss ${mean.toFixed(4)}`;
      lossSum.dispose();
      lossSum = wg.zeros([]);
      windowSteps = 0;
    }
    if (!o.quiet) bar.update(step, step * tokensPerStep, shown);
    if (step % o.evalEvery === 0 || step === o.steps) {
      const t0 = performance.now();
      const val = await evaluate(model, valIds, o.block);
      evalMs += performance.now() - t0;
      valCurve.push([step, val]);
      const { liveTensors, bytesInUse, poolBytes } = wg.memory();
      memory.push({ step, liveTensors, bytesInUse, poolBytes });
      log(`step ${step}: train ${shown.slice(5)} val ${val.toFixed(4)} (${((performance.now() - start) / 1000).toFixed(0)} s)`);
      if (compiled && !shownSummary) {
        log(compiledSummary(compiled.info()));
        shownSummary = true;
      }
    }
  }
  lossSum.dispose();
  opt.dispose();   // its moments are not returned: freed now, not whenever the collector runs
  trainMs = performance.now() - start - evalMs;
  const finalValLoss = valCurve.at(-1)?.[1] ?? NaN;
  const sampleIds = await generate(model, tokenizer.encode(o.prompt), { tokens: o.sampleTokens, temperature: o.temperature, topK: o.topK });
  const sample = tokenizer.decode(sampleIds);
  return {
    model, tokenizer, trainCurve, valCurve, finalValLoss, paramCount, sample, memory, compiled: compiled?.info() ?? null,
    msPerStep: trainMs / o.steps,
    tokensPerSecond: (tokensPerStep * o.steps) / (trainMs / 1000),
  };
}

/** One line on a compiled step's work per call: dispatches of the traced (eager) call and of a compiled call. */
export function compiledSummary(i: wg.CompiledStepInfo): string {
  if (i.eagerDispatches === null && i.dispatches === null) return `compiled step: ${i.calls} calls, ${i.traces} traced (the CPU backend runs it eagerly)`;
  return `compiled step: ${i.eagerDispatches ?? '?'} dispatches traced (eager), ${i.dispatches ?? '?'} compiled; ${i.calls} calls, ${i.traces} traced`;
}

async function writeArtifacts(o: GptOptions, r: GptResult): Promise<void> {
  await mkdir(o.out, { recursive: true });
  const metrics = {
    options: o, backend: wg.backendInfo(), vocabSize: r.tokenizer.vocabSize, parameters: r.paramCount,
    finalValLoss: r.finalValLoss, msPerStep: r.msPerStep, tokensPerSecond: r.tokensPerSecond,
    memory: r.memory, train: r.trainCurve, val: r.valCurve,
  };
  await writeFile(`${o.out}/metrics.json`, JSON.stringify(metrics, null, 2));
  await writeFile(`${o.out}/curves.svg`, panelsChart([{
    title: 'Loss (nats/char)', xLabel: 'step', series: [
      { label: 'train', color: '#1f77b4', points: r.trainCurve },
      { label: 'validation', color: '#d62728', points: r.valCurve },
    ],
  }]));
  await writeFile(`${o.out}/samples.txt`, `${r.sample}\n`);
  const c = r.model.config;
  await wg.save(r.model.stateDict(), `${o.out}/model.safetensors`, { format: 'pt', heads: String(c.heads) });
  console.log(`wrote ${o.out}/model.safetensors, metrics.json, samples.txt and curves.svg`);
}

/** The model a saved state dict describes: sizes from the shapes, heads from the metadata (or --heads). */
export async function loadModel(path: string, heads: number): Promise<GPT> {
  const { metadata } = await data.readSafetensors(path);
  const state = await wg.load(path);
  const tok = state['tok.weight'];
  const pos = state['pos.weight'];
  if (!tok || !pos) throw new Error(`${path}: no 'tok.weight'/'pos.weight'; expected a state dict of examples/gpt/model.ts's GPT`);
  const layers = Object.keys(state).filter((k) => /^blocks\.\d+\.ln1\.weight$/.test(k)).length;
  const model = new GPT({ vocabSize: tok.shape[0], embd: tok.shape[1], block: pos.shape[0], layers, heads: Number(metadata.heads ?? heads) });
  model.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return model;
}

async function generateFromSaved(path: string, prompt: string, tokens: number, o: GptOptions): Promise<void> {
  await wg.init({ backend: o.backend, verbose: !o.quiet });
  wg.manualSeed(o.seed);
  const tokenizer = data.CharTokenizer.fromText(await data.loadMobyDick());
  const model = await loadModel(path, o.heads);
  if (model.config.vocabSize !== tokenizer.vocabSize) throw new Error(`${path}: vocabulary of ${model.config.vocabSize}, the corpus has ${tokenizer.vocabSize}`);
  const ids = await generate(model, tokenizer.encode(prompt), { tokens, temperature: o.temperature, topK: o.topK });
  console.log(prompt + tokenizer.decode(ids));
}

async function main(): Promise<void> {
  const d = DEFAULTS;
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: String(d.steps) },
      layers: { type: 'string', default: String(d.layers) },
      heads: { type: 'string', default: String(d.heads) },
      embd: { type: 'string', default: String(d.embd) },
      block: { type: 'string', default: String(d.block) },
      batch: { type: 'string', default: String(d.batch) },
      lr: { type: 'string', default: String(d.lr) },
      betas: { type: 'string', default: `${d.beta1},${d.beta2}` },
      'weight-decay': { type: 'string', default: String(d.weightDecay) },
      'decay-all': { type: 'boolean', default: d.decayAll },
      warmup: { type: 'string', default: String(d.warmup) },
      'min-lr-factor': { type: 'string', default: String(d.minLrFactor) },
      clip: { type: 'string', default: String(d.clip) },
      'eval-every': { type: 'string', default: String(d.evalEvery) },
      'log-every': { type: 'string', default: String(d.logEvery) },
      seed: { type: 'string', default: String(d.seed) },
      backend: { type: 'string', default: d.backend },
      out: { type: 'string', default: d.out },
      'train-limit': { type: 'string' },
      'val-limit': { type: 'string' },
      'sample-tokens': { type: 'string', default: String(d.sampleTokens) },
      prompt: { type: 'string', default: d.prompt },
      generate: { type: 'string' },
      tokens: { type: 'string', default: '500' },
      temperature: { type: 'string', default: String(d.temperature) },
      'top-k': { type: 'string', default: String(d.topK) },
      model: { type: 'string', default: 'out/gpt/model.safetensors' },
      compile: { type: 'boolean' },
      'no-compile': { type: 'boolean' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run gpt -- [--steps 1500] [--layers 2] [--heads 4] [--embd 64] [--block 64] [--batch 32] [--lr 3e-3] [--betas 0.9,0.99] [--weight-decay 0.1] [--decay-all] [--warmup 100] [--min-lr-factor 0.1] [--clip 1] [--eval-every 250] [--log-every 10] [--seed 0] [--backend auto|webgpu|cpu] [--out out/gpt] [--train-limit N] [--val-limit N] [--sample-tokens 300] [--prompt TEXT] [--temperature 0.8] [--top-k 40] [--compile|--no-compile]\n       npm run gpt -- --generate "Call me" [--tokens 500] [--temperature 0.8] [--top-k 40] [--model out/gpt/model.safetensors]');
    return;
  }
  const num = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${v}`);
    return n;
  };
  if (values.compile && values['no-compile']) throw new Error('--compile and --no-compile contradict each other');
  const betas = values.betas!.split(',').map((b) => num('betas', b));
  if (betas.length !== 2) throw new Error(`--betas must be two numbers like 0.9,0.99, got ${values.betas}`);
  const o: GptOptions = {
    steps: num('steps', values.steps), layers: num('layers', values.layers), heads: num('heads', values.heads),
    embd: num('embd', values.embd), block: num('block', values.block), batch: num('batch', values.batch),
    lr: num('lr', values.lr), beta1: betas[0], beta2: betas[1], weightDecay: num('weight-decay', values['weight-decay']),
    decayAll: values['decay-all']!, warmup: num('warmup', values.warmup), minLrFactor: num('min-lr-factor', values['min-lr-factor']),
    clip: num('clip', values.clip), evalEvery: num('eval-every', values['eval-every']), logEvery: num('log-every', values['log-every']),
    seed: num('seed', values.seed), backend: values.backend as wg.BackendChoice, out: values.out!,
    trainLimit: values['train-limit'] ? num('train-limit', values['train-limit']) : undefined,
    valLimit: values['val-limit'] ? num('val-limit', values['val-limit']) : undefined,
    sampleTokens: num('sample-tokens', values['sample-tokens']), prompt: values.prompt!,
    temperature: num('temperature', values.temperature), topK: num('top-k', values['top-k']), quiet: values.quiet!,
    compile: values.compile ? true : values['no-compile'] ? false : d.compile,
  };
  try {
    if (values.generate !== undefined) {
      await generateFromSaved(values.model!, values.generate, num('tokens', values.tokens), o);
      return;
    }
    const r = await train(o);
    console.log(`sample:\n${o.prompt}${r.sample}\n`);
    await writeArtifacts(o, r);
    console.log(`${r.msPerStep.toFixed(1)} ms/step, ${r.tokensPerSecond.toFixed(0)} tokens/s`);
    console.log(`final validation loss: ${r.finalValLoss.toFixed(4)} nats/char`);
  } finally {
    wg.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
