import { WebgradError, fmtShape } from '../errors.js';
import { MAX_NUMEL, shapeBoundError } from '../shape.js';
import { type ByteSource, gunzip, isGzip, readBytes } from './source.js';

/**
 * The IDX format (the MNIST files): 0x00 0x00, a type code, the number of dims; then each dim
 * as a big-endian u32; then the elements, row-major, big-endian when wider than a byte.
 */
export type IdxDtype = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';
/** The typed array that holds each {@link IdxDtype}: ubyte → Uint8Array, …, double → Float64Array. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/**
 * An IDX file's contents, as {@link readIdx} and {@link parseIdx} return them. PyTorch has no
 * IDX reader of its own (torchvision's `read_sn3_pascalvincent_tensor` is the nearest).
 */
export interface IdxArray {
  /** The element type named by the file's type code. */
  dtype: IdxDtype;
  /** The dims, outermost first (MNIST images: `[60000, 28, 28]`). */
  shape: number[];
  /** The elements, row-major, in host byte order. */
  data: IdxData;
}

const OP = 'readIdx';

interface IdxType {
  dtype: IdxDtype;
  size: number;
  /** Decodes `n` big-endian elements starting at byte `off` of `dv`. */
  read(dv: DataView, off: number, n: number): IdxData;
}

function wide<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  make: (n: number) => T,
  size: number,
  get: (dv: DataView, at: number) => number,
) {
  return (dv: DataView, off: number, n: number): T => {
    const out = make(n);
    for (let i = 0; i < n; i++) out[i] = get(dv, off + i * size);
    return out;
  };
}

const TYPES: Record<number, IdxType> = {
  0x08: { dtype: 'ubyte', size: 1, read: (dv, off, n) => new Uint8Array(dv.buffer.slice(dv.byteOffset + off, dv.byteOffset + off + n)) },
  0x09: { dtype: 'byte', size: 1, read: (dv, off, n) => new Int8Array(dv.buffer.slice(dv.byteOffset + off, dv.byteOffset + off + n)) },
  0x0b: { dtype: 'short', size: 2, read: wide((n) => new Int16Array(n), 2, (dv, at) => dv.getInt16(at, false)) },
  0x0c: { dtype: 'int', size: 4, read: wide((n) => new Int32Array(n), 4, (dv, at) => dv.getInt32(at, false)) },
  0x0d: { dtype: 'float', size: 4, read: wide((n) => new Float32Array(n), 4, (dv, at) => dv.getFloat32(at, false)) },
  0x0e: { dtype: 'double', size: 8, read: wide((n) => new Float64Array(n), 8, (dv, at) => dv.getFloat64(at, false)) },
};

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/**
 * Parses an uncompressed IDX file held in memory. `name` is what error messages call it.
 * The returned `data` is a copy, never a view of `bytes`.
 */
export function parseIdx(bytes: Uint8Array, name = '<buffer>'): IdxArray {
  const fail = (msg: string) => new WebgradError(OP, `${name}: ${msg}`);
  if (isGzip(bytes)) throw fail('is gzip-compressed; readIdx() decompresses it, parseIdx() takes raw IDX bytes');
  if (bytes.length < 4) throw fail(`expected at least 4 bytes of IDX header, got ${bytes.length}`);
  const h = header(bytes, name);
  if (h === null) throw fail(`expected at least ${4 + 4 * bytes[3]} bytes of header for ${bytes[3]} dims, got ${bytes.length}`);
  const { type, shape, numel, dataStart } = h;
  const expected = dataStart + numel * type.size;
  if (bytes.length !== expected) {
    throw fail(`expected ${expected} bytes for shape ${fmtShape(shape)} of ${type.dtype}, got ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dtype: type.dtype, shape, data: type.read(dv, dataStart, numel) };
}

interface Header {
  type: IdxType;
  shape: number[];
  numel: number;
  dataStart: number;
}

/**
 * The header at the start of `bytes`, or null if they end before it does; a bad magic number,
 * type code or a shape of more than MAX_NUMEL elements is refused.
 */
function header(bytes: Uint8Array, name: string): Header | null {
  const fail = (msg: string) => new WebgradError(OP, `${name}: ${msg}`);
  if (bytes.length < 4) return null;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), hex).join(' ');
    throw fail(`bad magic number ${magic}: an IDX file starts with 0x00 0x00, a type code and the number of dims`);
  }
  const type = TYPES[bytes[2]];
  if (type === undefined) {
    throw fail(`unknown type code ${hex(bytes[2])} (expected 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float or 0x0e double)`);
  }
  const ndims = bytes[3];
  const dataStart = 4 + 4 * ndims;
  if (bytes.length < dataStart) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel > MAX_NUMEL) {
    throw fail(`shape ${fmtShape(shape)} has ${numel} elements, more than the ${MAX_NUMEL} a tensor can hold (corrupt header?)`);
  }
  const why = shapeBoundError(shape);
  if (why !== null) throw fail(`${why} (corrupt header?)`);
  return { type, shape, numel, dataStart };
}

/**
 * Reads an IDX file, gzip-compressed or not (detected by its first two bytes): a path in Node,
 * a URL (fetched, or read from disk if `file:`), or bytes. `name` overrides what errors call it.
 */
export async function readIdx(source: ByteSource, name?: string): Promise<IdxArray> {
  const src = await readBytes(source, OP, name);
  const bytes = isGzip(src.bytes) ? await gunzip(src.bytes, OP, src.name, (head) => idxSize(head, src.name)) : src.bytes;
  return parseIdx(bytes, src.name);
}


/**
 * The file size an IDX header implies, or null until the header is complete (at most 1,024
 * bytes): readIdx stops decompressing past it. A bad header is refused here, as parseIdx would.
 */
function idxSize(head: Uint8Array, name: string): number | null {
  const h = header(head, name);
  return h === null ? null : h.dataStart + h.numel * h.type.size;
}
