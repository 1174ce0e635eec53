// Reliability II (issue 15): inputs a careless or hostile user can give that used to read
// stale memory, allocate without bound or fail with a raw TypeError/RangeError. Each case
// must end in a WebgradError that names the op, before anything is allocated or changed.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as wg from 'webgrad-gpu';
import { gunzip, gunzipWithStream } from '../src/data/source.js';
import { backendsUnderTest, describeEachBackend } from './helpers/backends.js';

const backends = await backendsUnderTest();

/** Runs `fn`, expecting a WebgradError whose message matches `re`. */
function refused(fn: () => unknown, re: RegExp): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(wg.WebgradError);
  expect((err as Error).message).toMatch(re);
}

async function refusedAsync(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown = null;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(wg.WebgradError);
  expect((err as Error).message).toMatch(re);
}

describeEachBackend(backends, 'tensor() data', () => {
  it('refuses holes in sparse arrays, naming the index', () => {
    // eslint-disable-next-line no-sparse-arrays
    refused(() => wg.tensor([1, , 3] as number[]), /^tensor: data\[1\] is a hole/);
    // eslint-disable-next-line no-sparse-arrays
    refused(() => wg.tensor([[1, 2], , [5, 6]] as number[][]), /^tensor: data\[1\] is a hole/);
    const holey = [[1, 2], [3, 4]];
    delete (holey[1] as number[])[0];
    refused(() => wg.tensor(holey), /^tensor: data\[1\]\[0\] is a hole/);
  });

  it('refuses non-number elements, naming the index', () => {
    refused(() => wg.tensor([1, 'x', 3] as unknown as number[]), /^tensor: data\[1\] is string, expected a number/);
    refused(() => wg.tensor([[1], [null]] as unknown as number[][]), /^tensor: data\[1\]\[0\] is object/);
    refused(() => wg.tensor([1, {}] as unknown as number[]), /^tensor: data\[1\] is object/);
  });

  it('refuses nesting 20,000 deep without a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20000; i++) deep = [deep];
    refused(() => wg.tensor(deep as number[]), /^tensor: nested arrays deeper than 64 levels/);
  });

  it('a buffer reused from the pool shows no stale values', async () => {
    // A freed tensor of 7s leaves its buffer in the pool; the next tensor of the same size
    // class must see only its own data, in every lane a vec4 kernel reads.
    for (const n of [1, 3, 5, 17, 65, 257]) {
      const sevens = wg.full([n + 3], 7);
      await sevens.toArray();
      sevens.dispose();
      const t = wg.tensor(Array.from({ length: n }, (_, i) => i + 1));
      const s = t.sum();
      const e = t.div(n).exp().sum();
      expect(await s.item()).toBeCloseTo((n * (n + 1)) / 2, 3);
      let ref = 0;
      for (let i = 1; i <= n; i++) ref += Math.exp(i / n);
      expect((await e.item()) / ref).toBeCloseTo(1, 4); // float32 sum, relative 1e-4
      for (const x of [t, s, e]) x.dispose();
    }
  });
});

