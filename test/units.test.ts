// Unit tests of the host-side arithmetic that every kernel launch rests on, with no GPU and no
// backend: buffer-pool size classes, dimension merging, the sumTo stride map, grid folding,
// the uniform layout of a shader interface, and the WGSL generated from the op tables.
import { describe, expect, it } from 'vitest';
import { sizeClass } from '../src/backend/webgpu/buffer-pool.js';
import { binaryHeader, UNARY_HEADER, unaryCode } from '../src/backend/webgpu/op-header.js';
import { fold } from '../src/backend/webgpu/runtime.js';
import { shaderInterface } from '../src/backend/webgpu/shader-interface.js';
import { BINARY_OPS } from '../src/kernels/binary.js';
import { UNARY, UNARY_OPS, unaryOnInt } from '../src/kernels/unary.js';
import { contiguousStrides, mergeDims, sumToStrides } from '../src/shape.js';

describe('sizeClass', () => {
  it('rounds up to 2^k or 1.5·2^k, at least 256 bytes, wasting at most a third', () => {
    const limit = 1 << 30;
    expect(sizeClass(1, limit)).toBe(256);
    expect(sizeClass(256, limit)).toBe(256);
    expect(sizeClass(257, limit)).toBe(384);
    expect(sizeClass(384, limit)).toBe(384);
    expect(sizeClass(385, limit)).toBe(512);
    expect(sizeClass(513, limit)).toBe(768);
    for (let bytes = 4; bytes < 1 << 22; bytes = Math.ceil(bytes * 1.37) + 4) {
      const c = sizeClass(bytes, limit);
      expect(c).toBeGreaterThanOrEqual(bytes);
      expect(c % 16, `class ${c} of ${bytes} bytes holds whole vec4s`).toBe(0);
      if (bytes > 256) expect((c - bytes) / c, `waste of ${bytes} bytes in class ${c}`).toBeLessThanOrEqual(1 / 3);
    }
  });

  it('falls back to the exact size (a multiple of 4) where the class would pass the limit', () => {
    expect(sizeClass(1000, 1000)).toBe(1000);
    expect(sizeClass(999, 1000)).toBe(1000);
    expect(sizeClass(700, 1000)).toBe(768);
  });
});

describe('mergeDims', () => {
  it('merges dims contiguous in every operand and drops size-1 dims', () => {
    const shape = [2, 3, 4];
    expect(mergeDims(shape, [contiguousStrides(shape)])).toEqual({ shape: [24], strides: [[1]] });
    expect(mergeDims([2, 1, 3], [[3, 3, 1]])).toEqual({ shape: [6], strides: [[1]] });
    // [n, 1] + [1, m]: broadcast strides keep two dims.
    expect(mergeDims([4, 5], [[1, 0], [0, 1]])).toEqual({ shape: [4, 5], strides: [[1, 0], [0, 1]] });
    // A transpose of [2, 3, 4] to [4, 3, 2] merges nothing.
    expect(mergeDims([4, 3, 2], [[1, 4, 12]])).toEqual({ shape: [4, 3, 2], strides: [[1, 4, 12]] });
    // Broadcasting a row over [3, 4, 5]: the two leading dims merge.
    expect(mergeDims([3, 4, 5], [[0, 0, 1], [20, 5, 1]])).toEqual({ shape: [12, 5], strides: [[0, 1], [5, 1]] });
  });

  it('gives an empty shape for a single element', () => {
    expect(mergeDims([], [[]])).toEqual({ shape: [], strides: [[]] });
    expect(mergeDims([1, 1], [[1, 1], [0, 0]])).toEqual({ shape: [], strides: [[], []] });
  });

  it('visits every element at the address the unmerged strides give', () => {
    const shape = [3, 1, 4, 2, 5];
    const strides = [[40, 0, 10, 5, 1], [0, 0, 2, 1, 0]];
    const m = mergeDims(shape, strides);
    const addresses = (sh: readonly number[], st: readonly number[]): number[] => {
      const out: number[] = [];
      const walk = (d: number, at: number): void => {
        if (d === sh.length) return void out.push(at);
        for (let i = 0; i < sh[d]; i++) walk(d + 1, at + i * st[d]);
      };
      walk(0, 0);
      return out;
    };
    strides.forEach((st, k) => expect(addresses(m.shape, m.strides[k])).toEqual(addresses(shape, st)));
  });
});

describe('sumToStrides', () => {
  it('maps each input element to the output element it is summed into', () => {
    expect(sumToStrides([4, 5], [1, 5])).toEqual([0, 1]);
    expect(sumToStrides([4, 5], [4, 1])).toEqual([1, 0]);
    expect(sumToStrides([2, 3, 4], [2, 1, 4])).toEqual([4, 0, 1]);
    // A dim of size 1 in both is not summed.
    expect(sumToStrides([1, 3], [1, 3])).toEqual([3, 1]);
  });
});

