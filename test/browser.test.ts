// webgrad in a real browser: Debian's Chromium, driven by playwright-core, with WebGPU on
// SwiftShader (see shared docs/headless-webgpu.md). The demo server (examples/web/serve.ts)
// serves the browser bundle, the demo page and the MNIST files on 127.0.0.1.
//   1. the bundle loads in a page and picks the WebGPU backend;
//   2. a subset of the op suite (matmul, clamp, exp, sum/mean/max, softmax, cross-entropy and
//      their backwards) runs in the page on WebGPU and on the CPU backend, on the same seeded
//      inputs, and the two agree within the tolerances written beside each case;
//   3. the demo trains a few hundred steps with the loss falling, classifies MNIST test images,
//      and classifies a digit drawn with the mouse; the trained page is screenshotted.
// Without Chromium, or without navigator.gpu in it, these tests skip with the reason in the
// report; under CI (any value) either is a failure, and WEBGRAD_REQUIRE_GPU=1 makes a missing
// navigator.gpu one.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDemoServer, type DemoServer } from '../examples/web/serve.js';
import { loadMnist } from '../src/data/mnist.js';
import { gpuRequiredBy } from './helpers/require-gpu.js';

/** Set when a missing WebGPU must fail (CI, or WEBGRAD_REQUIRE_GPU=1); CI also requires Chromium. */
const REQUIRED = gpuRequiredBy();
const CHROMIUM_REQUIRED = process.env.CI !== undefined ? `CI=${process.env.CI}` : null;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
/** The screenshot for the README. docs/demo.png is (re)written only when missing or asked for. */
const SHOT_OUT = 'out/browser/demo.png';
const SHOT_DOCS = 'docs/demo.png';
const updateDocsShot = !existsSync(SHOT_DOCS) || process.env.WEBGRAD_UPDATE_SCREENSHOT === '1';

