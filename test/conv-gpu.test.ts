// The convolution kernels (shaders/conv.wgsl: forward, input gradient, weight gradient) on
// WebGPU against the CPU backend (the oracle), on seeded random inputs of awkward geometries:
// odd sizes, stride 2 with padding, dilation, groups (depthwise included), 1x1 kernels,
// batch 1, channels 1/3/17, a kernel as large as the padded input, and the output padding row
// of convTranspose2d (outH larger than the conv's). Both kernel profiles run: lavapipe is
// 'cpu-emulated' (direct loads; the forward in conv_fwd where its input window fits, 32 elements,
// else the generic kernel; the input gradient at stride 1 in conv_fwd over dy with the
// flipped, transposed weights where they fit workgroup memory; the weight gradient in conv_dw
// where it has at most 64 taps per output channel), a second backend forced to 'gpu' runs the
// workgroup-tiled form. Tolerance: float32 sums of up to a few thousand products on the GPU against float64
// rounded once on the CPU: relative error in the 2-norm <= 1e-5.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConvArgs, Storage } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { createWebGPUBackend, type WebGPUBackend } from '../src/backend/webgpu/device.js';
import type { TypedArray } from '../src/dtype.js';
import { relNormError } from './helpers/close.js';
import { gpuBackendOrSkip } from './helpers/gpu.js';
import { randn } from './helpers/random.js';

const { backend: gpu } = await gpuBackendOrSkip();
const cpu = new CpuBackend();
afterAll(() => gpu?.destroy());

type Geo = Omit<ConvArgs, 'outH' | 'outW'> & { outH?: number; outW?: number };
const out = (size: number, k: number, s: number, p: number, d: number): number => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
function args(g: Geo): ConvArgs {
  return {
    ...g,
    outH: g.outH ?? out(g.inH, g.kH, g.strideH, g.padH, g.dilH),
    outW: g.outW ?? out(g.inW, g.kW, g.strideW, g.padW, g.dilW),
  };
}
const geo = (batch: number, inC: number, outC: number, inH: number, inW: number, k: number, o: Partial<Geo> = {}): ConvArgs =>
  args({ batch, inC, outC, inH, inW, kH: k, kW: k, strideH: 1, strideW: 1, padH: 0, padW: 0, dilH: 1, dilW: 1, groups: 1, ...o });

const CASES: [string, ConvArgs][] = [
  ['1x1 kernel, batch 1, 1 channel', geo(1, 1, 1, 1, 1, 1)],
  ['3x3, 3->17, odd 11x9', geo(2, 3, 17, 11, 9, 3, { padH: 1, padW: 1 })],
  ['5x5 pad 2, 1->8 (MNIST first layer, small batch)', geo(3, 1, 8, 12, 12, 5, { padH: 2, padW: 2 })],
  ['stride 2 pad 1, 3x3, 17->3', geo(2, 17, 3, 9, 11, 3, { strideH: 2, strideW: 2, padH: 1, padW: 1 })],
  ['stride (2, 3), pad (0, 2), kernel 2x4', args({ batch: 2, inC: 3, outC: 5, inH: 7, inW: 10, kH: 2, kW: 4, strideH: 2, strideW: 3, padH: 0, padW: 2, dilH: 1, dilW: 1, groups: 1 })],
  ['dilation 2, 3x3, pad 2', geo(2, 3, 4, 9, 8, 3, { dilH: 2, dilW: 2, padH: 2, padW: 2 })],
  ['groups 3 (6->9)', geo(2, 6, 9, 7, 7, 3, { groups: 3, padH: 1, padW: 1 })],
  ['depthwise 17 channels, stride 2', geo(2, 17, 17, 9, 9, 3, { groups: 17, strideH: 2, strideW: 2, padH: 1, padW: 1 })],
  ['kernel as large as the padded input', geo(2, 2, 3, 3, 4, 5, { padH: 1, padW: 1 })],
  ['1-D as 2-D (height 1), stride 2 dilation 3', args({ batch: 3, inC: 3, outC: 4, inH: 1, inW: 65, kH: 1, kW: 5, strideH: 1, strideW: 2, padH: 0, padW: 4, dilH: 1, dilW: 3, groups: 1 })],
  // convTranspose2d with outputPadding 1 >= stride 1 (allowed as < dilation 2): the conv it
  // transposes has an input row and column that no output window reaches.
  ["a transposed conv's output padding (outH one short of the formula)", { ...geo(2, 4, 3, 10, 10, 3, { dilH: 2, dilW: 2 }), outH: 5, outW: 5 }],
  // Groups of 17 output channels (a partial 16-row tile), stride 2, odd sizes.
  ['groups 2 of 3->17, stride 2 pad 1, 9x7', geo(2, 6, 34, 9, 7, 3, { groups: 2, strideH: 2, strideW: 2, padH: 1, padW: 1 })],
  // Long k for the weight gradient (3·14·14 = 588): two splits summed in order.
  ['8->16, 5x5 pad 2, 14x14, batch 3 (MNIST second layer)', geo(3, 8, 16, 14, 14, 5, { padH: 2, padW: 2 })],
  // The forward on CPU-emulated adapters (conv_fwd): rows wider than 16 split into equal blocks
  // (37 = 3 of 13) with a partial last row block (17 channels, 4 a block), an odd batch.
  ['3->17, 3x3 pad 1, 5x37, stride (1, 1), batch 3', geo(3, 3, 17, 5, 37, 3, { padH: 1, padW: 1 })],
  // Weights too many for workgroup memory (4 rows x 48·25 = 19,200 bytes > 16 KiB): read from
  // the storage buffer instead.
  ['48->4, 5x5 pad 2, weights past workgroup memory', geo(2, 48, 4, 6, 5, 5, { padH: 2, padW: 2 })],
  // The weight gradient in conv_dw (at most 64 taps per output channel): batch·outH = 55 rows
  // in splits of 10 that cross samples, the last one short; 3 channels in one block.
  ['2->3, 5x5 pad 1, 13x13, batch 5 (weight gradient split over rows)', geo(5, 2, 3, 13, 13, 5, { padH: 1, padW: 1 })],
  // Padding past the kernel's reach (3 > 2): the input gradient cannot be a forward
  // convolution with padding d·(k-1) - p < 0, the generic kernel runs it.
  ['3x3 pad 3, 3->5, 6x7', geo(2, 3, 5, 6, 7, 3, { padH: 3, padW: 3 })],
  // A window wider than conv_fwd takes (dilation 9 over 5 taps: 37 > 32 inputs): the generic
  // kernel runs the forward.
  ['1x5 kernel, dilation 9 in width, pad (0, 3)', args({ batch: 2, inC: 2, outC: 3, inH: 3, inW: 40, kH: 1, kW: 5, strideH: 1, strideW: 1, padH: 0, padW: 3, dilH: 1, dilW: 9, groups: 1 })],
];

