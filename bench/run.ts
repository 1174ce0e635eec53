// `npm run bench`: webgrad vs TensorFlow.js on the same WebGPU adapter (and CPU vs tfjs's cpu
// backend), one table, one JSON file in bench/results/.
//
//   npm run bench                              every row, WebGPU then CPU (about 8 min on lavapipe)
//   npm run bench -- --rows 1,4 --backend webgpu --reps 5
//   npm run bench -- --quick                   smaller sizes, fewer reps (about 2 min)
//   npm run bench -- --big                     adds matmul 2048 (WebGPU)
//   npm run bench -- --full-epoch              row 6 runs all 469 batches instead of a scaled slice
//   npm run bench -- --gpu                     sizes for a real GPU (bench/gpu-run.sh): matmul to 4096, full epoch
//   npm run bench -- --out path/to/file.json   where the JSON goes
//   npm run bench -- --profile --rows 4,5      per-kernel GPU times (timestamp queries) instead of the table
//   npm run bench -- --runs 3                  every row 3 times (whole passes): medians with their range across runs
//
// Before timing, each row runs once untimed and compares webgrad's answer with tfjs's (a row
// whose answers differ is refused, not timed). Both libraries get the same adapter request,
// and WebGPU rows are refused when the adapters they report differ (bench/adapter.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ADAPTER_OPTIONS, sameAdapterGpu, whyNotComparable } from './adapter.js';
import { combineRuns, formatCounters, formatNotes, formatTable, measure, tableRow, type Case, type Result } from './harness.js';
import { formatProfile, profileCase, Profiler, type CaseProfile } from './profile.js';
import type { RowContext } from './rows/common.js';
import { elementwiseCases } from './rows/elementwise.js';
import { matmulCases } from './rows/matmul.js';
import { mlpEpochCases, mlpStepCases } from './rows/mlp.js';
import { reduceCases } from './rows/reduce.js';
import { tutorialCases } from './rows/tutorial.js';
import { indexingCases } from './rows/indexing.js';
import { loadTfjs, tfjsAdapterInfo, tfjsVersions, useTfjs } from './tfjs.js';
import { useWebgrad, wg } from './webgrad.js';

const ROWS: Record<string, (ctx: RowContext) => Case[]> = {
  '1': matmulCases,
  '2': elementwiseCases,
  '3': reduceCases,
  '4': mlpStepCases,
  '5': tutorialCases,
  '6': mlpEpochCases,
  cat: (await import('./rows/joining.js')).joiningCases,
  'mm-nd': (await import('./rows/matmul-nd.js')).matmulNdCases,
  indexing: indexingCases,
  pool: (await import('./rows/pool.js')).poolCases,
  conv: (await import('./rows/conv.js')).convCases,
  cnn: (await import('./rows/cnn.js')).cnnStepCases,
  'cnn-epoch': (await import('./rows/cnn.js')).cnnEpochCases,
  gpt: (await import('./rows/gpt.js')).gptStepCases,
  attention: (await import('./rows/attention.js')).attentionCases,
  compiled: (await import('./rows/compiled.js')).compiledCases,
};

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1,2,3,4,5,6' },
    reps: { type: 'string' },
    runs: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'both' },
    quick: { type: 'boolean', default: false },
    big: { type: 'boolean', default: false },
    'full-epoch': { type: 'boolean', default: false },
    gpu: { type: 'boolean', default: false },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  console.log('usage: npm run bench -- [--rows 1,2,3,4,5,6] [--reps N] [--runs N] [--backend webgpu|cpu|both] [--quick] [--big] [--full-epoch] [--gpu] [--profile] [--out FILE]');
  process.exit(0);
}

