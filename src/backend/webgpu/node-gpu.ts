/**
 * The Node.js way to a `GPU` object: Dawn through the optional `webgpu` package. It is loaded
 * with a dynamic import whose specifier sits in a variable, so browser bundlers never try to
 * resolve it and a browser build never contains it.
 */
export async function nodeGPU(dawnOptions: readonly string[] = []): Promise<GPU | null> {
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
  return mod.create([...dawnOptions]);
}

export const isNode = (): boolean =>
  typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