describe('readIdx decompression is bounded by the header', () => {
  // A ubyte header claiming 10 items (18 bytes in all), then 64 MiB of zeros: gzip squeezes
  // them to ~64 KB. The read must stop near the implied size, not inflate the 64 MiB.
  const header = new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 10]);
  const body = new Uint8Array(64 << 20);
  body.set(header);
  const bomb = new Uint8Array(gzipSync(body, { level: 1 }));

  it('stops at the size the header implies (Node zlib path)', async () => {
    expect(bomb.length).toBeLessThan(1 << 20);
    await refusedAsync(() => wg.data.readIdx(bomb, 'bomb.gz'), /^readIdx: bomb\.gz: decompresses to more than the 18 bytes its header implies \(stopped after \d+ bytes/);
    const err = await wg.data.readIdx(bomb, 'bomb.gz').catch((e: Error) => e.message);
    const stopped = Number(/stopped after (\d+) bytes/.exec(String(err))![1]);
    expect(stopped).toBeLessThan(1 << 20); // one zlib chunk (16 KiB here), not 64 MiB
  });

  it('stops at the size the header implies (browser DecompressionStream path)', async () => {
    const cap = (head: Uint8Array): number | null => (head.length < 8 ? null : 18);
    const err = await gunzipWithStream(bomb, 'readIdx', 'bomb.gz', cap).catch((e: Error) => e);
    expect(err).toBeInstanceOf(wg.WebgradError);
    const stopped = Number(/stopped after (\d+) bytes/.exec((err as Error).message)![1]);
    expect(stopped).toBeLessThan(1 << 20);
    // The same cap through the Node path, for symmetry.
    await refusedAsync(() => gunzip(bomb, 'readIdx', 'bomb.gz', cap), /more than the 18 bytes/);
  });

  it('an honest gzip file of the implied size still reads; a bad header is refused early', async () => {
    const good = new Uint8Array(18);
    good.set(header);
    good.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 8);
    const got = await wg.data.readIdx(new Uint8Array(gzipSync(good)));
    expect(got.shape).toEqual([10]);
    expect(Array.from(got.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const badMagic = new Uint8Array(64 << 10);
    badMagic.set([1, 2, 8, 1]);
    await refusedAsync(() => wg.data.readIdx(new Uint8Array(gzipSync(badMagic))), /^readIdx: <buffer>: bad magic number 0x01 0x02/);
  });

  it('refuses dims whose product exceeds 2^31-1 elements', async () => {
    const huge = new Uint8Array([0, 0, 0x08, 2, 0, 1, 0, 0, 0, 1, 0, 0]); // [65536, 65536]
    refused(() => wg.data.parseIdx(huge), /^readIdx: <buffer>: shape \[65536,65536\] has 4294967296 elements, more than the 2147483647/);
    await refusedAsync(() => wg.data.readIdx(new Uint8Array(gzipSync(huge))), /has 4294967296 elements/);
  });
});