function fail(msg: string): never {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

const rows = opts.rows.split(',').map((r) => r.trim()).filter(Boolean);
for (const r of rows) if (!ROWS[r]) fail(`--rows: unknown row '${r}' (rows: ${Object.keys(ROWS).join(', ')})`);
if (!['webgpu', 'cpu', 'both'].includes(opts.backend)) fail(`--backend must be webgpu, cpu or both, got '${opts.backend}'`);
const backends = (opts.profile ? ['webgpu'] : opts.backend === 'both' ? ['webgpu', 'cpu'] : [opts.backend]) as ('webgpu' | 'cpu')[];
const reps = opts.reps === undefined ? null : Number(opts.reps);
if (reps !== null && !(Number.isInteger(reps) && reps > 0)) fail(`--reps must be a positive integer, got '${opts.reps}'`);
const runs = Number(opts.runs);
if (!(Number.isInteger(runs) && runs > 0)) fail(`--runs must be a positive integer, got '${opts.runs}'`);
if (runs > 1 && opts.profile) fail('--runs and --profile do not combine');

function packageVersion(name: string): string {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function webgradVersion(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    return (JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Dawn's GPU object, shared: webgrad and tfjs both take `navigator.gpu` when it exists. */
async function dawn(): Promise<GPU | null> {
  try {
    const mod = (await import('webgpu')) as unknown as { create(o: string[]): GPU; globals: Record<string, unknown> };
    const g = globalThis as Record<string, unknown>;
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in g)) g[k] = v;
    return mod.create([]);
  } catch (e) {
    console.error(`bench: the 'webgpu' package did not load (${(e as Error).message}); WebGPU rows are skipped`);
    return null;
  }
}

const started = new Date();
const profiler = opts.profile ? new Profiler() : null;
const dawnGpu = backends.includes('webgpu') ? await dawn() : null;
// One GPU object for both libraries, answering every adapter request with the same options.
const same = dawnGpu ? sameAdapterGpu(dawnGpu) : null;
const gpu = same && profiler ? profiler.wrap(same.gpu) : (same?.gpu ?? null);
const tf = await loadTfjs(gpu);
const environment: Record<string, unknown> = {
  date: started.toISOString(),
  host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}` },
  node: process.version,
  versions: { webgrad: webgradVersion(), webgpu: packageVersion('webgpu'), ...tfjsVersions() },
  options: { rows, reps, runs, backends, quick: opts.quick, big: opts.big, fullEpoch: opts['full-epoch'], gpu: opts.gpu, profile: opts.profile },
};
console.log(`webgrad bench ${started.toISOString()}  node ${process.version}  ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'})`);

const results: Result[] = [];
const profiles: CaseProfile[] = [];
for (const backend of backends) {
  if (backend === 'webgpu' && !gpu) continue;
  let wgc;
  let tfc;
  try {
    wgc = await useWebgrad(backend);
    tfc = await useTfjs(tf, backend);
  } catch (e) {
    console.error(`bench: ${backend}: ${(e as Error).message}; skipping its rows`);
    continue;
  }
  if (backend === 'webgpu') {
    const a = wgc.info.adapter;
    const tfa = tfjsAdapterInfo(tf);
    environment.adapter = { webgrad: a, tfjs: tfa, webgradLimits: wgc.info.limits, handed: same?.handed, answeredWith: ADAPTER_OPTIONS };
    console.log(`adapter: ${a ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' | ') : '?'} (both libraries, requested as ${JSON.stringify(ADAPTER_OPTIONS)})`);
    const mismatch = same ? whyNotComparable(same.handed, a, tfa) : 'no shared GPU object';
    if (mismatch) {
      // Timing two different devices against each other would say nothing about either library.
      console.error(`bench: refusing to compare the WebGPU rows: the libraries got different adapters (${mismatch})`);
      environment.refused = `webgpu: different adapters (${mismatch})`;
      continue;
    }
  }
  const ctx: RowContext = { backend, wgc, tfc, quick: opts.quick, big: opts.big, fullEpoch: opts['full-epoch'] || opts.gpu, gpu: opts.gpu, reps };
  // Whole passes over the rows, so that drift over minutes shows up as spread across runs.
  const byCase = new Map<string, Result[]>();
  for (let run = 1; run <= runs; run++) {
    if (runs > 1) console.log(`-- ${backend}: run ${run} of ${runs}`);
    for (const row of rows) {
      for (const c of ROWS[row](ctx)) {
        if (profiler) {
          const p = await profileCase(c, profiler, 3);
          profiles.push(p);
          console.log(formatProfile(p));
          continue;
        }
        const r = await measure(c, backend);
        const key = `${r.row}|${r.name}|${r.size}`;
        byCase.set(key, [...(byCase.get(key) ?? []), r]);
        console.log(tableRow(r).join('  '));
      }
    }
  }
  for (const rs of byCase.values()) results.push(combineRuns(rs));
}

if (profiler) {
  const file = opts.out ?? join(dirname(fileURLToPath(import.meta.url)), 'results', `${started.toISOString().slice(0, 10)}-profile.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...environment, profiles }, null, 1)}\n`);
  console.log(`\nwrote ${file}`);
  wg.destroy();
  process.exit(0);
}

console.log(
  `\nspeedup = tfjs median / webgrad median (above 1: webgrad is faster). Rates are from the medians.${
    runs > 1 ? `\nWith --runs ${runs}: medians over the runs' medians, and the speedup's range (min-max) across the ${runs} runs.` : ''
  }`,
);
console.log(formatTable(results));
console.log(`\nPer op or step: GPU dispatches (webgrad), kernels (tfjs, via tf.profile), and host time to issue the work before waiting.`);
console.log(formatCounters(results));
const notes = formatNotes(results);
if (notes) console.log(`\n${notes}`);

const here = dirname(fileURLToPath(import.meta.url));
const day = started.toISOString().slice(0, 10);
const tag = [opts.gpu ? 'gpu' : '', opts.quick ? 'quick' : '', runs > 1 ? `runs${runs}` : '', opts.rows !== '1,2,3,4,5,6' ? `rows${rows.join('')}` : '', opts.backend !== 'both' ? opts.backend : '']
  .filter(Boolean)
  .join('-');
const file = opts.out ?? join(here, 'results', `${day}${tag ? `-${tag}` : ''}.json`);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify({ ...environment, seconds: (Date.now() - started.getTime()) / 1000, results }, null, 1)}\n`);
console.log(`\nwrote ${file} (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)`);

wg.destroy();
// tfjs keeps its own GPUDevice (and Dawn's instance keeps the process alive): exit explicitly.
process.exit(0);
