import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

// Examples, jobs and benchmarks import the library by its package name ('webgrad-gpu'), as a user
// would. Under this loader that name means the TypeScript sources: the package's exports map
// sends the `webgrad-source` condition to src/index.ts (the same as `node --conditions=webgrad-source`),
// so nothing needs a build first and the library is one module instance with any `../src/x.js`
// import beside it.
const SOURCE_CONDITION = 'webgrad-source';

// Sources import each other as `./x.js` (NodeNext style); map that to the `.ts` file beside it.
export async function resolve(specifier, context, next) {
  if (specifier.endsWith('.js') && context.parentURL?.startsWith('file:') && !context.parentURL.includes('/node_modules/')) {
    const ts = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  const conditions = context.conditions.includes(SOURCE_CONDITION) ? context.conditions : [SOURCE_CONDITION, ...context.conditions];
  return next(specifier, { ...context, conditions });
}

export async function load(url, context, next) {
  if (url.endsWith('.ts')) {
    const source = await readFile(fileURLToPath(url), 'utf8');
    const { code } = await transform(source, { loader: 'ts', format: 'esm', sourcemap: 'inline', sourcefile: fileURLToPath(url), target: 'es2022' });
    return { format: 'module', source: code, shortCircuit: true };
  }
  if (url.endsWith('.wgsl')) {
    const text = await readFile(fileURLToPath(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return next(url, context);
}
