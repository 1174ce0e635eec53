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

export const isNode = (): boolean =>
  typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
