// Where a training step's GPU time goes, kernel by kernel, on an adapter whose timestamps
// cannot say (lavapipe runs the kernels of one submit overlapped on the CPU threads, so
// wg.profile's per-pass timestamps moved 2-10x for the same kernel between two runs).
//
// It records every dispatch of one step (pipeline, bind group, dynamic offset, grid and the
// uniform slot's bytes) by wrapping the pass encoder and queue.writeBuffer, then replays each
// dispatch alone: `reps` copies of it in one submit, timed to onSubmittedWorkDone, minus the
// same for an empty submit. The replays write garbage into the step's buffers (the model is
// thrown away); what they measure is each kernel's own time with the whole machine to itself.
//   XDG_RUNTIME_DIR=/tmp/xdg node --import ./scripts/register.mjs bench/experiments/kernel-times.ts [gpt|mlp|cnn] [reps=3]
import * as wg from 'webgrad-gpu';
import { GPT } from '../../examples/gpt/model.js';
import { makeCnn, makeModel } from '../../examples/mnist/model.js';
// Internal, for timing only: the backend's GPUDevice.
import { getBackend } from '../../src/runtime.js';

const which = process.argv[2] ?? 'gpt';
const reps = Number(process.argv[3] ?? 3);
await wg.init({ backend: 'webgpu', verbose: false });
const { nn, optim } = wg;
const F = nn.functional;
const device = (getBackend() as unknown as { device: GPUDevice }).device;

interface Captured {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  offset: number;
  grid: [number, number, number];
  slot: Uint8Array | null;
}
let capturing = false;
const captured: Captured[] = [];
let current: Partial<Captured> = {};

// Wrap the pass encoder's prototype (taken from a throwaway pass) and the queue's writeBuffer.
const probe = device.createCommandEncoder();
const probePass = probe.beginComputePass();
const passProto = Object.getPrototypeOf(probePass) as GPUComputePassEncoder;
probePass.end();
probe.finish();
const orig = {
  setPipeline: passProto.setPipeline,
  setBindGroup: passProto.setBindGroup,
  dispatchWorkgroups: passProto.dispatchWorkgroups,
  writeBuffer: device.queue.writeBuffer.bind(device.queue),
};
passProto.setPipeline = function (this: GPUComputePassEncoder, p: GPUComputePipeline) {
  if (capturing) current.pipeline = p;
  return orig.setPipeline.call(this, p);
};
passProto.setBindGroup = function (this: GPUComputePassEncoder, i: number, bg: GPUBindGroup | null, offsets?: Iterable<number>) {
  if (capturing && bg) {
    current.bindGroup = bg;
    current.offset = offsets ? [...offsets][0] ?? 0 : 0;
  }
  return (orig.setBindGroup as (i: number, bg: GPUBindGroup | null, o?: Iterable<number>) => undefined).call(this, i, bg, offsets);
} as GPUComputePassEncoder['setBindGroup'];
passProto.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y = 1, z = 1) {
  if (capturing) captured.push({ ...(current as Captured), grid: [x, y, z], slot: null });
  return orig.dispatchWorkgroups.call(this, x, y, z);
};
// The pool destroys buffers it cannot keep; a replay needs every captured one alive.
const someBuffer = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
(Object.getPrototypeOf(someBuffer) as GPUBuffer).destroy = () => {};
let arena: GPUBuffer | null = null;
device.queue.writeBuffer = ((buffer: GPUBuffer, offset: number, data: BufferSource, dataOffset = 0, size?: number) => {
  if (buffer.label === 'webgrad:uniform-arena') {
    arena = buffer;
    const bytes = new Uint8Array(data instanceof ArrayBuffer ? data : (data as ArrayBufferView).buffer, dataOffset);
    // The arena is written whole at each submit: give each dispatch recorded since its slot.
    for (const c of captured) if (c.slot === null) c.slot = bytes.slice(c.offset, c.offset + 256);
  }
  return orig.writeBuffer(buffer, offset, data as never, dataOffset, size);
}) as GPUQueue['writeBuffer'];

