import { test } from 'vitest';
import * as wg from 'webgrad-gpu';
test('p', async () => {
  await wg.init({ backend: 'webgpu', verbose: false });
  const X = wg.randn([10000, 256], { requiresGrad: true });
  const labels = Int32Array.from({ length: 4096 }, (_, i) => (i * 7919) % 10000);
  const full = wg.tensor(Int32Array.from({ length: 4096 * 256 }, (_, e) => labels[Math.floor(e / 256)]), { dtype: 'int32' }).reshape([4096, 256]);
  const DY = wg.randn([4096, 256]);
  X.gather(0, full).backward(DY); await X.grad!.toArray(); X.grad = null;
  const r = await wg.profile(async () => { X.gather(0, full).backward(DY); await X.grad!.toArray(); });
  console.log(wg.formatProfile(r));
}, 120000);