/** A safetensors file with the given header JSON text and `data` bytes. */
function safetensors(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describeEachBackend(backends, 'shapes from files and arguments are bounded', () => {
  it('load() refuses [2^40, 2^40, 0] and dims over 2^31-1', async () => {
    const big = 2 ** 40;
    await refusedAsync(
      () => wg.load(safetensors(`{"w":{"dtype":"F32","shape":[${big},${big},0],"data_offsets":[0,0]}}`)),
      /^loadSafetensors: tensor 'w': size 1099511627776 in shape \[1099511627776,1099511627776,0\] is more than the 2147483647 a dim can hold/,
    );
    await refusedAsync(
      () => wg.load(safetensors('{"w":{"dtype":"F32","shape":[65536,65536,0],"data_offsets":[0,0]}}')),
      /^loadSafetensors: tensor 'w': shape \[65536,65536,0\]: its non-zero sizes multiply to 4294967296/,
    );
  });

  it('IDX dims are bounded the same way', () => {
    const hdr = new Uint8Array([0, 0, 0x08, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // [65536, 65536, 0]
    refused(() => wg.data.parseIdx(hdr), /^readIdx: <buffer>: shape \[65536,65536,0\]: its non-zero sizes multiply/);
  });

  it('an empty tensor whose reduction would be huge is refused before allocating', () => {
    refused(() => wg.zeros([2 ** 40, 2 ** 40, 0]), /^zeros: size 1099511627776/);
    refused(() => wg.zeros([65536, 65536, 0]), /^zeros: shape \[65536,65536,0\]: its non-zero sizes multiply to 4294967296/);
    // Nor can a reshape or expand of a small tensor make such a shape.
    const z = wg.zeros([0]);
    refused(() => z.reshape([65536, 65536, 0]), /^reshape: shape \[65536,65536,0\]: its non-zero sizes multiply/);
    const one = wg.zeros([1, 1]);
    refused(() => one.expand([65536, 65536]), /^expand: shape \[65536,65536\] has 4294967296 elements/);
    for (const t of [z, one]) t.dispose();
    // Within the bound, reductions over empty dims work and give the small result.
    const e = wg.zeros([3, 5, 0]);
    const s = e.sum(2);
    expect(s.shape).toEqual([3, 5]);
    for (const t of [e, s]) t.dispose();
  });
});

describeEachBackend(backends, 'Module.loadStateDict is atomic', () => {
  it('a dict whose second tensor is disposed leaves the first parameter unchanged', async () => {
    const model = new wg.nn.Linear(3, 2);
    const before = Array.from(await model.weight.toArray());
    const w = wg.full([2, 3], 5);
    const b = wg.zeros([2]);
    b.dispose();
    refused(() => model.loadStateDict({ weight: w, bias: b }), /^loadStateDict: cannot load the state dict into Linear: 'bias' was disposed/);
    expect(Array.from(await model.weight.toArray())).toEqual(before);
    // A good dict still loads afterwards.
    const b2 = wg.ones([2]);
    model.loadStateDict({ weight: w, bias: b2 });
    expect(Array.from(await model.weight.toArray())).toEqual([5, 5, 5, 5, 5, 5]);
    for (const t of [w, b2]) t.dispose();
    model.dispose();
  });

  it('refuses null, a tensor, an array or a string as the dict', () => {
    const model = new wg.nn.Linear(2, 2);
    for (const [bad, what] of [[null, 'null'], [[], 'an array'], [wg.zeros([1]), 'a Tensor'], ['x', 'string']] as const) {
      refused(() => model.loadStateDict(bad as unknown as Record<string, wg.Tensor>), new RegExp(`^loadStateDict: expected a state dict .*got ${what}$`));
    }
    model.dispose();
  });
});

describeEachBackend(backends, 'safetensors names and keys', () => {
  const f32 = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);

  it("a tensor named '__proto__' survives load()", async () => {
    const bytes = safetensors('{"__proto__":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32([1, 2]));
    const got = await wg.load(bytes);
    expect(Object.keys(got)).toEqual(['__proto__']);
    const t = got.__proto__ as unknown as wg.Tensor;
    expect(t).toBeInstanceOf(wg.Tensor);
    expect(Array.from(await t.toArray())).toEqual([1, 2]);
    t.dispose();
  });

  it("save and load round-trip a tree key '__proto__'", async () => {
    const t = wg.tensor([3, 4]);
    const tree = JSON.parse('{"__proto__": {"w": 0}, "epoch": 2}') as Record<string, unknown>;
    (tree.__proto__ as Record<string, unknown>).w = t;
    const back = (await wg.load(await wg.save(tree as wg.StateTree))) as Record<string, Record<string, wg.Tensor>>;
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'epoch']);
    expect(Array.from(await back.__proto__.w.toArray())).toEqual([3, 4]);
    back.__proto__.w.dispose();
    t.dispose();
  });

  it("dtype 'constructor' is an unknown dtype", async () => {
    await refusedAsync(
      () => wg.load(safetensors('{"w":{"dtype":"constructor","shape":[0],"data_offsets":[0,0]}}')),
      /^loadSafetensors: tensor 'w': unknown dtype "constructor"$/,
    );
  });

  it('duplicate header keys are refused', async () => {
    await refusedAsync(
      () => wg.load(safetensors('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32([1]))),
      /^loadSafetensors: header has the key "w" twice/,
    );
    await refusedAsync(
      () => wg.load(safetensors('{"w":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}', f32([1]))),
      /^loadSafetensors: header has the key "shape" twice/,
    );
    // Escaped quotes in a name are one key, not a duplicate.
    const ok = await wg.load(safetensors('{"a\\"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32([7])));
    expect(Object.keys(ok)).toEqual(['a"b']);
    ok['a"b'].dispose();
  });
});

describeEachBackend(backends, 'raw TypeError/RangeError become WebgradError', () => {
  it('nn.Linear checks its size and dtype before drawing random numbers', () => {
    const t0 = Date.now();
    refused(() => new wg.nn.Linear(1e5, 1e5), /^Linear: shape \[100000,100000\] has 10000000000 elements/);
    refused(() => new wg.nn.Linear(46341, 46341), /^Linear: shape \[46341,46341\] has 2147488281 elements/);
    expect(Date.now() - t0).toBeLessThan(1000); // no random numbers drawn (34 s before)
    refused(() => new wg.nn.Linear(2, 2, { dtype: 'bogus' } as unknown as wg.nn.LinearOptions), /^Linear: dtype must be float32 or float64, got bogus$/);
  });

  it('optimizers refuse params that are not an iterable', () => {
    refused(() => new wg.optim.Adam(null as never), /^Adam: params must be an iterable of tensors or groups .*got null$/);
    const t = wg.zeros([2], { requiresGrad: true });
    refused(() => new wg.optim.Adam(t as never), /^Adam: params must be an iterable .*got a Tensor of shape \[2\]$/);
    refused(() => new wg.optim.SGD(5 as never, { lr: 0.1 }), /^SGD: params must be an iterable .*got number$/);
    t.dispose();
  });

  it('DataLoader without a dataset or options', () => {
    const DL = wg.data.DataLoader as unknown as new (...a: unknown[]) => unknown;
    refused(() => new DL(), /^DataLoader: expected a dataset .*got undefined$/);
    refused(() => new DL(null), /^DataLoader: expected a dataset .*got null$/);
    const ds = { x: new Float32Array(4), y: new Int32Array(2), n: 2, features: 2 };
    refused(() => new DL(ds), /^DataLoader: expected options with at least \{ batchSize \}/);
  });

  it('loadStateDict(null), init(null)', async () => {
    const m = new wg.nn.Linear(1, 1);
    refused(() => m.loadStateDict(null as never), /^loadStateDict: expected a state dict/);
    m.dispose();
    await refusedAsync(() => wg.init(null as never), /^init: options must be an object like \{ backend: 'webgpu' \}, got null$/);
  });

  it('save: a tree of plain values round-trips; a bad dict or a missing directory is refused', async () => {
    const back = await wg.load(await wg.save({ a: 'x' } as unknown as wg.StateTree));
    expect({ ...back }).toEqual({ a: 'x' });
    await refusedAsync(() => wg.save(null as never), /^save: expected an object of tensors by name .*got null$/);
    const t = wg.zeros([1]);
    await refusedAsync(() => wg.save({ t }, '/nonexistent-dir-webgrad/x.safetensors'), /^save: cannot write '\/nonexistent-dir-webgrad\/x\.safetensors': its directory does not exist$/);
    t.dispose();
  });
});

describeEachBackend(backends, 'emptyCache', (backend) => {
  it('drops poolBytes to ~0 after a big computation; live tensors keep their memory', async () => {
    const keepMe = wg.tensor([1, 2, 3]);
    const bytesBefore = wg.memory().bytesInUse;
    // ~16 MB of temporaries, freed into the pool by the scope.
    const total = await wg.scope(async () => {
      const a = wg.randn(1024, 1024);
      const b = a.exp().mul(a).add(1).sum();
      return b.item();
    });
    expect(Number.isFinite(total)).toBe(true);
    const pooled = wg.memory().poolBytes;
    if (backend === 'webgpu') expect(pooled).toBeGreaterThanOrEqual(4 << 20);
    else expect(pooled).toBe(0); // the CPU backend caches nothing
    wg.emptyCache();
    expect(wg.memory().poolBytes).toBe(0);
    expect(wg.memory().bytesInUse).toBe(bytesBefore);
    // The library keeps working and keeps reporting what the pool holds.
    const c = wg.randn(512, 512);
    const s = c.sum();
    await s.item();
    s.dispose();
    c.dispose();
    if (backend === 'webgpu') expect(wg.memory().poolBytes).toBeGreaterThan(0);
    expect(Array.from(await keepMe.toArray())).toEqual([1, 2, 3]);
    keepMe.dispose();
  });
});
