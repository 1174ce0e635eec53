// Helpers shared by the API-surface rows (test/api-surface/*.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import * as wg from 'webgrad-gpu';
import { expectClose } from '../helpers/close.js';

export interface Ctx {
  backend: wg.BackendChoice;
}
export type Run = (ctx: Ctx) => Promise<void> | void;
export type Nested = number | Nested[];

/** Checks dtype, shape (from the nesting) and values. */
export async function is(t: wg.Tensor, want: Nested, dtype: wg.DType = 'float32', atol = 1e-6): Promise<void> {
  expect(t.dtype, `dtype of ${t}`).toBe(dtype);
  await expectClose(t, want, atol, 1e-5);
}
export const T = (v: Nested, opts?: wg.CreateOptions): wg.Tensor => wg.tensor(v, opts);
export const I = (v: Nested): wg.Tensor => wg.tensor(v, { dtype: 'int32' });
export const M23 = (): wg.Tensor => T([[1, -2, 3], [-4, 5, -6]]);
/** A leaf that requires grad. */
export const G = (v: Nested): wg.Tensor => wg.tensor(v, { requiresGrad: true });

/** The init() this block ran with, restored after a case that re-initialises. */
export async function restore(ctx: Ctx): Promise<void> {
  await wg.init({ backend: ctx.backend, verbose: false });
}

/** A fresh temporary file path. */
export const tempPath = (name: string): string => join(mkdtempSync(join(tmpdir(), 'webgrad-api-')), name);
export { writeFileSync };

export const dataset = (): wg.data.Dataset => ({ x: Float32Array.from({ length: 10 }, (_, i) => i), y: Int32Array.from([0, 1, 2, 3, 4]), n: 5, features: 2 });

/** An IDX file: 0 0, type, rank, big-endian dims, big-endian data. */
export function idxBytes(type: number, shape: number[], values: number[], size: number, set: (dv: DataView, at: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + size * values.length);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  values.forEach((v, i) => set(dv, 4 + 4 * shape.length + size * i, v));
  return out;
}

/** The safetensors header of `bytes` (u64 length, JSON). */
export function stHeader(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/** Serves `bytes` once on 127.0.0.1 (an ephemeral port) and returns its URL and a closer. */
export async function serveOnce(bytes: Uint8Array): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.from(bytes));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/w.safetensors`, close: () => new Promise((ok) => server.close(() => ok())) };
}

export class TwoLayer extends wg.nn.Module {
  readonly a = this.registerModule('a', new wg.nn.Linear(2, 3));
  readonly scale = this.registerParameter('scale', wg.ones([1], { requiresGrad: true }));
  forward(x: wg.Tensor): wg.Tensor {
    return this.a.forward(x).relu().mul(this.scale);
  }
}

/** A module with a persistent and a non-persistent buffer beside a child's parameters. */
export class Centered extends wg.nn.Module {
  readonly fc = new wg.nn.Linear(2, 1);
  readonly center = this.registerBuffer('center', wg.tensor([1, 2]));
  readonly calls = this.registerBuffer('calls', wg.zeros([1]), { persistent: false });
  forward(x: wg.Tensor): wg.Tensor {
    return this.fc.forward(x.sub(this.center));
  }
}