type Step = () => wg.Tensor;
function gpt(): Step {
  wg.manualSeed(0);
  const model = new GPT({ vocabSize: 89, layers: 2, heads: 4, embd: 64, block: 64 });
  const params = [...model.parameters()];
  const opt = new optim.AdamW(model.paramGroups(0.1, false), { lr: 3e-3, betas: [0.9, 0.99] });
  const x = wg.randint(0, 89, [32, 64]);
  const y = wg.randint(0, 89, [32, 64]);
  return () => {
    const loss = F.crossEntropy(model.forward(x), y.reshape([-1]));
    opt.zeroGrad();
    loss.backward();
    nn.utils.clipGradNorm_(params, 1).dispose();
    opt.step();
    return loss;
  };
}
/** An MNIST classifier's step on one fixed batch of 64 (the optimizer as the bench rows use it). */
function classifier(model: wg.nn.Module, makeOpt: (params: wg.Tensor[]) => { zeroGrad(): void; step(): void }): Step {
  const opt = makeOpt([...model.parameters()]);
  const x = wg.rand([64, 784]);
  const y = wg.randint(0, 10, [64]);
  return () => {
    const loss = F.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return loss;
  };
}
function mlp(): Step {
  wg.manualSeed(0);
  return classifier(makeModel(128), (p) => new optim.Adam(p, { lr: 2e-3 }));
}
function cnn(): Step {
  wg.manualSeed(0);
  return classifier(makeCnn(), (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 }));
}
const make = { gpt, mlp, cnn }[which];
if (!make) throw new Error(`model ${which}: expected gpt, mlp or cnn`);

/** Captures one call of `step` (after warm-up calls), returning its dispatches. */
async function capture(step: Step): Promise<Captured[]> {
  for (let i = 0; i < 2; i++) await wg.scope(async () => step().item());
  captured.length = 0;
  current = {};
  capturing = true;
  await wg.scope(async () => step().item());
  capturing = false;
  return captured.splice(0);
}

async function timeSubmit(encode: (pass: GPUComputePassEncoder) => void): Promise<number> {
  const t0 = performance.now();
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encode(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

const detail: string[] = [];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Each dispatch's time alone: median of 5 submits of `reps` copies, less an empty submit's. */
async function replay(list: Captured[]): Promise<Map<string, { count: number; ms: number }>> {
  const none: number[] = [];
  for (let i = 0; i < 5; i++) none.push(await timeSubmit(() => {}));
  const empty = median(none);
  const byKernel = new Map<string, { count: number; ms: number }>();
  for (const c of list) {
    if (c.slot) orig.writeBuffer(arena!, 0, c.slot as never);
    const t: number[] = [];
    for (let i = 0; i < 5; i++) {
      t.push(await timeSubmit((pass) => {
        orig.setPipeline.call(pass, c.pipeline);
        (orig.setBindGroup as (i: number, bg: GPUBindGroup, o: number[]) => undefined).call(pass, 0, c.bindGroup, c.slot ? [0] : []);
        for (let r = 0; r < reps; r++) orig.dispatchWorkgroups.call(pass, ...c.grid);
      }));
    }
    const ms = Math.max(0, (median(t) - empty) / reps);
    const label = c.pipeline.label.startsWith('chain') ? 'chain (generated)' : c.pipeline.label;
    if (process.env.KT_LIST) {
      const w = c.slot ? [...new Uint32Array(c.slot.buffer, c.slot.byteOffset, 12)].join(',') : '';
      detail.push(`${ms.toFixed(3)} ms  ${c.pipeline.label}  grid ${c.grid.join('x')}  uniforms ${w}`);
    }
    const e = byKernel.get(label) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += ms;
    byKernel.set(label, e);
  }
  return byKernel;
}

const eagerList = await capture(make());
const compiledStep = wg.compile(make());
const compiledList = await capture(compiledStep);
const info = compiledStep.info();
console.log(`${which}: ${eagerList.length} dispatches eager, ${compiledList.length} compiled; peak bytes ${info.eagerPeakBytes} eager, ${info.peakBytes} compiled; replaying each alone (${reps} per submit)`);
// Each list twice, taking turns; the second pass of each is kept (the first warms caches).
await replay(eagerList);
await replay(compiledList);
const eager = await replay(eagerList);
const compiled = await replay(compiledList);
const total = (m: Map<string, { ms: number }>): number => [...m.values()].reduce((s, e) => s + e.ms, 0);
const te = total(eager);
const tc = total(compiled);
const rows = new Set([...eager.keys(), ...compiled.keys()]);
const lines = [...rows]
  .map((k) => ({ k, e: eager.get(k) ?? { count: 0, ms: 0 }, c: compiled.get(k) ?? { count: 0, ms: 0 } }))
  .sort((a, b) => b.e.ms + b.c.ms - (a.e.ms + a.c.ms));
console.log(`| kernel | eager n | eager ms | share | compiled n | compiled ms | share |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const { k, e, c } of lines) {
  console.log(`| ${k} | ${e.count} | ${e.ms.toFixed(2)} | ${((100 * e.ms) / te).toFixed(1)}% | ${c.count} | ${c.ms.toFixed(2)} | ${((100 * c.ms) / tc).toFixed(1)}% |`);
}
console.log(`| total | ${eagerList.length} | ${te.toFixed(1)} | | ${compiledList.length} | ${tc.toFixed(1)} | |`);
if (process.env.KT_LIST) console.log(detail.slice(-(eagerList.length + compiledList.length)).join('\n'));
wg.destroy();
