import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { WebgradError } from '../src/errors.js';
import {
  type SafetensorsEntry,
  decodeSafetensors,
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
} from '../src/data/safetensors.js';

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const le64 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0, 0, 0, 0];
const f32le = (vals: number[]) => Array.from(new Uint8Array(new Float32Array(vals).buffer));

/** A file assembled by hand from the spec: u64 LE header length, header text, then the bytes. */
function file(header: string, data: number[] = []): Uint8Array {
  const h = ascii(header);
  return new Uint8Array([...le64(h.length), ...h, ...data]);
}

/** Splits a file into its parts, checking the framing the spec requires of a writer. */
function frame(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return { n, text, header: JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>, data: bytes.subarray(8 + n) };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebgradError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('encodeSafetensors', () => {
  // Expected bytes from the reference implementation's own serializer tests
  // (huggingface/safetensors, safetensors/src/tensor.rs: test_serialization_forced_alignement,
  // test_empty): our writer must produce them exactly.
  test('byte-identical to the reference writer', () => {
    const attn0 = encodeSafetensors({ attn0: { dtype: 'float32', shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    expect(Array.from(attn0)).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0,
      ...ascii('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}'), 32, 32, 32, 32, 32, 32, 32,
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(encodeSafetensors({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, ...ascii('{"__metadata__":{"framework":"pt"}}'), 32, 32, 32, 32, 32,
    ]);
  });

  test('header: padded to 8 bytes, tensors contiguous and aligned, in the reference order', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'int32', shape: [3], data: new Int32Array([1, -2, 3]) },
        w: { dtype: 'float32', shape: [1], data: new Float32Array([0.5]) },
        a: { dtype: 'float32', shape: [2, 1], data: new Float32Array([1, 2]) },
        '0': { dtype: 'float64', shape: [], data: new Float64Array([Math.E]) },
      },
      { format: 'pt' },
    );
    const { n, text, header, data } = frame(bytes);
    expect(n % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    // F64 first, then F32 by name, then I32; "__metadata__" leads the header.
    expect(text.indexOf('"__metadata__"')).toBe(1);
    expect(text.indexOf('"0"')).toBeLessThan(text.indexOf('"a"'));
    expect(text.indexOf('"w"')).toBeLessThan(text.indexOf('"b"'));
    expect(header['0']).toEqual({ dtype: 'F64', shape: [], data_offsets: [0, 8] });
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 1], data_offsets: [8, 16] });
    expect(header.w).toEqual({ dtype: 'F32', shape: [1], data_offsets: [16, 20] });
    expect(header.b).toEqual({ dtype: 'I32', shape: [3], data_offsets: [20, 32] });
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(data.length).toBe(32);
    expect((8 + n) % 8).toBe(0);
    const dv = new DataView(data.buffer, data.byteOffset);
    expect(dv.getFloat64(0, true)).toBe(Math.E);
    expect([dv.getFloat32(8, true), dv.getFloat32(12, true), dv.getFloat32(16, true)]).toEqual([1, 2, 0.5]);
    expect([dv.getInt32(20, true), dv.getInt32(24, true), dv.getInt32(28, true)]).toEqual([1, -2, 3]);
  });

  test('bad entries are refused', () => {
    const f = (data: Float32Array | Int32Array | Float64Array, shape: number[], dtype: SafetensorsEntry['dtype'] = 'float32') =>
      errorOf(() => encodeSafetensors({ t: { dtype, shape, data } }));
    expect(f(new Float32Array(6), [2, 2])).toBe("saveSafetensors: tensor 't': shape [2,2] holds 4 elements, data has 6");
    expect(f(new Int32Array(4), [4])).toBe("saveSafetensors: tensor 't': dtype float32 needs a Float32Array, got Int32Array");
    expect(f(new Float32Array(2), [-2])).toBe("saveSafetensors: tensor 't': shape must be non-negative integers, got [-2]");
    expect(errorOf(() => encodeSafetensors({ __metadata__: { dtype: 'int32', shape: [0], data: new Int32Array(0) } }))).toMatch(/reserved/);
  });
});