describe('fold', () => {
  it('keeps small grids 1-D and folds large ones into x·y >= n within the limit', () => {
    expect(fold(10, 65535)).toEqual([10, 1, 1]);
    for (const [n, max] of [[65536, 65535], [1_000_000, 1000], [3, 2], [4, 2]] as const) {
      const [x, y, z] = fold(n, max);
      expect(x * y).toBeGreaterThanOrEqual(n);
      expect(x).toBeLessThanOrEqual(max);
      expect(y).toBeLessThanOrEqual(max);
      expect(z).toBe(1);
      expect(x * (y - 1), 'no whole row of groups is wasted').toBeLessThan(n);
    }
  });

  it('refuses a grid that cannot fit', () => {
    expect(() => fold(10, 3)).toThrow(/10 workgroups do not fit a 3 x 3 grid/);
  });
});

describe('shaderInterface', () => {
  const io = shaderInterface(
    { n: 'u32', shape: 'u32x8', scale: 'f32', bound: 'T', offs: 'i32x8', last: 'i32' },
    {
      x: { binding: 1, access: 'r', type: 'T', vec4: 'x4' },
      out: { binding: 3, access: 'w', type: 'f32' },
    },
  );

  it('declares the struct, the uniform and every binding once, in WGSL', () => {
    expect(io.wgsl).toContain('struct Params {\n  n: u32,\n  shape: array<vec4<u32>, 2>,\n  scale: f32,\n  bound: T,\n  offs: array<vec4<i32>, 2>,\n  last: i32,\n}');
    expect(io.wgsl).toContain('@group(0) @binding(0) var<uniform> P: Params;');
    expect(io.wgsl).toContain('@group(0) @binding(1) var<storage, read> x: array<T>;');
    expect(io.wgsl).toContain('@group(0) @binding(1) var<storage, read> x4: array<vec4<T>>;');
    expect(io.wgsl).toContain('@group(0) @binding(3) var<storage, read_write> out: array<f32>;');
  });

  it('writes each field at the offset WGSL gives it (arrays 16-byte aligned)', () => {
    const buf = new ArrayBuffer(256);
    const words = { u: new Uint32Array(buf), i: new Int32Array(buf), f: new Float32Array(buf), base: 0 };
    io.write(words, { n: 7, shape: [2, 3], scale: 0.5, bound: -3, offs: [-1], last: -9 }, false);
    // n at word 0, shape at 4..11 (aligned to 16 bytes), scale 12, bound 13 (i32 here), offs 16..23, last 24.
    expect(words.u[0]).toBe(7);
    expect([...words.u.slice(4, 12)]).toEqual([2, 3, 0, 0, 0, 0, 0, 0]);
    expect(words.f[12]).toBe(0.5);
    expect(words.i[13]).toBe(-3);
    expect([...words.i.slice(16, 24)]).toEqual([-1, 0, 0, 0, 0, 0, 0, 0]);
    expect(words.i[24]).toBe(-9);
    io.write(words, { n: 7, shape: [], scale: 0.5, bound: -3.5, offs: [], last: 0 }, true);
    expect(words.f[13]).toBe(-3.5);
  });

  it('refuses two bindings on one slot and a struct larger than a uniform slot', () => {
    expect(() => shaderInterface({ n: 'u32' }, { a: { binding: 1, access: 'r', type: 'T' }, b: { binding: 1, access: 'w', type: 'T' } }))
      .toThrow(/binding 1 of 'b' is taken/);
    const many = Object.fromEntries(Array.from({ length: 9 }, (_, k) => [`f${k}`, 'u32x8' as const]));
    expect(() => shaderInterface(many, {})).toThrow(/exceed a uniform slot/);
  });
});

describe('op tables', () => {
  // camelCase op names become snake case constants: leakyRelu -> OP_LEAKY_RELU.
  const constName = (op: string): string => `OP_${op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

  it('give every op a named WGSL constant, a case in the generated switch, and the code the host passes', () => {
    UNARY_OPS.forEach((op, i) => {
      const name = constName(op);
      expect(UNARY_HEADER).toContain(`const ${name}: u32 = ${i}u;`);
      expect(UNARY_HEADER).toContain(`case ${name}: { return ${UNARY[op].wgsl}; }`);
      expect(UNARY_HEADER).toContain(`case ${name}: { return ${UNARY[op].wgslGrad}; }`);
      expect(unaryCode(op)).toBe(i);
    });
    const header = binaryHeader();
    BINARY_OPS.forEach((op, i) => expect(header).toContain(`const ${constName(op)}: u32 = ${i}u;`));
    expect(header.match(/case OP_/g)).toHaveLength(BINARY_OPS.length);
    // A subset still declares every constant, so its codes agree with the full table's.
    expect(binaryHeader(['add', 'mul'])).toContain(`const OP_MUL: u32 = ${BINARY_OPS.indexOf('mul')}u;`);
  });

  it('say which ops exist on int32', () => {
    expect(unaryOnInt('neg', 0)).toBe(true);
    expect(unaryOnInt('exp', 0)).toBe(false);
    expect(unaryOnInt('pow', 2)).toBe(true);
    expect(unaryOnInt('pow', 3)).toBe(false);
  });
});
