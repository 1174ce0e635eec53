// One elementwise chain on [rows, cols] floats (gelu: GELU's tanh form after a bias add, 9 ops;
// norm: LayerNorm's normalisation with per-row statistics and per-column affine, 4 broadcast ops), eager against
// wg.compile, interleaved, each timed to completion (a 1-float readback of the result's sum):
// does a generated chain kernel run as fast as the separate (vec4) kernels it replaces?
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/compiled-chain.ts [rows=2048] [cols=256] [gelu|norm]
import * as wg from 'webgrad-gpu';

const rows = Number(process.argv[2] ?? 2048);
const cols = Number(process.argv[3] ?? 256);
await wg.init({ backend: 'webgpu', verbose: false });
const x = wg.randn([rows, cols]);
const b = wg.randn([cols]);
const w = wg.randn([cols]);
const mean = wg.randn([rows, 1]);
const rstd = wg.rand([rows, 1]);
const kind = process.argv[4] ?? 'gelu';
const gelu = (x: wg.Tensor, b: wg.Tensor): wg.Tensor => {
  if (kind === 'norm') return x.sub(mean).mul(rstd).mul(w).add(b);
  const h = x.add(b);
  return h.mul(0.5).mul(h.add(h.pow(3).mul(0.044715)).mul(0.7978845608).tanh().add(1));
};
const compiled = wg.compile(gelu);
const run = async (f: typeof gelu): Promise<number> => {
  const t0 = performance.now();
  await wg.scope(async () => void (await f(x, b).sum().item()));
  return performance.now() - t0;
};
for (let i = 0; i < 3; i++) (await run(gelu), await run(compiled));
const e: number[] = [];
const c: number[] = [];
for (let i = 0; i < 15; i++) {
  if (i % 2) (c.push(await run(compiled)), e.push(await run(gelu)));
  else (e.push(await run(gelu)), c.push(await run(compiled)));
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log(`${kind} [${rows}, ${cols}]: eager ${med(e).toFixed(2)} ms, compiled ${med(c).toFixed(2)} ms (${(med(e) / med(c)).toFixed(2)}x); ${JSON.stringify(compiled.info())}`);
wg.destroy();
