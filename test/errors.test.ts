// Bad input, path by path: each must throw a WebgradError that names the op, the shapes and
// what was expected, before any kernel or upload runs, and leave the library usable. The
// table in docs/errors.md lists the same cases.
import { expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';
import { settleGarbage } from './helpers/settle.js';

const backends = await backendsUnderTest();

/** Backend methods that do work (allocate, upload, launch, copy); info/memory/read are not. */
const WORK = [
  'upload', 'full', 'release', 'copy', 'fill', 'cast', 'strided', 'unary', 'unaryGrad', 'clamp', 'clampGrad', 'binary', 'sumTo',
  'reduce', 'argReduce', 'scatterIndex', 'matmul', 'softmax', 'softmaxGrad', 'crossEntropy', 'crossEntropyGrad', 'optimizerStep',
] as const;

/** Counts the current backend's work calls while `fn` runs. */
async function countWork(fn: () => unknown): Promise<{ calls: string[]; error: unknown }> {
  const probe = wg.zeros([1]);
  const backend = probe.backend as unknown as Record<string, unknown>;
  probe.dispose();
  const calls: string[] = [];
  for (const name of WORK) {
    const orig = backend[name] as (...a: unknown[]) => unknown;
    backend[name] = (...args: unknown[]) => {
      calls.push(name);
      return orig.apply(backend, args);
    };
  }
  let error: unknown = null;
  try {
    await fn();
  } catch (e) {
    error = e;
  } finally {
    for (const name of WORK) delete backend[name];
  }
  return { calls, error };
}

/** A small forward and backward: grad mode, scopes and the backend all still work. */
async function stillWorks(): Promise<void> {
  const x = wg.tensor([1, 2, 3], { requiresGrad: true });
  const loss = x.mul(x).sum();
  expect(await loss.item()).toBe(14);
  loss.backward();
  expect(Array.from(await x.grad!.toArray())).toEqual([2, 4, 6]);
  expect(wg.isGradEnabled()).toBe(true);
}

/**
 * `bad` must throw a WebgradError for `op` whose message matches `message`, having run no
 * backend work and left the live-tensor count as it was; then a valid computation must work.
 */
async function expectRefused(bad: () => unknown, op: string, message: RegExp): Promise<void> {
  await settleGarbage();
  const live = wg.memory().liveTensors;
  const { calls, error } = await countWork(bad);
  expect(error, 'expected a WebgradError').toBeInstanceOf(wg.WebgradError);
  const e = error as wg.WebgradError;
  expect(e.op).toBe(op);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
  expect(e.message).toMatch(message);
  expect(calls, `backend work before the refusal: ${calls.join(', ')}`).toEqual([]);
  expect(wg.memory().liveTensors).toBe(live);
  await stillWorks();
}

describeEachBackend(backends, 'errors: shapes', () => {
  it('refuses matrix products of mismatched shapes', async () => {
    const [a, b56, b245, v2, v3, t234, t345, t4d, m22, t322, s0] = [[3, 4], [5, 6], [2, 4, 5], [2], [3], [2, 3, 4], [3, 4, 5], [2, 2, 2, 2], [2, 2], [3, 2, 2], []].map((s) => wg.ones(s));
    await expectRefused(() => a.mm(b56), 'mm', /^mm: shapes \[3,4\] and \[5,6\] cannot be multiplied \(4 != 5\)$/);
    await expectRefused(() => a.mm(b245), 'mm', /expected 2-D tensors, got shapes \[3,4\] and \[2,4,5\]/);
    await expectRefused(() => a.matmul(v3), 'matmul', /shapes \[3,4\] and \[3\] cannot be multiplied \(4 != 3\)/);
    await expectRefused(() => v2.matmul(v3), 'matmul', /vectors of sizes 2 and 3 have no dot product/);
    await expectRefused(() => t234.matmul(t345), 'matmul', /batch dims of shapes \[2,3,4\] and \[3,4,5\] cannot be broadcast \(batch dim -1: 2 vs 3\)/);
    await expectRefused(() => t4d.matmul(t322), 'matmul', /batch dims of shapes \[2,2,2,2\] and \[3,2,2\] cannot be broadcast \(batch dim -1: 2 vs 3\)/);
    await expectRefused(() => m22.matmul(s0), 'matmul', /both arguments need at least 1 dimension/);
  });

  it('refuses shapes that do not broadcast, in every binary op', async () => {
    const a = wg.ones([2, 3]);
    const b = wg.ones([4]);
    for (const [op, f] of [
      ['add', () => a.add(b)],
      ['sub', () => a.sub(b, 2)],
      ['mul', () => a.mul(b)],
      ['div', () => a.div(b)],
      ['lt', () => a.lt(b)],
    ] as const) {
      await expectRefused(f, op, /shapes \[2,3\] and \[4\] cannot be broadcast \(dim -1: 3 vs 4\)/);
    }
  });

  it('refuses in-place results that do not fit the tensor', async () => {
    const x = wg.zeros([2]);
    const x22 = wg.zeros([2, 2]);
    const x3 = wg.zeros([3]);
    await expectRefused(() => x.add_(x22), 'add_', /result of shape \[2,2\] \(float32\) cannot be written into a tensor of shape \[2\] \(float32\)/);
    const i = wg.tensor(new Int32Array([1, 2]));
    await expectRefused(() => i.add_(0.5), 'add_', /\(float32\) cannot be written into a tensor of shape \[2\] \(int32\)/);
    await expectRefused(() => i.div_(2), 'div_', /\(float32\) cannot be written into a tensor of shape \[2\] \(int32\)/);
    await expectRefused(() => x.copy_(x3), 'copy_', /cannot expand shape \[3\] to \[2\]/);
  });

  it('refuses dims out of range or not integers', async () => {
    const x = wg.ones([2, 3]);
    const range = /dim (2|-3|3|4) is out of range for a tensor of rank (2|3) \(expected -(2|3) <= dim < (2|3)\)/;
    await expectRefused(() => x.sum(2), 'sum', /^sum: dim 2 is out of range for a tensor of rank 2 \(expected -2 <= dim < 2\)$/);
    await expectRefused(() => x.mean(-3), 'mean', range);
    await expectRefused(() => x.max(2), 'max', range);
    await expectRefused(() => x.argmax(2), 'argmax', range);
    await expectRefused(() => x.softmax(2), 'softmax', range);
    await expectRefused(() => x.logSoftmax(-3), 'logSoftmax', range);
    await expectRefused(() => x.transpose(0, 3), 'transpose', range);
    await expectRefused(() => x.unsqueeze(4), 'unsqueeze', range);
    await expectRefused(() => x.squeeze(2), 'squeeze', range);
    await expectRefused(() => x.flatten(0, 2), 'flatten', range);
    await expectRefused(() => x.sum(0.5), 'sum', /dim must be an integer, got 0.5/);
    await expectRefused(() => x.softmax(undefined as unknown as number), 'softmax', /dim is required/);
  });

  it('refuses negative, fractional or oversized sizes', async () => {
    const sizes = /sizes must be non-negative integers, got \[2,-1\]/;
    await expectRefused(() => wg.zeros([2, -1]), 'zeros', sizes);
    await expectRefused(() => wg.ones([2, 1.5]), 'ones', /sizes must be non-negative integers, got \[2,1.5\]/);
    await expectRefused(() => wg.full([NaN], 1), 'full', /got \[NaN\]/);
    await expectRefused(() => wg.randn([3, -2]), 'randn', /got \[3,-2\]/);
    await expectRefused(() => wg.rand('3' as unknown as number), 'rand', /shape must be a number or an array of sizes, got string/);
    await expectRefused(() => wg.zeros([65536, 65536]), 'zeros', /shape \[65536,65536\] has 4294967296 elements, more than the 2147483647 a tensor can hold/);
    await expectRefused(() => wg.eye(-1), 'eye', /got \[-1,-1\]/);
    await expectRefused(() => wg.arange(0, 5, 0), 'arange', /step must be a non-zero finite number, got 0/);
    const x = wg.ones([2, 3]);
    await expectRefused(() => x.reshape([4, -1]), 'reshape', /shape \[4,-1\] is invalid for a tensor of shape \[2,3\] \(6 elements\)/);
    await expectRefused(() => x.reshape([-1, -1]), 'reshape', /only one dimension can be -1/);
    await expectRefused(() => x.reshape([3, 2.5]), 'reshape', /sizes must be non-negative integers \(or one -1\), got \[3,2.5\]/);
    await expectRefused(() => x.view([7]), 'reshape', /shape \[7\] is invalid/);
    await expectRefused(() => x.expand([2, -2]), 'expand', /sizes must be non-negative integers, got \[2,-2\]/);
    await expectRefused(() => x.expand([4, 3]), 'expand', /cannot expand shape \[2,3\] to \[4,3\] \(dim 0: 2 vs 4\)/);
  });
});

describeEachBackend(backends, 'errors: data and dtypes', (backend) => {
  it('refuses ragged or non-numeric nested arrays', async () => {
    await expectRefused(() => wg.tensor([[1, 2], [3]]), 'tensor', /^tensor: ragged nested array: data\[1\] has shape \[1\] but data\[0\] has shape \[2\]$/);
    await expectRefused(() => wg.tensor([[[1], [2]], [[3], 4]] as wg.NestedArray), 'tensor', /ragged nested array: data\[1\]\[1\] has shape \[\] but data\[1\]\[0\] has shape \[1\]/);
    await expectRefused(() => wg.tensor([1, 'a'] as unknown as number[]), 'tensor', /data\[1\] is string, expected a number/);
    await expectRefused(() => wg.tensor(null as unknown as number), 'tensor', /data is object, expected a number/);
    await expectRefused(() => wg.tensor(new BigInt64Array(2) as unknown as Float32Array), 'tensor', /cannot make a tensor from a BigInt64Array/);
  });

  it('refuses values that do not fit in int32 instead of wrapping them', async () => {
    await expectRefused(() => wg.tensor([1, 3e9], { dtype: 'int32' }), 'tensor', /value 3000000000 at index 1 does not fit in int32/);
    await expectRefused(() => wg.tensor(new Float32Array([NaN]), { dtype: 'int32' }), 'tensor', /value NaN at index 0 does not fit in int32/);
    await expectRefused(() => wg.full([2], Infinity, { dtype: 'int32' }), 'full', /value Infinity at index 0 does not fit in int32/);
    await expectRefused(() => wg.arange(2147483640, 2147483650), 'arange', /does not fit in int32/);
    const i = wg.zeros([2], { dtype: 'int32' });
    await expectRefused(() => wg.noGrad(() => i.fill_(-1e10)), 'fill_', /value -10000000000 at index 0 does not fit in int32/);
  });

  it('refuses wrong dtypes', async () => {
    const i = wg.tensor(new Int32Array([1, 2]));
    const i12 = i.reshape([1, 2]);
    const f21 = wg.ones([2, 1]);
    const f2 = wg.ones([2]);
    await expectRefused(() => i.exp(), 'exp', /^exp: expected a floating point tensor, got int32 of shape \[2\]$/);
    await expectRefused(() => i.softmax(0), 'softmax', /expected a floating point tensor, got int32/);
    await expectRefused(() => i.mean(), 'mean', /expected a floating point tensor, got int32 of shape \[2\]; cast with .to\('float32'\)/);
    await expectRefused(() => i12.mm(f21), 'mm', /expected a floating point tensor, got int32 of shape \[1,2\]/);
    await expectRefused(() => i.clamp(0), 'clamp', /expected a floating point tensor/);
    await expectRefused(() => wg.tensor([1, 2], { dtype: 'int32', requiresGrad: true }), 'tensor', /only floating point tensors can require gradients/);
    await expectRefused(() => wg.zeros([2], { dtype: 'float16' as wg.DType }), 'zeros', /unknown dtype 'float16' \(expected float32, int32 or float64\)/);
    await expectRefused(() => f2.to('bool' as wg.DType), 'to', /unknown dtype 'bool'/);
    await expectRefused(() => f2.add('1' as unknown as number), 'add', /expected a Tensor or a number, got string/);
    await expectRefused(() => f2.clamp(0, '1' as unknown as number), 'clamp', /bounds must be numbers or null/);
    await expectRefused(() => f2.clamp(), 'clamp', /at least one of min or max must be given/);
    await expectRefused(() => f2.clamp(NaN), 'clamp', /bounds must not be NaN/);
    await expectRefused(() => f2.item(), 'item', /only a tensor with one element can be converted to a number, got shape \[2\]/);
  });

  // Only WebGPU lacks float64: the CPU backend's float64 is tested throughout the suites.
  if (backend === 'webgpu') it('refuses float64 where the backend cannot hold it', async () => {
    await expectRefused(() => wg.tensor([1], { dtype: 'float64' }), 'tensor', /dtype float64 is not supported on the webgpu backend/);
    await expectRefused(() => wg.randn([2], { dtype: 'float64' }), 'randn', /not supported on the webgpu backend/);
    const f2 = wg.ones([2]);
    await expectRefused(() => f2.to('float64'), 'to', /not supported on the webgpu backend/);
  });

  it('refuses a refused randn without consuming random numbers', async () => {
    wg.manualSeed(7);
    expect(() => wg.randn([2], { dtype: 'int32' })).toThrow(/random tensors must be floating point/);
    const a = await wg.randn([3]).toArray();
    wg.manualSeed(7);
    expect(await wg.randn([3]).toArray()).toEqual(a);
  });
});

describeEachBackend(backends, 'errors: crossEntropy targets', () => {
  const ce = wg.nn.functional.crossEntropy;

  it('refuses float targets and targets of the wrong shape', async () => {
    const logits = wg.zeros([3, 4]);
    const float = wg.tensor([0, 1, 2]);
    const short = wg.tensor([0, 1], { dtype: 'int32' });
    const logits3d = wg.zeros([3, 4, 5]);
    const ok = wg.tensor([0, 1, 2], { dtype: 'int32' });
    await expectRefused(() => ce(logits, float), 'crossEntropy', /expected int32 class indices as targets, got float32; convert with .to\('int32'\)/);
    await expectRefused(() => ce(logits, short), 'crossEntropy', /targets of shape \[2\] do not match logits of shape \[3,4\] \(expected \[3\]\)/);
    await expectRefused(() => ce(logits3d, ok), 'crossEntropy', /targets of shape \[3\] do not match logits of shape \[3,4,5\] \(expected \[3,5\]\)/);
  });

  it('refuses targets out of range, from bounds known on the host', async () => {
    const logits = wg.zeros([3, 4], { requiresGrad: true });
    const msg = (lo: number, hi: number) =>
      new RegExp(`targets must be class indices in \\[0, 3\\] for logits with 4 classes, but targets of shape \\[3\\] range over \\[${lo}, ${hi}\\]`);
    const cases: [wg.Tensor, number, number][] = [
      [wg.tensor([0, 4, 1], { dtype: 'int32' }), 0, 4],
      [wg.tensor(new Int32Array([2, -1, 0])), -1, 2],
      [wg.full([3], 9, { dtype: 'int32' }), 9, 9],
      [wg.arange(2, 5), 2, 4],
    ];
    for (const [targets, lo, hi] of cases) await expectRefused(() => ce(logits, targets), 'crossEntropy', msg(lo, hi));
  });

  it('accepts targets in range from tensor(), arange, argmax and views of them', async () => {
    const logits = wg.tensor([[1, 2, 3, 4], [4, 3, 2, 1], [0, 0, 0, 0]], { requiresGrad: true });
    const a = await ce(logits, wg.tensor([3, 0, 1], { dtype: 'int32' })).item();
    expect(Number.isFinite(a)).toBe(true);
    expect(await ce(logits, wg.arange(3)).item()).toBeGreaterThan(0);
    // argmax of a [3, 4] tensor along dim 1 is bounded by [0, 3]: known without a readback.
    const am = wg.tensor([[0, 9, 0, 0], [1, 0, 0, 0], [0, 0, 0, 5]]).argmax(1);
    expect(am.hostRange).toEqual({ min: 0, max: 3 });
    const loss = ce(logits, am);
    loss.backward();
    expect(logits.grad!.shape).toEqual([3, 4]);
    const t = wg.tensor([[2], [1], [0]], { dtype: 'int32' }).reshape([3]);
    expect(t.hostRange).toEqual({ min: 0, max: 2 });
    expect(await ce(logits, t).item()).toBeGreaterThan(0);
  });

  it('forgets host bounds on an in-place write; CPU checks the values, WebGPU refuses', async () => {
    const logits = wg.zeros([2, 4]);
    const t = wg.tensor([0, 1], { dtype: 'int32' });
    wg.noGrad(() => t.add_(3)); // values [3, 4]: computed by a kernel, so their bounds are unknown
    expect(t.hostRange).toBeNull();
    if (wg.backendInfo().name === 'cpu') {
      await expectRefused(() => ce(logits, t), 'crossEntropy', /range over \[3, 4\]/);
      const ok = wg.tensor([0, 1], { dtype: 'int32' }).add(1); // [1, 2], computed: scanned on CPU
      expect(await ce(logits, ok).item()).toBeCloseTo(Math.log(4), 5);
    } else {
      await expectRefused(() => ce(logits, t), 'crossEntropy', /targets of shape \[2\] were computed on the webgpu device, so they cannot be checked against the 4 classes without a readback/);
      const again = wg.tensor(await t.toArray());
      expect(again.hostRange).toEqual({ min: 3, max: 4 });
    }
    wg.noGrad(() => t.fill_(2)); // fill_ knows its value
    expect(t.hostRange).toEqual({ min: 2, max: 2 });
    expect(await ce(logits, t).item()).toBeCloseTo(Math.log(4), 5);
  });
});

describeEachBackend(backends, 'errors: autograd', () => {
  it('refuses backward on a non-scalar without a gradient, or with a wrong one', async () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const [ones3, int2] = [wg.ones([3]), wg.tensor([1, 1], { dtype: 'int32' })];
    const noGradSum = wg.ones([2]).sum();
    await expectRefused(() => y.backward(), 'backward', /^backward: grad can be implicitly created only for scalar outputs; got shape \[2\]: pass a gradient of that shape$/);
    await expectRefused(() => y.backward(ones3), 'backward', /gradient of shape \[3\] does not match the output shape \[2\]/);
    await expectRefused(() => y.backward(int2), 'backward', /gradient has dtype int32 but the output of shape \[2\] is float32/);
    await expectRefused(() => noGradSum.backward(), 'backward', /the tensor of shape \[\] does not require grad and has no grad_fn/);
    y.backward(wg.ones([2]));
    expect(Array.from(await x.grad!.toArray())).toEqual([2, 2]);
  });

  it('refuses a second backward through a freed graph, with nothing computed', async () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const h = x.exp();
    const loss = h.sum();
    loss.backward();
    const grad = Array.from(await x.grad!.toArray());
    await expectRefused(() => loss.backward(), 'backward', /trying to backward through the graph a second time \(through sum\)/);
    // A new root over the freed part of the graph: refused too, before its seed is made.
    const again = h.mean();
    await expectRefused(() => again.backward(), 'backward', /backward through the graph a second time \(through exp\)/);
    expect(Array.from(await x.grad!.toArray())).toEqual(grad);
  });

  it('refuses backward through a saved tensor changed in place or disposed', async () => {
    const x = wg.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const z = y.exp().sum();
    wg.noGrad(() => y.add_(1));
    await expectRefused(() => z.backward(), 'backward', /a tensor of shape \[2\] saved by exp for backward was modified by an in-place operation \(version 1, expected 0\)/);
    expect(x.grad).toBeNull();
    const a = wg.tensor([1, 2], { requiresGrad: true });
    const b = a.exp();
    const c = b.sum();
    b.dispose();
    await expectRefused(() => c.backward(), 'backward', /a tensor of shape \[2\] saved by exp for backward was disposed/);
  });

  it('refuses in-place changes to a leaf that requires grad, outside noGrad', async () => {
    const w = wg.tensor([1, 2], { requiresGrad: true });
    const ones = wg.ones([2]);
    const computed = w.mul(2);
    const plain = wg.zeros([2]);
    for (const [op, f] of [
      ['sub_', () => w.sub_(1)],
      ['add_', () => w.add_(ones)],
      ['mul_', () => w.mul_(2)],
      ['div_', () => w.div_(2)],
      ['fill_', () => w.fill_(0)],
      ['zero_', () => w.zero_()],
      ['copy_', () => w.copy_(ones)],
    ] as const) {
      await expectRefused(f, op === 'zero_' ? 'fill_' : op, /a leaf tensor that requires grad \(shape \[2\]\) is being used in an in-place operation; wrap the update in noGrad/);
    }
    await expectRefused(() => computed.add_(1), 'add_', /in-place operations are not recorded for autograd/);
    await expectRefused(() => plain.add_(w), 'add_', /in-place operations are not recorded for autograd/);
    wg.noGrad(() => w.sub_(1));
    expect(Array.from(await w.toArray())).toEqual([0, 1]);
  });

  it('refuses requiresGrad changes that make no sense', async () => {
    const y = wg.tensor([1], { requiresGrad: true }).mul(2);
    const i = wg.tensor(new Int32Array([1]));
    const plain = wg.ones([1]);
    await expectRefused(() => (y.requiresGrad = false), 'requiresGrad', /you can only change requiresGrad of leaf tensors/);
    await expectRefused(() => i.requiresGrad_(), 'requiresGrad', /only floating point tensors can require gradients \(got int32\)/);
    await expectRefused(() => plain.retainGrad(), 'retainGrad', /can't retain grad on a tensor that doesn't require grad/);
  });
});

