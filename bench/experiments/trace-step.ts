// Lists the backend calls (and GPU dispatches) of one tutorial step and one MLP training step:
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/trace-step.ts
import * as wg from 'webgrad-gpu';
import { getBackend } from '../../src/runtime.js';

await wg.init({ backend: 'webgpu', verbose: false });
const be = getBackend() as unknown as Record<string, unknown> & { stats: { dispatches: number } };
const log: string[] = [];
for (const name of ['full', 'fill', 'copy', 'cast', 'strided', 'unary', 'unaryGrad', 'clamp', 'clampGrad', 'binary', 'sumTo', 'reduce', 'matmul', 'softmax', 'softmaxGrad', 'crossEntropy', 'crossEntropyGrad', 'sgdStep', 'upload', 'read']) {
  const f = be[name] as (...a: unknown[]) => unknown;
  if (typeof f !== 'function') continue;
  be[name] = (...args: unknown[]) => {
    const d0 = be.stats.dispatches;
    const r = f.apply(be, args);
    const d = be.stats.dispatches - d0;
    const desc = args.map((a) => (a && typeof a === 'object' && 'numel' in (a as object) ? `[${(a as { numel: number }).numel}]` : JSON.stringify(a))).join(' ').slice(0, 120);
    log.push(`${d} ${name} ${desc}`);
    return r;
  };
}
const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
{
  const X = wg.tensor(rnd(2330)).reshape([233, 10]);
  const Y = wg.tensor(rnd(2330)).reshape([233, 10]);
  const W1 = wg.tensor(rnd(70)).reshape([10, 7]).requiresGrad_();
  const W2 = wg.tensor(rnd(70)).reshape([7, 10]).requiresGrad_();
  for (let s = 0; s < 3; s++) {
    log.length = 0;
    await wg.scope(async () => {
      const loss = X.mm(W1).clamp(0).mm(W2).sub(Y).pow(2).sum();
      await loss.item();
      loss.backward();
      wg.noGrad(() => {
        W1.sub_(W1.grad!.mul(1e-4));
        W2.sub_(W2.grad!.mul(1e-4));
        W1.grad!.zero_();
        W2.grad!.zero_();
      });
    });
  }
  console.log('tutorial step:\n  ' + log.join('\n  '));
}
{
  const model = new wg.nn.Sequential(new wg.nn.Linear(784, 128), new wg.nn.ReLU(), new wg.nn.Linear(128, 10));
  const opt = new wg.optim.SGD(model.parameters(), { lr: 0.05 });
  const x = wg.tensor(rnd(128 * 784)).reshape([128, 784]);
  const y = wg.tensor(Int32Array.from({ length: 128 }, (_, i) => i % 10));
  for (let s = 0; s < 3; s++) {
    log.length = 0;
    wg.scope(() => {
      opt.zeroGrad();
      const loss = wg.nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
    });
  }
  console.log('MLP step:\n  ' + log.join('\n  '));
}
wg.destroy();