async function expectSame(be: WebGPUBackend, run: (b: CpuBackend | WebGPUBackend, pick: (p: Pair) => Storage) => Storage, label: string): Promise<void> {
  const c = await cpu.read(run(cpu, (p) => p.cpu));
  const g = await be.read(run(be, (p) => p.webgpu));
  expect(g.length, label).toBe(c.length);
  expect(relNormError(g as TypedArray, c as TypedArray), label).toBeLessThanOrEqual(1e-5);
}
type Pair = { cpu: Storage; webgpu: Storage };

// The workgroup-memory form compiles slowly on lavapipe (~9 s a pipeline): it runs the cases
// that reach its edges (partial tiles in m and n, stride 2, groups, split-K).
const GPU_PROFILE = new Set(['groups 2 of 3->17, stride 2 pad 1, 9x7', '8->16, 5x5 pad 2, 14x14, batch 3 (MNIST second layer)']);

describe.skipIf(!gpu).each(['auto', 'gpu'] as const)('conv kernels: WebGPU = CPU (profile %s)', (profile) => {
  let be: WebGPUBackend;
  beforeAll(async () => {
    be = profile === 'auto' ? gpu! : (await createWebGPUBackend({ profile: 'gpu' }))!;
  });
  afterAll(() => {
    if (profile !== 'auto') be.destroy();
  });
  const up = (d: Float32Array): Pair => ({ cpu: cpu.upload(d, 'float32'), webgpu: be.upload(d, 'float32') });

  test.each(CASES.filter(([name]) => profile === 'auto' || GPU_PROFILE.has(name)))('%s: forward (with and without bias), input and weight gradients', async (_, a) => {
    const icg = a.inC / a.groups;
    const x = up(randn(a.batch * a.inC * a.inH * a.inW, 1));
    const w = up(randn(a.outC * icg * a.kH * a.kW, 2));
    const b = up(randn(a.outC, 3));
    const dy = up(randn(a.batch * a.outC * a.outH * a.outW, 4));
    await expectSame(be, (k, p) => k.conv2d(p(x), p(w), null, a), 'forward');
    await expectSame(be, (k, p) => k.conv2d(p(x), p(w), p(b), a), 'forward + bias');
    await expectSame(be, (k, p) => k.conv2dInputGrad(p(dy), p(w), a), 'input gradient');
    await expectSame(be, (k, p) => k.conv2dWeightGrad(p(x), p(dy), a), 'weight gradient');
  });
});
