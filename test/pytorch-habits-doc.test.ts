// docs/pytorch.md's training loop must run as written (with the package import pointed at
// src/ and the checkpoint written to a temporary directory) and learn its task.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it, vi } from 'vitest';
import * as wg from 'webgrad-gpu';

it("runs docs/pytorch.md's training loop: the loss falls and the accuracy passes 90%", async () => {
  const doc = await readFile('docs/pytorch.md', 'utf8');
  const code = /## A complete training loop[\s\S]*?```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(code, 'a ```ts block under "A complete training loop"').toBeTruthy();
  const dir = await mkdtemp(join(tmpdir(), 'webgrad-pytorch-doc-'));
  const file = join(dir, 'loop.ts');
  const src = pathToFileURL(resolve('src/index.ts')).href;
  await writeFile(file, code!.replace(`from 'webgrad'`, `from '${src}'`).replace(`'mlp.safetensors'`, JSON.stringify(join(dir, 'mlp.safetensors'))));
  const printed: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
  const warn = vi.spyOn(console, 'warn');
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    log.mockRestore();
  }
  expect(String(printed.find((c) => String(c[0]).startsWith('MLP('))?.[0])).toMatch(/MLP\(\n {2}\(fc1\): Linear\(inFeatures=2, outFeatures=32, bias=true\)\n {2}\(fc2\): Linear/);
  const losses = printed.filter((c) => c[0] === 'epoch').map((c) => c[3] as number);
  expect(losses).toHaveLength(3);
  expect(losses[2]).toBeLessThan(losses[0]);
  const accuracy = printed.find((c) => c[0] === 'accuracy')?.[1] as number;
  console.log('docs/pytorch.md loop:', { losses, accuracy });
  expect(accuracy).toBeGreaterThan(0.9);
  expect(warn).not.toHaveBeenCalled();
  const saved = await wg.load(join(dir, 'mlp.safetensors'));
  expect(Object.keys(saved).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
}, 120_000);
