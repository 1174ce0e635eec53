// Times each fused attention kernel alone on this adapter ([32·4, 64, 16], causal), to see
// which of forward, grad_q and grad_kv dominates: node --import ./scripts/register.mjs bench/experiments/attention-kernels.ts
import { createWebGPUBackend } from '../../src/backend/webgpu/device.js';
import type { AttentionArgs } from '../../src/backend/backend.js';
import { contiguousLayouts } from '../../src/shape.js';

const found = await createWebGPUBackend();
if (!found) throw new Error("no WebGPU adapter");
const gpu = found;
const t = Number(process.argv[2] ?? 64);
const a: AttentionArgs = { batch: 128, l: t, s: t, e: 16, ev: 16, scale: 0.25, causal: true, maskBatchStride: 0, layouts: contiguousLayouts(t, t, 16, 16) };
const n = 128 * t * 16;
const up = () => gpu.upload(Float32Array.from({ length: n }, () => Math.random() - 0.5), 'float32');
const [q, k, v, g] = [up(), up(), up(), up()];
const time = async (label: string, f: () => void) => {
  for (let w = 0; w < 2; w++) f();
  await gpu.read(gpu.full(1, 'float32', 0));
  const t0 = performance.now();
  const reps = 5;
  for (let r = 0; r < reps; r++) f();
  await gpu.read(gpu.full(1, 'float32', 0));
  console.log(label, ((performance.now() - t0) / reps).toFixed(1), 'ms');
};
const { out, lse } = gpu.attention(q, k, v, null, a);
await time('forward', () => { const r = gpu.attention(q, k, v, null, a); gpu.release(r.out); gpu.release(r.lse); });
await time('backward (grad_q + grad_kv)', () => { const r = gpu.attentionBackward(q, k, v, null, out, lse, g, a); gpu.release(r.dq); gpu.release(r.dk); gpu.release(r.dv); });
gpu.destroy();