describeEachBackend(backends, 'errors: lifetimes and backends', (backend) => {
  it('refuses every use of a disposed tensor, naming the op', async () => {
    const x = wg.tensor([1, 2]);
    const other = wg.tensor([3, 4]);
    const o12 = other.reshape([1, 2]);
    x.dispose();
    const used = /a tensor of shape \[2\] was used after dispose\(\)/;
    for (const [op, f] of [
      ['exp', () => x.exp()],
      ['neg', () => x.neg()],
      ['add', () => x.add(1)],
      ['add', () => other.add(x)],
      ['mul', () => other.mul(x)],
      ['mm', () => o12.mm(x)],
      ['reshape', () => x.reshape([2, 1])],
      ['transpose', () => x.transpose(0, 0)],
      ['unsqueeze', () => x.unsqueeze(0)],
      ['sum', () => x.sum()],
      ['argmax', () => x.argmax()],
      ['softmax', () => x.softmax(0)],
      ['clamp', () => x.clamp(0)],
      ['clone', () => x.clone()],
      ['to', () => x.to('int32')],
      ['detach', () => x.detach()],
      ['expand', () => x.expand([2, 2])],
      ['zerosLike', () => wg.zerosLike(x)],
      ['add_', () => wg.noGrad(() => x.add_(1))],
      ['copy_', () => wg.noGrad(() => other.copy_(x))],
      ['toArray', () => x.toArray()],
      ['backward', () => x.backward()],
    ] as const) {
      await expectRefused(f, op, used);
    }
    expect(x.isDisposed).toBe(true);
    expect(String(x)).toMatch(/disposed/);
    x.dispose(); // a second dispose is harmless
  });

  it('refuses to mix tensors from different backends', async () => {
    const before = wg.tensor([1, 2]);
    await wg.init({ backend, verbose: false }); // a new backend of the same kind
    const after = wg.tensor([1, 2]);
    const kinds = new RegExp(`tensors of shapes \\[2\\] and \\[2\\] are on different backends \\(two ${backend} backends from different init\\(\\) calls\\); create both after the same init\\(\\)`);
    await expectRefused(() => after.add(before), 'add', kinds);
    const [after12, before21] = [after.reshape([1, 2]), before.reshape([2, 1])];
    await expectRefused(() => after12.mm(before21), 'mm', /are on different backends/);
    await expectRefused(() => wg.noGrad(() => after.copy_(before)), 'copy_', /are on different backends/);
    const oldTargets = wg.tensor([0, 1], { dtype: 'int32' });
    await wg.init({ backend, verbose: false });
    const newLogits = wg.zeros([2, 3]);
    await expectRefused(() => wg.nn.functional.crossEntropy(newLogits, oldTargets), 'crossEntropy', /are on different backends/);
    if (backend === 'webgpu') {
      // The old device was destroyed by init(): its tensors cannot run anything.
      expect(() => before.exp()).toThrow(wg.WebgradError);
    }
    await stillWorks();
  });

  // Needs both backends, so it is defined once, in the WebGPU block.
  if (backend === 'webgpu') it('refuses the old CPU backend and the WebGPU one together', async () => {
    await wg.init({ backend: 'cpu', verbose: false });
    const onCpu = wg.tensor([1, 2]);
    await wg.init({ backend: 'webgpu', verbose: false });
    const onGpu = wg.tensor([1, 2]);
    await expectRefused(() => onGpu.add(onCpu), 'add', /are on different backends \(webgpu and cpu\)/);
  });
});

