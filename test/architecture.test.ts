// The layer rules of docs/architecture.md, checked on the import statements of src/: a change
// that makes the op layer reach into a concrete backend (or a backend into the op layer) fails
// here, not in review.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module of src/ with the src/-relative paths of the src/ modules it imports. */
const graph = new Map<string, string[]>(
  files(SRC).map((file) => {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
    const local = specs
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts'))
      .filter((p) => !p.startsWith('..'));
    return [relative(SRC, file), local];
  }),
);

const under = (dir: string) => (p: string): boolean => p.startsWith(`${dir}/`) || p === `${dir}.ts`;
const concreteBackend = (p: string): boolean => under('backend/cpu')(p) || under('backend/webgpu')(p);

/** [module, import] pairs where a module matching `from` imports one matching `to`. */
function edges(from: (p: string) => boolean, to: (p: string) => boolean): string[] {
  return [...graph].flatMap(([m, imports]) => (from(m) ? imports.filter(to).map((i) => `${m} -> ${i}`) : []));
}

describe('layers (docs/architecture.md)', () => {
  it('found the modules', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('ops/binary.ts')).toContain('tensor.ts');
  });

  it('the op tables import nothing but dtype types', () => {
    expect(edges(under('kernels'), (p) => !under('kernels')(p) && p !== 'dtype.ts')).toEqual([]);
  });

  it('nothing above the Backend interface imports a concrete backend (only runtime.ts and gradcheck.ts make one)', () => {
    // gradcheck.ts evaluates the graph on a float64 CPU backend of its own.
    const above = (p: string): boolean => !under('backend')(p) && p !== 'runtime.ts' && p !== 'gradcheck.ts';
    expect(edges(above, concreteBackend)).toEqual([]);
  });

  it('backends import neither the op layer, autograd, tensors, nn nor each other', () => {
    const opLayer = (p: string): boolean =>
      under('ops')(p) || under('autograd')(p) || under('nn')(p) || under('optim')(p) || p === 'tensor.ts' || p === 'creation.ts';
    expect(edges(under('backend'), opLayer)).toEqual([]);
    expect(edges(under('backend/cpu'), under('backend/webgpu'))).toEqual([]);
    expect(edges(under('backend/webgpu'), under('backend/cpu'))).toEqual([]);
  });

  it('the op layer does not import the autograd engine (backward() is reached through Tensor)', () => {
    expect(edges(under('ops'), (p) => p === 'autograd/engine.ts')).toEqual([]);
  });
});
