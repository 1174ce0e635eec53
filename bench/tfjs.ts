// TensorFlow.js on the same WebGPU adapter as webgrad (Dawn through the `webgpu` package), or on
// its own `cpu` backend.
//
// tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is imported, then
// asks `navigator.gpu.requestAdapter()` for an adapter and requests its own device from it
// (src/base.ts in tfjs-backend-webgpu). Node 20 has no `navigator`, so we install one whose
// `gpu` is Dawn's GPU object before the import. Dawn sees one adapter here (lavapipe), so both
// libraries end up on the same adapter, each with its own GPUDevice.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as TfjsBundle from './tfjs-entry.js';

export type TfModule = typeof TfjsBundle;

/** The parts of tfjs-backend-webgpu's WebGPUBackend this file uses (its types need DOM globals). */
interface TfWebGPUBackend {
  device: GPUDevice;
  adapterInfo?: unknown;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export interface TfjsContext {
  tf: TfModule;
  backend: 'webgpu' | 'cpu';
  /** Waits until every op issued so far has finished (submit pending work, then onSubmittedWorkDone). */
  sync(): Promise<void>;
  device: GPUDevice | null;
}

let tfModule: TfModule | null = null;
const versions: Record<string, string> = {};

/**
 * The path of the bundled tfjs module: $WEBGRAD_BENCH_TFJS if set (the GPU machine gets a
 * prebuilt one, having no esbuild), else built now (about a second) under node_modules/.cache.
 */
async function tfjsBundle(): Promise<string> {
  const prebuilt = process.env.WEBGRAD_BENCH_TFJS;
  if (prebuilt) return resolve(prebuilt);
  const here = dirname(fileURLToPath(import.meta.url));
  const outfile = join(here, '..', 'node_modules', '.cache', 'webgrad-bench', 'tfjs.mjs');
  await buildTfjsBundle(join(here, 'tfjs-entry.ts'), outfile);
  return outfile;
}

export async function buildTfjsBundle(entry: string, outfile: string): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    mainFields: ['module', 'main'], // tfjs's ES modules, so core has one instance and gradients register
    // tfjs-core requires a few Node built-ins (crypto for seedrandom, util): give the ES module a require.
    banner: { js: "import { createRequire as __webgradRequire } from 'node:module'; const require = __webgradRequire(import.meta.url);" },
    logLevel: 'error',
  });
}

/** Imports tfjs (core, all gradients, cpu and webgpu backends) once, after making Dawn visible as `navigator.gpu`. */
export async function loadTfjs(gpu: GPU | null): Promise<TfModule> {
  if (tfModule) return tfModule;
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (gpu && !g.navigator?.gpu) {
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const tf = (await import(pathToFileURL(await tfjsBundle()).href)) as TfModule;
  versions['@tensorflow/tfjs-core'] = tf.version_core;
  versions['@tensorflow/tfjs-backend-cpu'] = tf.version_cpu;
  // tfjs-backend-webgpu exports no version constant; it is pinned to tfjs-core's (peer dependency).
  versions['@tensorflow/tfjs-backend-webgpu'] = tf.version_core;
  tf.enableProdMode(); // no debug checks, no "install tfjs-node" banner: what a production user runs
  tfModule = tf;
  return tf;
}

export async function useTfjs(tf: TfModule, backend: 'webgpu' | 'cpu'): Promise<TfjsContext> {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: could not initialise its '${backend}' backend`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`tfjs: asked for '${backend}', got '${tf.getBackend()}'`);
  if (backend === 'cpu') return { tf, backend, device: null, sync: async () => {} };
  const b = tf.backend() as unknown as TfWebGPUBackend;
  return {
    tf,
    backend,
    device: b.device,
    sync: async () => {
      // What tfjs's own readback does before submitting: close the open compute pass.
      b.ensureCommandEncoderReady();
      b.endComputePassEncoder();
      b.submitQueue(); // tfjs records up to WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (15) dispatches before submitting
      await b.device.queue.onSubmittedWorkDone();
    },
  };
}

export function tfjsVersions(): Record<string, string> {
  return { ...versions };
}

/** tfjs's WebGPU adapter info, read from its backend (vendor/architecture strings as Dawn reports). */
export function tfjsAdapterInfo(tf: TfModule): Record<string, unknown> | null {
  const b = tf.backend() as unknown as TfWebGPUBackend;
  const info = b.adapterInfo as Record<string, unknown> | undefined;
  if (!info) return null;
  const out: Record<string, unknown> = {};
  for (const k of ['vendor', 'architecture', 'device', 'description']) if (k in info) out[k] = info[k];
  return out;
}