describeEachBackend(backends, 'errors: optimizers', () => {
  it('refuses NaN, negative or missing learning rates', async () => {
    const w = wg.zeros([2], { requiresGrad: true });
    await expectRefused(() => new wg.optim.SGD([w], { lr: NaN }), 'SGD', /invalid learning rate: NaN \(expected a finite number >= 0\)/);
    await expectRefused(() => new wg.optim.SGD([w], { lr: -0.1 }), 'SGD', /invalid learning rate: -0.1/);
    await expectRefused(() => new wg.optim.SGD([w], {} as { lr: number }), 'SGD', /lr is required/);
    await expectRefused(() => new wg.optim.Adam([w], { lr: NaN }), 'Adam', /invalid learning rate: NaN/);
    await expectRefused(() => new wg.optim.Adam([w], { lr: -1 }), 'Adam', /invalid learning rate: -1/);
    await expectRefused(() => new wg.optim.SGD([w], { lr: Infinity }), 'SGD', /invalid learning rate: Infinity/);
    await expectRefused(() => new wg.optim.Adam([w], { lr: 1e-3, eps: Infinity }), 'Adam', /invalid eps: Infinity/);
    await expectRefused(() => new wg.optim.Adam([w], { betas: [0.9, 1] }), 'Adam', /beta parameter at index 1/);
    const opt = new wg.optim.SGD([w], { lr: 0.5 });
    w.mul(wg.tensor([1, 2])).sum().backward();
    opt.step();
    expect(Array.from(await w.toArray())).toEqual([-0.5, -1]);
  });
});
