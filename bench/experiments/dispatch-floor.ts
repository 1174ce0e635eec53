// The fixed costs behind the tutorial step (bench row 5) on this adapter, interleaved in one
// process, medians of per-run means (20 steps or ops per run):
//   tiny xK     K elementwise dispatches on 70 floats, then item() of one float
//   clear x4    4 zero_() (clearBuffer, no dispatch), then item()
//   tutorial    the tutorial step as written (15 dispatches when this was written, 10 after
//               the binary2 / matmul epilogue / unary_pre fusions; trace-step.ts lists them)
//   sgdStep     the same with its SGD as optim.SGD's fused sgdStep (one dispatch a parameter)
//   no update   forward, item() and backward only (grads set to null)
// Measured before the fusions: tiny ~45 us a dispatch, item() ~37 us, clear x4 ~+6..20 us;
// tutorial 1.33 ms, sgdStep 1.10 ms, no update 0.77..0.93 ms.
// Run: XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/dispatch-floor.ts
import * as wg from 'webgrad-gpu';

await wg.init({ backend: 'webgpu', verbose: false });
const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const a = wg.tensor(rnd(70));
const s = wg.tensor(rnd(1));
const X = wg.tensor(rnd(2330)).reshape([233, 10]);
const Y = wg.tensor(rnd(2330)).reshape([233, 10]);
const W1 = wg.tensor(rnd(70).map((v) => v * 0.1)).reshape([10, 7]).requiresGrad_();
const W2 = wg.tensor(rnd(70).map((v) => v * 0.1)).reshape([7, 10]).requiresGrad_();
const opt = new wg.optim.SGD([W1, W2], { lr: 1e-4 });
const REPS = 20;

async function timed(body: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  for (let r = 0; r < REPS; r++) await wg.scope(body);
  return (performance.now() - t0) / REPS;
}
const tiny = (k: number) => async () => {
  for (let i = 0; i < k; i++) a.neg();
  await s.item();
};
const step = (update: 'tutorial' | 'fused' | 'none') => async () => {
  const loss = X.mm(W1).clamp(0).mm(W2).sub(Y).pow(2).sum();
  await loss.item();
  loss.backward();
  if (update !== 'tutorial') {
    if (update === 'fused') opt.step();
    opt.zeroGrad();
    return;
  }
  wg.noGrad(() => {
    W1.sub_(W1.grad!.mul(1e-4));
    W2.sub_(W2.grad!.mul(1e-4));
    W1.grad!.zero_();
    W2.grad!.zero_();
  });
};
const cases: [string, () => Promise<void>][] = [
  ...[0, 1, 2, 4, 8, 16].map((k): [string, () => Promise<void>] => [`tiny x${k}`, tiny(k)]),
  ['clear x4', async () => { for (let i = 0; i < 4; i++) a.zero_(); await s.item(); }],
  ['tutorial', step('tutorial')],
  ['sgdStep', step('fused')],
  ['no update', step('none')],
];
const res = new Map<string, number[]>();
for (let round = 0; round < 16; round++) {
  for (const [name, body] of round % 2 ? [...cases].reverse() : cases) {
    const v = await timed(body);
    if (round > 0) res.set(name, [...(res.get(name) ?? []), v]);
  }
}
const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
for (const [name, xs] of res) console.log(`${name.padEnd(10)} ${(med(xs) * 1000).toFixed(0).padStart(6)} µs`);
wg.destroy();