if (!haveChromium) {
  const why = `browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (CHROMIUM_REQUIRED) {
    test(`Chromium is installed (required under ${CHROMIUM_REQUIRED})`, () => {
      throw new Error(why);
    });
  } else console.warn(`${why}: SKIPPED`);
}

describe.skipIf(!haveChromium)(`in Chromium${haveChromium ? '' : ` (SKIPPED: no Chromium at ${CHROMIUM})`}`, () => {
  let server: DemoServer;
  let context: BrowserContext;
  let userDataDir: string;
  let page: Page;
  let hasGpu = false;
  const pageErrors: string[] = [];

  /** Skips (or, under CI, fails) a test that needs WebGPU when the browser has none. */
  function needGpu(ctx: { skip(note?: string): void }): void {
    if (hasGpu) return;
    const why = 'Chromium has no navigator.gpu / WebGPU adapter here';
    if (REQUIRED) throw new Error(`${why} (required under ${REQUIRED})`);
    console.warn(`${why}: SKIPPED`);
    ctx.skip(why);
  }

  beforeAll(async () => {
    const t0 = performance.now();
    server = await startDemoServer({ port: 0 });
    userDataDir = mkdtempSync(join(tmpdir(), 'webgrad-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1120, height: 580 },
      args: [
        '--enable-unsafe-webgpu',
        '--no-sandbox', // we run as root
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // A bare page that loads the bundle, served from the demo server's origin (a secure context).
    await page.route(`${server.url}bundle.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><script type="module">import * as wg from './webgrad.js'; window.wg = wg;</script>`,
      }));
    await page.goto(`${server.url}bundle.html`);
    await page.waitForFunction(() => 'wg' in window);
    hasGpu = await page.evaluate(async () => !!(await navigator.gpu?.requestAdapter()));
    console.log(`browser tests: Chromium up, bundle loaded, WebGPU ${hasGpu ? 'available' : 'missing'} (${(performance.now() - t0).toFixed(0)} ms)`);
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test('the bundle picks the WebGPU backend (SwiftShader is fine)', async (ctx) => {
    needGpu(ctx);
    const info = await page.evaluate(async () => {
      const wg = (window as unknown as { wg: typeof import('../src/index.js') }).wg;
      const b = await wg.init({ verbose: false });
      const adapter = await navigator.gpu.requestAdapter();
      const x = wg.tensor([1, 2, 3]).mul(2).sum();
      return { name: b.name, adapter: b.adapter, fallback: adapter?.info.isFallbackAdapter ?? null, value: await x.item() };
    });
    console.log(`browser tests: adapter ${JSON.stringify(info.adapter)}, isFallbackAdapter ${info.fallback}`);
    expect(info.name).toBe('webgpu');
    expect(info.value).toBe(12);
    expect(pageErrors).toEqual([]);
  });

  test('ops and their gradients: WebGPU matches the CPU backend in the same page', async (ctx) => {
    needGpu(ctx);
    const t0 = performance.now();
    const gpu = await page.evaluate(runOpCases, 'webgpu' as const);
    const cpu = await page.evaluate(runOpCases, 'cpu' as const);
    expect(gpu.map((c) => c.name)).toEqual(cpu.map((c) => c.name));
    const worst: Record<string, number> = {};
    for (let i = 0; i < cpu.length; i++) {
      const [g, c] = [gpu[i], cpu[i]];
      expect(g.backend, c.name).toBe('webgpu');
      expect(c.backend, c.name).toBe('cpu');
      const op = /^\w+/.exec(c.name)![0];
      const tol = TOLERANCE[op];
      expect(tol, `no tolerance for ${c.name}`).toBeDefined();
      expect(c.out.length, `${c.name}: output`).toBeGreaterThan(0);
      expect(c.grads.length, `${c.name}: gradients`).toBeGreaterThan(0);
      expect(g.grads.length, c.name).toBe(c.grads.length);
      const errs = [
        expectClose(g.out, c.out, tol, `${c.name}: forward`),
        ...g.grads.map((gg, k) => expectClose(gg, c.grads[k], tol, `${c.name}: grad ${k}`)),
      ];
      worst[op] = Math.max(worst[op] ?? 0, ...errs);
    }
    const summary = Object.entries(worst).map(([op, e]) => `${op} ${e === 0 ? '0' : e.toExponential(1)}`).join(', ');
    console.log(`browser tests: ${cpu.length} op cases agree (${(performance.now() - t0).toFixed(0)} ms); worst relative error: ${summary}`);
  });

  describe('the demo', () => {
    let trained = false;

    /** A stroke on the pad through points given in its 280×280 pixels, with intermediate moves. */
    const stroke = async (points: [number, number][]) => {
      const pad = (await page.locator('#pad').boundingBox())!;
      const at = (x: number, y: number): [number, number] => [pad.x + (x * pad.width) / 280, pad.y + (y * pad.height) / 280];
      await page.mouse.move(...at(...points[0]));
      await page.mouse.down();
      for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 8 });
      await page.mouse.up();
    };
    const drawnDigit = () => page.waitForFunction(() => window.demo.state.prediction).then(() => page.evaluate(() => window.demo.state.prediction!));

    test('trains a few hundred steps on WebGPU with the loss falling', async (ctx) => {
      needGpu(ctx);
      const t0 = performance.now();
      await page.goto(`${server.url}?autostart=0&test=2000&steps=60`); // steps: what the model picker trains
      await page.evaluate(() => window.demo.ready);
      const state = await page.evaluate(() => ({ ...window.demo.state }));
      expect(state.backend).toBe('webgpu');
      expect(state.trainImages).toBeGreaterThan(1000);
      const r = await page.evaluate(() => window.demo.train(300));
      const acc = await page.evaluate(() => window.demo.evaluate());
      const losses = r.losses.map(([, l]) => l);
      const head = mean(losses.slice(0, 3));
      const tail = mean(losses.slice(-5));
      console.log(
        `browser tests: demo trained ${r.steps} steps in ${r.seconds.toFixed(1)} s (${((1000 * r.seconds) / r.steps).toFixed(0)} ms/step) on ${state.backend}; ` +
          `loss ${head.toFixed(3)} -> ${tail.toFixed(3)}, test accuracy ${(100 * acc).toFixed(1)}% (${(performance.now() - t0).toFixed(0)} ms in all)`,
      );
      expect(r.steps).toBe(300);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(head).toBeGreaterThan(1);
      expect(tail).toBeLessThan(0.6);
      expect(tail).toBeLessThan(head / 3);
      expect(acc).toBeGreaterThan(0.8);
      trained = true;
    }, 240_000); // ~35 s on a loaded 2-core machine; the margin is for CI running other suites beside it

    test('classifies MNIST test images passed to demo.predict', async (ctx) => {
      if (!trained) ctx.skip('the demo did not train');
      const test = await loadMnist({ train: false, limit: 20 });
      const preds = await page.evaluate(
        async (images) => {
          const out = [];
          for (const img of images) out.push(await window.demo.predict(img));
          return out;
        },
        Array.from({ length: test.count }, (_, i) => Array.from(test.images.subarray(784 * i, 784 * (i + 1)))),
      );
      for (const p of preds) {
        expect(p.probs).toHaveLength(10);
        expect(mean(p.probs) * 10).toBeCloseTo(1, 4);
      }
      const hits = preds.filter((p, i) => p.digit === test.labels[i]).length;
      expect(hits).toBeGreaterThanOrEqual(16);
    });

    test('classifies a digit drawn with the mouse; screenshot of the trained demo', async (ctx) => {
      if (!trained) ctx.skip('the demo did not train');
      // A "1": one vertical stroke.
      await stroke([[140, 45], [136, 235]]);
      const one = await drawnDigit();
      // A "7": a bar and a slanted stem, predicted after each stroke ends; keep the last.
      await page.evaluate(() => window.demo.clearDrawing());
      await stroke([[80, 60], [205, 60], [120, 235]]);
      const seven = await drawnDigit();
      console.log(
        `browser tests: drawn "1" -> ${one.digit} (${(100 * one.probs[one.digit]).toFixed(0)}%), drawn "7" -> ${seven.digit} (${(100 * seven.probs[seven.digit]).toFixed(0)}%)`,
      );
      for (const p of [one, seven]) {
        expect(p.probs).toHaveLength(10);
        expect(p.digit).toBe(p.probs.indexOf(Math.max(...p.probs)));
      }
      expect(one.digit).toBe(1);
      expect(seven.digit).toBe(7);
      expect(await page.locator('#predicted').textContent()).toBe('7');

      mkdirSync('out/browser', { recursive: true });
      await page.screenshot({ path: SHOT_OUT });
      if (updateDocsShot) {
        mkdirSync('docs', { recursive: true });
        await page.screenshot({ path: SHOT_DOCS });
      }
      console.log(`browser tests: screenshot ${SHOT_OUT}${updateDocsShot ? ` and ${SHOT_DOCS}` : ` (${SHOT_DOCS} kept; WEBGRAD_UPDATE_SCREENSHOT=1 rewrites it)`}`);
      expect(pageErrors).toEqual([]);
    });

    test('the model picker: the CNN trains in the page with the loss falling and classifies a drawn digit', async (ctx) => {
      if (!trained) ctx.skip('the demo did not train');
      const t0 = performance.now();
      // An empty pad first: training ends by classifying what is on the pad, and that late
      // prediction of the previous test's "7" must not be taken for this test's digit.
      await page.evaluate(() => window.demo.clearDrawing());
      await page.selectOption('#model-select', 'cnn'); // starts over and trains ?steps (60) on its own
      await page.waitForFunction(() => window.demo.state.model === 'cnn' && window.demo.state.status === 'ready' && window.demo.state.testAccuracy !== null, null, { timeout: 300_000 });
      const s = await page.evaluate(() => ({ ...window.demo.state }));
      const losses = s.losses.map(([, l]) => l);
      const [head, tail] = [losses[0], losses.at(-1)!]; // one reading every 10 steps
      console.log(
        `browser tests: CNN trained ${s.step} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; loss ${head.toFixed(3)} -> ${tail.toFixed(3)}, test accuracy ${(100 * s.testAccuracy!).toFixed(1)}%`,
      );
      expect(s.step).toBe(60);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(tail).toBeLessThan(head / 2);
      expect(s.testAccuracy!).toBeGreaterThan(0.7);
      expect(await page.evaluate(() => window.demo.state.prediction)).toBeNull();
      await stroke([[140, 45], [136, 235]]);
      const one = await drawnDigit();
      console.log(`browser tests: CNN: drawn "1" -> ${one.digit} (${(100 * one.probs[one.digit]).toFixed(0)}%)`);
      expect(one.digit).toBe(1);
      expect(pageErrors).toEqual([]);
    }, 360_000);
  });

  describe('the GPT page', () => {
    test('trains a short run in the tab with the loss falling and streams text', async (ctx) => {
      needGpu(ctx);
      const t0 = performance.now();
      // A smaller GPT than the page's default (the job's), so that SwiftShader trains it in seconds.
      await page.goto(`${server.url}gpt.html?autostart=0&layers=1&heads=2&embd=32&block=32&batch=16&sample-every=40&sample-chars=30`);
      await page.evaluate(() => window.gptDemo.ready);
      const s0 = await page.evaluate(() => ({ ...window.gptDemo.state }));
      expect(s0.backend).toBe('webgpu');
      expect(s0.vocabSize).toBe(89);
      const losses = (await page.evaluate(() => window.gptDemo.train(80))).map(([, l]) => l);
      const text = await page.evaluate(() => window.gptDemo.sample(40, 'Call me'));
      const s = await page.evaluate(() => ({ ...window.gptDemo.state }));
      console.log(
        `browser tests: GPT page trained ${s.step} steps (${(s.tokensPerSecond ?? 0).toFixed(0)} tokens/s); loss ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}; ` +
          `sampled ${JSON.stringify(text)} (${(performance.now() - t0).toFixed(0)} ms in all)`,
      );
      expect(s.step).toBe(80);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[0]).toBeGreaterThan(3.5); // ln 89 = 4.49 at the start
      expect(losses.at(-1)!).toBeLessThan(losses[0] - 0.8);
      expect(text).toHaveLength(40);
      // Streamed while training (steps 40 and 80) and on request: three samples in the page.
      expect(s.samples.map((x) => x.step)).toEqual([40, 80, 80]);
      expect(await page.locator('#sample').textContent()).toContain(`Call me${text}`);
      expect(pageErrors).toEqual([]);
    }, 240_000);
  });
});

// ---- the op cases, run inside the page ----

interface OpCase {
  name: string;
  backend: string;
  out: number[];
  grads: number[][];
}

/**
 * Relative error allowed, in the 2-norm over the whole output or gradient, per op (the first
 * word of a case's name). float32 on both sides; they differ only in summation order (matmul,
 * reductions, softmax) and in the GPU's exp/log, whose WGSL accuracy is a few ULP.
 */
const TOLERANCE: Record<string, number> = {
  matmul: 1e-5, // K up to 53: reordered float32 sums
  clamp: 0, // a comparison and a copy: exact, gradient at the bounds included
  exp: 1e-5,
  sum: 1e-5,
  mean: 1e-5,
  max: 0, // picks an element; the gradient goes to the same index (or splits among ties)
  softmax: 1e-5,
  crossEntropy: 1e-5,
};

/**
 * Runs every case on `backend` in the page and returns outputs and input gradients. Self-
 * contained (it is serialised into the page): its own seeded generator, so both backends get
 * the same inputs; each loss is `sum(out * w)` with fixed random weights `w`, so the incoming
 * gradient is not all ones.
 */
async function runOpCases(backend: 'webgpu' | 'cpu'): Promise<OpCase[]> {
  const wg = (window as unknown as { wg: typeof import('../src/index.js') }).wg;
  type T = import('../src/index.js').Tensor;
  await wg.init({ backend, verbose: false });
  let s = 12345;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const randn = (shape: number[], scale = 1) =>
    Float32Array.from({ length: numel(shape) }, () => scale * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
  const leaf = (shape: number[], data: Float32Array) => wg.tensor(data).reshape(shape).detach().requiresGrad_();
  const cases: OpCase[] = [];
  const run = async (name: string, inputs: T[], f: (...xs: T[]) => T) => {
    const out = f(...inputs);
    const w = wg.tensor(randn(out.shape.length ? [...out.shape] : [1])).reshape([...out.shape]);
    out.mul(w).sum().backward();
    cases.push({
      name,
      backend: wg.backendInfo().name,
      out: Array.from(await out.toArray()),
      grads: await Promise.all(inputs.map(async (x) => Array.from(await x.grad!.toArray()))),
    });
  };

  await run('matmul [37,53]x[53,29]', [leaf([37, 53], randn([37, 53])), leaf([53, 29], randn([53, 29]))], (a, b) => a.mm(b));
  await run('matmul a.t() x b, [29,11]^T x [29,40]', [leaf([29, 11], randn([29, 11])), leaf([29, 40], randn([29, 40]))], (a, b) => a.t().mm(b));
  await run('matmul batched [3,17,23]x[3,23,9]', [leaf([3, 17, 23], randn([3, 17, 23])), leaf([3, 23, 9], randn([3, 23, 9]))], (a, b) => wg.matmul(a, b));
  // Values exactly on the bounds: PyTorch passes the gradient there.
  const c = randn([1000], 2);
  c.set([-1, 0.5, -1, 0.5], 0);
  await run('clamp(-1, 0.5)', [leaf([1000], c)], (x) => x.clamp(-1, 0.5));
  await run('clamp(0) (relu-like)', [leaf([31, 17], randn([31, 17]))], (x) => x.clamp(0));
  await run('exp', [leaf([777], randn([777], 3))], (x) => x.exp());
  await run('sum all', [leaf([33, 65], randn([33, 65]))], (x) => x.sum());
  await run('sum dim 1', [leaf([33, 65], randn([33, 65]))], (x) => x.sum(1));
  await run('sum dim 0 keepdim', [leaf([33, 65], randn([33, 65]))], (x) => x.sum(0, true));
  await run('mean all', [leaf([1025], randn([1025]))], (x) => x.mean());
  await run('mean dim 1', [leaf([7, 300], randn([7, 300]))], (x) => x.mean(1));
  const m = randn([9, 70]);
  m.set([5, 5, 5], 0); // a row with a tie for the maximum
  await run('max all', [leaf([9, 70], m)], (x) => x.max());
  await run('max dim 1', [leaf([9, 70], m)], (x) => x.max(1).values);
  await run('max dim 0 keepdim', [leaf([9, 70], randn([9, 70]))], (x) => x.max(0, true).values);
  await run('softmax dim 1', [leaf([40, 77], randn([40, 77], 5))], (x) => x.softmax(1));
  await run('softmax dim 0', [leaf([13, 6], randn([13, 6]))], (x) => x.softmax(0));
  const targets = wg.tensor(Int32Array.from({ length: 64 }, () => Math.floor(10 * rand())), { dtype: 'int32' });
  await run('crossEntropy [64,10]', [leaf([64, 10], randn([64, 10], 3))], (x) => wg.nn.functional.crossEntropy(x, targets).reshape([1]));
  return cases;
}

// ---- helpers ----

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Relative 2-norm error within `tol` (exact equality for tol 0; NaN must match NaN); returns it. */
function expectClose(got: number[], want: number[], tol: number, label: string): number {
  expect(got.length, `${label}: length`).toBe(want.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) {
      expect(got[i], `${label}[${i}]`).toBeNaN();
      continue;
    }
    if (tol === 0) expect(got[i], `${label}[${i}]`).toBe(want[i]);
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  const rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
  expect(rel, `${label}: relative error ${rel.toExponential(2)} > ${tol}`).toBeLessThanOrEqual(tol);
  return rel;
}
