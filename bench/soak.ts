// `npm run soak`: trains the tutorial's two-layer net (233×10 → 7 → 10, squared loss, SGD by
// hand under noGrad, each step inside scope()) for many steps and prints the memory figures
// every N steps. Live tensors and device bytes must be flat after warm-up and the pool bounded;
// the run exits 1 if they drift. test/soak.test.ts runs a short form of the same loop in CI.
//
//   npm run soak                                   20,000 steps on the default backend
//   npm run soak -- --steps 5000 --every 500 --backend cpu
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as wg from 'webgrad-gpu';

export interface SoakSample {
  step: number;
  loss: number;
  liveTensors: number;
  bytesInUse: number;
  poolBytes: number;
  /** Mean wall time per step since the previous sample. */
  msPerStep: number;
}

export interface SoakResult {
  samples: SoakSample[];
  /** The first sample after warm-up, which every later one is compared with. */
  warm: SoakSample;
  end: SoakSample;
  /** Live tensors and bytes identical from warm to end, and the pool never above its warm-up peak. */
  flat: boolean;
  poolPeak: number;
}

/**
 * Runs `steps` training steps of the tutorial net (tensors made on the current backend) and
 * samples memory after a readback every `every` steps. Steps before `warmup` may grow the pool
 * (its size classes fill up); after it nothing may grow.
 */
export async function soak(steps: number, every: number, warmup: number, onSample?: (s: SoakSample) => void): Promise<SoakResult> {
  wg.manualSeed(0);
  const data = wg.randn([233, 10]);
  const label = wg.randn([233, 10]);
  const w1 = wg.randn([10, 7], { requiresGrad: true });
  const w2 = wg.randn([7, 10], { requiresGrad: true });
  const samples: SoakSample[] = [];
  let poolPeakWarmup = 0;
  let poolPeak = 0;
  let t0 = performance.now();
  let lastStep = 0;
  for (let step = 1; step <= steps; step++) {
    const loss = wg.scope(() => {
      const loss = data.mm(w1).clamp(0).mm(w2).sub(label).pow(2).sum();
      loss.backward();
      wg.noGrad(() => {
        w1.sub_(w1.grad!.mul(1e-4));
        w2.sub_(w2.grad!.mul(1e-4));
        w1.grad!.zero_();
        w2.grad!.zero_();
      });
      return loss;
    });
    const sampleNow = step % every === 0 || step === warmup || step === steps;
    if (sampleNow) {
      const value = await loss.item(); // the only readback: it also settles the device's queue
      loss.dispose();
      const m = wg.memory();
      const now = performance.now();
      const s: SoakSample = { step, loss: value, liveTensors: m.liveTensors, bytesInUse: m.bytesInUse, poolBytes: m.poolBytes, msPerStep: (now - t0) / (step - lastStep) };
      [t0, lastStep] = [now, step];
      if (step <= warmup) poolPeakWarmup = Math.max(poolPeakWarmup, m.poolBytes);
      poolPeak = Math.max(poolPeak, m.poolBytes);
      samples.push(s);
      onSample?.(s);
    } else {
      loss.dispose();
    }
  }
  for (const t of [data, label, w1, w2]) {
    t.grad?.dispose();
    t.dispose();
  }
  const warm = samples.find((s) => s.step >= warmup) ?? samples[0];
  const end = samples[samples.length - 1];
  const after = samples.filter((s) => s.step >= warm.step);
  const flat =
    after.every((s) => s.liveTensors === warm.liveTensors && s.bytesInUse === warm.bytesInUse) &&
    poolPeak <= Math.max(poolPeakWarmup, warm.poolBytes);
  return { samples, warm, end, flat, poolPeak };
}

const fmtBytes = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '20000' },
      every: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '100' },
      backend: { type: 'string', default: 'auto' },
    },
  });
  const steps = Number(values.steps);
  const every = Number(values.every);
  const warmup = Number(values.warmup);
  const info = await wg.init({ backend: values.backend as wg.BackendChoice, verbose: true });
  const start = wg.memory();
  console.log(`soak: ${steps} steps of the tutorial net on ${info.name}, memory every ${every} steps (warm-up ${warmup})`);
  console.log(`before: ${start.liveTensors} live tensors, ${fmtBytes(start.bytesInUse)} in use, pool ${fmtBytes(start.poolBytes)}`);
  console.log('   step        loss   live   in use       pool        ms/step');
  const result = await soak(steps, every, warmup, (s) =>
    console.log(
      `${String(s.step).padStart(7)} ${s.loss.toExponential(3).padStart(11)} ${String(s.liveTensors).padStart(6)} ${fmtBytes(s.bytesInUse).padStart(10)} ${fmtBytes(s.poolBytes).padStart(10)} ${s.msPerStep.toFixed(3).padStart(14)}`,
    ),
  );
  const { warm, end } = result;
  console.log(
    `warm (step ${warm.step}): ${warm.liveTensors} live, ${fmtBytes(warm.bytesInUse)} in use, pool ${fmtBytes(warm.poolBytes)}; ` +
      `end (step ${end.step}): ${end.liveTensors} live, ${fmtBytes(end.bytesInUse)} in use, pool ${fmtBytes(end.poolBytes)} (peak ${fmtBytes(result.poolPeak)})`,
  );
  const after = wg.memory();
  console.log(`after disposing the net: ${after.liveTensors} live tensors, ${fmtBytes(after.bytesInUse)} in use`);
  console.log(result.flat ? 'flat: no growth after warm-up' : 'DRIFT: memory grew after warm-up');
  wg.destroy();
  if (!result.flat) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
