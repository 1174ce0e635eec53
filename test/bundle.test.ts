// The browser bundle, built with scripts/build.mjs's own options into a temp dir: self-contained
// (no import of any kind left, so no Node built-in and no Dawn can be loaded), no `require`, the
// WGSL shaders inlined. The Node bundle is built too and must run on the CPU backend.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { browserOptions, nodeOptions, sizes } from '../scripts/build.mjs';

const dir = mkdtempSync(join(tmpdir(), 'webgrad-bundle-'));
const browserFile = join(dir, 'browser', 'webgrad.js');
const nodeFile = join(dir, 'node', 'index.js');
let meta: Metafile;
let code: string;

beforeAll(async () => {
  const t0 = performance.now();
  const [b] = await Promise.all([
    build({ ...browserOptions(browserFile), metafile: true, logLevel: 'silent' }),
    build({ ...nodeOptions(nodeFile), logLevel: 'silent' }),
  ]);
  meta = b.metafile!;
  code = readFileSync(browserFile, 'utf8');
  const s = sizes(browserFile);
  console.log(`browser bundle: ${(s.raw / 1024).toFixed(1)} KiB, ${(s.gzip / 1024).toFixed(1)} KiB gzip (built both in ${(performance.now() - t0).toFixed(0)} ms)`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('browser bundle', () => {
  test('imports nothing: every module is inside it, Node built-ins and Dawn included as stubs', () => {
    const [out] = Object.entries(meta.outputs).filter(([f]) => f.endsWith('.js'));
    expect(out[1].imports, 'imports left in the bundle').toEqual([]);
    expect(code).not.toMatch(/\bimport\s*\(/); // no dynamic import, not even of a variable specifier
    expect(code).not.toMatch(/(^|[\s;{}])import\s*[{*"'`]/m); // no static import
    expect(code).not.toMatch(/\bfrom\s*["'`]node:/);
  });

  test('has no require() and no Node globals it would call', () => {
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).not.toMatch(/\bprocess\.binding\b|\b__dirname\b|\bBuffer\.from\b/);
  });

  test('contains no Dawn (the `webgpu` package) and not the Node GPU loader', () => {
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((f) => f.includes('node_modules/webgpu/'))).toEqual([]);
    expect(inputs.filter((f) => f.endsWith('node-gpu.ts'))).toEqual([]);
    expect(inputs).toContain('browser-stub:node-gpu');
    expect(code).not.toContain('dawn.node'); // Dawn's native addon
  });

  test('inlines every WGSL shader', () => {
    const shaders = readdirSync('shaders').filter((f) => f.endsWith('.wgsl'));
    expect(shaders.length).toBeGreaterThan(0);
    for (const f of shaders) {
      const lines = readFileSync(join('shaders', f), 'utf8')
        .split('\n')
        .map((l) => l.replace(/\/\/.*$/, '').trim()) // comments may be escaped in the string literal
        .filter((l) => l.length > 0);
      const missing = lines.filter((l) => !code.includes(l));
      expect(missing, `${f}: lines not found in the bundle`).toEqual([]);
    }
  });

  // 356 KiB raw, 109 KiB gzip with the shaders' comments stripped (407 / 128.6 KiB with them,
  // after the multi-tensor optimizers and the lavapipe conv backward and matmul variants);
  // 396 / 123 KiB at compiled steps, 376 / 116 KiB before them.
  test('stays small', () => {
    const s = sizes(browserFile);
    expect(s.raw).toBeLessThan(420 * 1024);
    expect(s.gzip).toBeLessThan(128 * 1024);
  });
});

describe('node bundle', () => {
  test('loads and computes on the CPU backend', async () => {
    const wg = (await import(nodeFile)) as typeof import('../src/index.js');
    await wg.init({ backend: 'cpu', verbose: false });
    const x = wg.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = x.mm(x).sum();
    y.backward();
    expect(await y.item()).toBe(54);
    expect(Array.from(await x.grad!.toArray())).toEqual([7, 11, 9, 13]);
  });
});
