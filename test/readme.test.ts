// The README's first example must run as written (with the package import pointed at src/: the
// temporary file lies outside the package, where its name does not resolve).
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it, vi } from 'vitest';

it('runs the first example of the README and prints a falling loss', async () => {
  const readme = await readFile('README.md', 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'a ```ts block in the README').toBeTruthy();
  const src = pathToFileURL(resolve('src/index.ts')).href;
  const file = join(await mkdtemp(join(tmpdir(), 'webgrad-readme-')), 'example.ts');
  await writeFile(file, code!.replace(`from 'webgrad-gpu'`, `from '${src}'`));
  const printed: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    log.mockRestore();
  }
  const losses = printed.filter((c) => c[0] === 'loss').map((c) => c[1] as number);
  expect(losses).toHaveLength(5);
  expect(losses[4]).toBeLessThan(losses[0] / 10);
});
