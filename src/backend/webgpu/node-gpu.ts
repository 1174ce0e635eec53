/**
 * The Node.js way to a `GPU` object: Dawn through the optional `webgpu` package. It is loaded
 * with a dynamic import whose specifier sits in a variable, so browser bundlers never try to
 * resolve it and a browser build never contains it.
 */
// One Dawn instance per process, kept for the process's lifetime: each `create()` starts a new
// instance, and an instance collected by the GC while its devices' objects are still around
// (pooled buffers awaiting their finalizers, a device destroyed by `wg.destroy()`) crashed the
// process with "terminate called ... Owner died" when tests re-initialised the backend.
const instances = new Map<string, GPU>();

export async function nodeGPU(dawnOptions: readonly string[] = []): Promise<GPU | null> {
  const key = dawnOptions.join('\0');
  const cached = instances.get(key);
  if (cached) return cached;
  const specifier = 'webgpu';
  let mod: { create(options: string[]): GPU; globals: Record<string, unknown> };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
  } catch {
    return null; // the optional peer dependency is not installed
  }
  // GPUBufferUsage, GPUMapMode, ... are globals in browsers; Dawn hands them over as an object.
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(mod.globals)) if (!(name in g)) g[name] = value;
  const gpu = mod.create([...dawnOptions]);
  instances.set(key, gpu);
  return gpu;
}

type Fs = typeof import('node:fs');
let fsModule: Fs | null | undefined;

/**
 * `gpu.requestAdapter(options)`, with Dawn's limit notices kept off the terminal in Node on
 * Linux. Dawn prints "maxDynamicUniformBuffersPerPipelineLayout artificially reduced from
 * 1000000 to 16 ..." (and the same for storage buffers) to stderr from native code whenever
 * an adapter reports more than it supports (lavapipe does, and so do some NVIDIA drivers),
 * whatever limits are requested, and has no switch to turn that off. So while the adapter is
 * requested (a few milliseconds, once per init) fd 2 points at /dev/null, and then back where
 * it pointed: the library prints nothing a user did not ask for. Elsewhere it is the plain call.
 */
export async function requestAdapterQuietly(gpu: GPU, options: GPURequestAdapterOptions): Promise<GPUAdapter | null> {
  if (fsModule === undefined) {
    const specifier = 'node:fs';
    fsModule = isNode() && process.platform === 'linux' ? ((await import(/* @vite-ignore */ specifier)) as Fs) : null;
  }
  const fs = fsModule;
  let saved = -1;
  try {
    if (fs) {
      saved = fs.openSync('/proc/self/fd/2', 'a');   // the same file, pipe or terminal as fd 2
      fs.closeSync(2);
      fs.openSync('/dev/null', 'a');                  // the lowest free descriptor: 2
    }
  } catch {
    saved = -1;   // no /proc, or fd 2 was not open: let Dawn print
  }
  try {
    return await gpu.requestAdapter(options);
  } finally {
    if (fs && saved >= 0) {
      fs.closeSync(2);
      fs.openSync(`/proc/self/fd/${saved}`, 'a');   // fd 2 again, to where it pointed before
      fs.closeSync(saved);
    }
  }
}

export const isNode = (): boolean =>
  typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