describe('decodeSafetensors', () => {
  test('round trip of every dtype, odd shapes, unicode names and metadata', () => {
    const entries: Record<string, SafetensorsEntry> = {
      'layer.0.weight': { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Infinity, -0, NaN]) },
      'layer.0.bias': { dtype: 'float32', shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) },
      steps: { dtype: 'int32', shape: [], data: new Int32Array([2 ** 31 - 1]) },
      idx: { dtype: 'int32', shape: [2, 2], data: new Int32Array([-(2 ** 31), 0, 1, -1]) },
      'émoji 🙂': { dtype: 'float64', shape: [1, 1, 1], data: new Float64Array([1 / 3]) },
      empty: { dtype: 'float64', shape: [0, 4], data: new Float64Array(0) },
    };
    const bytes = encodeSafetensors(entries, { framework: 'webgrad', note: 'a "quoted" \n line' });
    const got = parseSafetensors(bytes);
    expect(got.metadata).toEqual({ framework: 'webgrad', note: 'a "quoted" \n line' });
    expect(Object.keys(got.tensors).sort()).toEqual(Object.keys(entries).sort());
    for (const [name, e] of Object.entries(entries)) expect(got.tensors[name]).toEqual(e);
    expect(decodeSafetensors(bytes)).toEqual(got.tensors);
  });

  test('a hand-built file in any header order, unaligned data start', () => {
    // An unpadded header: the data starts at an odd byte, so typed-array reads must copy.
    const header = '{"y":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}, "x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect((8 + header.length) % 4).not.toBe(0);
    const bytes = file(header, [...f32le([1.5, -2]), 7, 0, 0, 0]);
    const got = decodeSafetensors(bytes);
    expect(got.x).toEqual({ dtype: 'float32', shape: [2], data: new Float32Array([1.5, -2]) });
    expect(got.y).toEqual({ dtype: 'int32', shape: [1], data: new Int32Array([7]) });
    // The same file inside a larger buffer, at an odd offset.
    const outer = new Uint8Array(bytes.length + 3);
    outer.set(bytes, 3);
    expect(decodeSafetensors(outer.subarray(3))).toEqual(got);
  });

  test('readSafetensors reads a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-st-'));
    try {
      const entries = { w: { dtype: 'float32' as const, shape: [2], data: new Float32Array([1, 2]) } };
      await writeFile(join(dir, 'm.safetensors'), encodeSafetensors(entries, { a: 'b' }));
      expect(await readSafetensors(join(dir, 'm.safetensors'))).toEqual({ tensors: entries, metadata: { a: 'b' } });
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test("PyTorch's int64 tensors (I64) load as int32 when every value fits, else are refused", () => {
    const i64le = (vals: bigint[]) => {
      const b = new Uint8Array(8 * vals.length);
      vals.forEach((v, i) => new DataView(b.buffer).setBigInt64(8 * i, v, true));
      return [...b];
    };
    const x = `"num_batches_tracked":{"dtype":"I64","shape":[3],"data_offsets":[0,24]}`;
    const ok = decodeSafetensors(file(`{${x}}`, i64le([0n, -2147483648n, 2147483647n])));
    expect(ok.num_batches_tracked.dtype).toBe('int32');
    expect(ok.num_batches_tracked.shape).toEqual([3]);
    expect([...ok.num_batches_tracked.data]).toEqual([0, -2147483648, 2147483647]);
    expect(errorOf(() => decodeSafetensors(file(`{${x}}`, i64le([1n, 2147483648n, 0n]))))).toBe(
      "loadSafetensors: tensor 'num_batches_tracked': I64 value 2147483648 at index 1 does not fit int32 (webgrad's integer type)");
  });

  test('corrupt files give clear errors', () => {
    const x = (offsets: string, dtype = 'F32', shape = '[2]') => `"x":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}`;
    const y = (offsets: string) => `"y":{"dtype":"F32","shape":[1],"data_offsets":${offsets}}`;
    const e = (bytes: Uint8Array) => errorOf(() => decodeSafetensors(bytes));

    expect(e(new Uint8Array(5))).toBe('loadSafetensors: expected at least 8 bytes (the header length), got 5');
    expect(e(new Uint8Array([100, 0, 0, 0, 0, 0, 0, 0, 123, 125]))).toBe(
      'loadSafetensors: header length 100 runs past the end of the 10-byte file (truncated?)');
    expect(e(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 123, 125]))).toBe(
      'loadSafetensors: header length 72057594037927936 is over the 100 MB limit (corrupt file?)');
    expect(e(file('[1,2]'))).toBe(`loadSafetensors: header must start with '{', got "[1,2]"`);
    expect(e(file('{"x":'))).toMatch(/^loadSafetensors: header is not valid JSON \(/);
    expect(e(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff]))).toBe('loadSafetensors: header is not valid UTF-8');
    expect(e(file(`{${x('[0,8]', 'Q8')}}`, f32le([1, 2])))).toBe(`loadSafetensors: tensor 'x': unknown dtype "Q8"`);
    expect(e(file(`{${x('[0,4]', 'F16')}}`, [0, 0, 0, 0]))).toBe(
      "loadSafetensors: tensor 'x': unsupported dtype F16 (webgrad reads F32, I32, F64, and I64 whose values fit int32)");
    expect(e(file(`{${x('[0,8]', 'F32', '[2,-1]')}}`, f32le([1, 2])))).toMatch(/tensor 'x': shape must be non-negative integers/);
    expect(e(file(`{${x('[8,0]')}}`, f32le([1, 2])))).toBe(
      "loadSafetensors: tensor 'x': data_offsets must be [begin, end] with 0 <= begin <= end, got [8,0]");
    expect(e(file(`{${x('[0,12]')}}`, f32le([1, 2, 3])))).toBe(
      "loadSafetensors: tensor 'x': data_offsets [0,12] hold 12 bytes, but shape [2] of F32 needs 8");
    // Truncated: the byte buffer is shorter than the header says.
    expect(e(file(`{${x('[0,8]')},${y('[8,12]')}}`, f32le([1, 2])))).toBe(
      "loadSafetensors: tensor 'y': data_offsets [8,12] run past the 8-byte buffer (truncated?)");
    expect(e(file(`{${x('[0,8]')},${y('[4,8]')}}`, f32le([1, 2])))).toBe(
      "loadSafetensors: tensors 'x' and 'y' overlap (bytes 4..8)");
    expect(e(file(`{${x('[4,12]')}}`, f32le([0, 1, 2])))).toBe(
      "loadSafetensors: 4 unused bytes before tensor 'x' (offset 0)");
    expect(e(file(`{${x('[0,8]')}}`, f32le([1, 2, 3])))).toBe(
      'loadSafetensors: 4 bytes after the last tensor: the byte buffer is 12 bytes, tensors cover 8');
    expect(e(file('{"__metadata__":{"n":1}}'))).toBe('loadSafetensors: __metadata__ values must be strings, \'n\' is 1');
  });
});
