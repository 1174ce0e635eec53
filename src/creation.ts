import type { DType, TypedArray } from './dtype.js';
import { dtypeOfArray, typedArrayFor } from './dtype.js';
import { WebgradError, fmtShape } from './errors.js';
import type { HostRange } from './memory.js';
import { int32Bounds, requireSupported } from './ops/util.js';
import { options } from './options.js';
import { globalRng } from './random.js';
import { getBackend } from './runtime.js';
import { type Shape, checkShape, numelOf } from './shape.js';
import { type NestedArray, Tensor } from './tensor.js';

/** Options of the creation functions (`tensor`, `zeros`, `randn`, ...). */
export interface CreateOptions {
  /**
   * Element type (default float32; `tensor()` and `arange` infer int32 from integer data, the `*Like` functions take the input's).
   */
  dtype?: DType;
  /** Make the new leaf tensor require grad (default false; float dtypes only). */
  requiresGrad?: boolean;
}

/** Everything about the options is checked before anything is allocated. */
function checkOpts(op: string, opts: CreateOptions, dtype: DType, backend = getBackend()): void {
  options(op, opts, ['dtype', 'requiresGrad']);
  requireSupported(op, backend, dtype);
  if (opts.requiresGrad && dtype === 'int32') {
    throw new WebgradError(op, 'only floating point tensors can require gradients (got dtype int32)');
  }
}

/** `range`: the int32 values' bounds, known here on the host (see `Tensor.hostRange`). */
/** `backend`: the `*Like` functions create on their input's backend, whatever is current. */
function make(op: string, data: TypedArray, shape: Shape, opts: CreateOptions, dtype: DType, range: HostRange | null = null, backend = getBackend()): Tensor {
  checkOpts(op, opts, dtype, backend);
  const t = Tensor.fromStorage(backend.upload(data, dtype), backend, shape, dtype);
  if (range) t.setHostRange(range);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function dtypeOpt(op: string, opts: CreateOptions, fallback: DType): DType {
  if (typeof opts !== 'object' || opts === null) throw new WebgradError(op, `options must be an object like { dtype, requiresGrad }, got ${opts === null ? 'null' : typeof opts}`);
  const d = opts.dtype ?? fallback;
  if (d !== 'float32' && d !== 'int32' && d !== 'float64') throw new WebgradError(op, `unknown dtype '${String(d)}' (expected float32, int32 or float64)`);
  return d;
}

function shapeArg(op: string, shape: Shape | number): number[] {
  if (typeof shape !== 'number' && !Array.isArray(shape)) {
    throw new WebgradError(op, `shape must be a number or an array of sizes, got ${shape === null ? 'null' : typeof shape}`);
  }
  const s = typeof shape === 'number' ? [shape] : [...shape];
  checkShape(op, s);
  return s;
}

/**
 * Deeper nesting is refused: the shape walk recurses once per level, and 20,000 levels
 * overflowed the stack; kernels index at most 8 non-mergeable dims anyway (dims.ts).
 */
const MAX_NESTING = 64;

/**
 * Shape of a nested array, checking that it is not ragged, has no holes (`[1, , 3]`:
 * `forEach` skips them, so the data would be shorter than the shape) and holds only numbers.
 */
function nestedShape(data: NestedArray, path = 'data', depth = 0): number[] {
  if (!Array.isArray(data)) {
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new WebgradError('tensor', `${path} is ${typeof data}, expected a number`);
    }
    return [];
  }
  if (depth >= MAX_NESTING) throw new WebgradError('tensor', `nested arrays deeper than ${MAX_NESTING} levels (at ${path})`);
  if (data.length === 0) return [0];
  let inner: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (!Object.hasOwn(data, i)) throw new WebgradError('tensor', `${path}[${i}] is a hole in a sparse array, expected a number`);
    const s = nestedShape(data[i], `${path}[${i}]`, depth + 1);
    if (i === 0) inner = s;
    else if (s.length !== inner.length || s.some((v, j) => v !== inner[j])) {
      throw new WebgradError('tensor', `ragged nested array: ${path}[${i}] has shape ${fmtShape(s)} but ${path}[0] has shape ${fmtShape(inner)}`);
    }
  }
  return [data.length, ...inner];
}

/**
 * A tensor from a number, nested arrays or a typed array (1-D). The dtype defaults to the
 * typed array's, else float32 (PyTorch would infer int64 from integers; we have no int64).
 */
export function tensor(data: NestedArray | TypedArray, opts: CreateOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    // Float32/Int32/Float64Array keep their dtype; other numeric arrays (Uint8Array pixels...)
    // convert, to float32 unless a dtype is given.
    const view: ArrayBufferView = data;
    const native = view instanceof Float32Array || view instanceof Int32Array || view instanceof Float64Array;
    if (view instanceof DataView || view instanceof BigInt64Array || view instanceof BigUint64Array) {
      throw new WebgradError('tensor', `cannot make a tensor from a ${view.constructor.name}; pass a Float32Array, Int32Array, Float64Array or another numeric typed array`);
    }
    const arr = data as TypedArray;
    const dtype = dtypeOpt('tensor', opts, native ? dtypeOfArray(arr) : 'float32');
    checkShape('tensor', [arr.length]);
    const range = dtype === 'int32' ? int32Bounds('tensor', arr) : null;
    return make('tensor', native && dtypeOfArray(arr) === dtype ? arr : typedArrayFor(dtype, arr), [arr.length], opts, dtype, range);
  }
  const dtype = dtypeOpt('tensor', opts, 'float32');
  const shape = nestedShape(data);
  checkShape('tensor', shape);
  const flat: number[] = [];
  // Plain loops: nestedShape has checked there are no holes, so every index is visited.
  const walk = (d: NestedArray): void => {
    if (Array.isArray(d)) for (let i = 0; i < d.length; i++) walk(d[i]);
    else flat.push(Number(d));
  };
  walk(data);
  const range = dtype === 'int32' ? int32Bounds('tensor', flat) : null;
  return make('tensor', typedArrayFor(dtype, flat), shape, opts, dtype, range);
}

/**
 * A tensor of `shape` filled with `value` (float32 by default; int32 needs an integer in range).
 *
 * PyTorch equivalent: `torch.full`.
 *
 * @example
 * ```ts
 * const t = wg.full([2, 2], 7);
 * ```
 */
export function full(shape: Shape | number, value: number, opts: CreateOptions = {}): Tensor {
  return filled('full', shape, opts, value);
}

function filled(op: string, shape: Shape | number, opts: CreateOptions, value: number, backend = getBackend()): Tensor {
  const s = shapeArg(op, shape);
  const dtype = dtypeOpt(op, opts, 'float32');
  if (typeof value !== 'number') throw new WebgradError(op, `value must be a number, got ${typeof value}`);
  const range = dtype === 'int32' ? int32Bounds(op, [value]) : null;
  checkOpts(op, opts, dtype, backend);
  const t = Tensor.fromStorage(backend.full(numelOf(s), dtype, value), backend, s, dtype);
  if (range) t.setHostRange(range);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * The shape and options of `zeros(2, 3, { dtype })`, `zeros([2, 3], { dtype })` or `zeros(5)`:
 * PyTorch takes sizes either way. Options come last, as an object.
 */
export type SizeArgs = [shape: Shape | number, opts?: CreateOptions] | number[] | [...sizes: number[], opts: CreateOptions];

function sizeArgs(op: string, args: readonly unknown[]): [Shape | number, CreateOptions] {
  const rest = [...args];
  let opts: CreateOptions = {};
  const last = rest.at(-1);
  if (rest.length > 0 && (last === undefined || (typeof last === 'object' && last !== null && !Array.isArray(last)))) {
    rest.pop();
    opts = options(op, last as CreateOptions | undefined, ['dtype', 'requiresGrad']);
  }
  if (rest.length === 1 && (typeof rest[0] === 'number' || Array.isArray(rest[0]))) return [rest[0] as Shape | number, opts];
  if (rest.length > 1 && rest.every((a) => typeof a === 'number')) return [rest as number[], opts];
  const kinds = args.map((a) => (Array.isArray(a) ? fmtShape(a as number[]) : a === null ? 'null' : typeof a === 'number' ? String(a) : typeof a));
  const got = kinds.length === 1 ? kinds[0] : `(${kinds.join(', ')})`;
  throw new WebgradError(op, `shape must be a number or an array of sizes, got ${got}: pass sizes as ${op}(2, 3) or ${op}([2, 3]) (${op}([]) for a 0-d tensor), then options like { dtype }`);
}

/**
 * A tensor of the given shape filled with 0: `zeros(2, 3)`, `zeros([2, 3])`, or with options
 * `zeros([2, 3], { dtype: 'int32' })`. float32 by default.
 *
 * PyTorch equivalent: `torch.zeros`.
 *
 * @example
 * ```ts
 * const z = wg.zeros(2, 3);
 * ```
 */
export const zeros = (...args: SizeArgs): Tensor => filled('zeros', ...sizeArgs('zeros', args), 0);
/**
 * A tensor of the given shape filled with 1, with the arguments of `zeros`.
 *
 * PyTorch equivalent: `torch.ones`.
 */
export const ones = (...args: SizeArgs): Tensor => filled('ones', ...sizeArgs('ones', args), 1);
/**
 * Zeros of `t`'s shape and dtype (unless `opts.dtype`).
 *
 * PyTorch equivalent: `torch.zeros_like`.
 */
export const zerosLike = (t: Tensor, opts: CreateOptions = {}): Tensor => filled('zerosLike', like('zerosLike', t), { dtype: t.dtype, ...likeOpts('zerosLike', opts) }, 0, t.backend);
/**
 * Ones of `t`'s shape and dtype (unless `opts.dtype`).
 *
 * PyTorch equivalent: `torch.ones_like`.
 */
export const onesLike = (t: Tensor, opts: CreateOptions = {}): Tensor => filled('onesLike', like('onesLike', t), { dtype: t.dtype, ...likeOpts('onesLike', opts) }, 1, t.backend);
/** A tensor of `t`'s shape (and dtype, unless `opts.dtype`) filled with `value`. */
export const fullLike = (t: Tensor, value: number, opts: CreateOptions = {}): Tensor =>
  filled('fullLike', like('fullLike', t), { dtype: t.dtype, ...likeOpts('fullLike', opts) }, value, t.backend);

const likeOpts = (op: string, opts: CreateOptions): CreateOptions => options(op, opts, ['dtype', 'requiresGrad']);

function like(op: string, t: Tensor): Shape {
  if (!(t instanceof Tensor)) throw new WebgradError(op, `expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  t.assertLive(op);
  return t.shape;
}

function random(op: string, shape: Shape | number, opts: CreateOptions, draw: () => number, backend = getBackend()): Tensor {
  const s = shapeArg(op, shape);
  const dtype = dtypeOpt(op, opts, 'float32');
  if (dtype === 'int32') throw new WebgradError(op, 'random tensors must be floating point');
  checkOpts(op, opts, dtype, backend); // before drawing, so a refused call leaves the generator as it was
  const data = typedArrayFor(dtype, numelOf(s));
  for (let i = 0; i < data.length; i++) data[i] = draw();
  return make(op, data, s, opts, dtype, null, backend);
}

/** Standard normal samples, reproducible with `manualSeed` on every backend: `randn(8, 5)` or `randn([8, 5])`. */
export function randn(...args: SizeArgs): Tensor {
  const rng = globalRng();
  return random('randn', ...sizeArgs('randn', args), () => rng.normal());
}

/** Uniform samples in [0, 1). */
export function rand(...args: SizeArgs): Tensor {
  const rng = globalRng();
  return random('rand', ...sizeArgs('rand', args), () => rng.uniform());
}

/** Standard normal samples of `t`'s shape (and floating dtype, unless `opts.dtype`). */
export function randnLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  const rng = globalRng();
  return random('randnLike', like('randnLike', t), { dtype: t.dtype, ...likeOpts('randnLike', opts) }, () => rng.normal(), t.backend);
}

/**
 * Uniform samples in [0, 1) of `t`'s shape (and floating dtype, unless `opts.dtype`), from the global RNG.
 *
 * PyTorch equivalent: `torch.rand_like`.
 */
export function randLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  const rng = globalRng();
  return random('randLike', like('randLike', t), { dtype: t.dtype, ...likeOpts('randLike', opts) }, () => rng.uniform(), t.backend);
}

/** arange(end) or arange(start, end, step); int32 when all arguments are integers. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new WebgradError('arange', `step must be a non-zero finite number, got ${step}`);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new WebgradError('arange', `start and end must be finite, got ${lo} and ${hi}`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  checkShape('arange', [n]);
  const ints = [lo, hi, step].every(Number.isInteger);
  const dtype = dtypeOpt('arange', opts, ints ? 'int32' : 'float32');
  // The values are monotonic, so the ends bound them (and must fit an int32 tensor).
  const range = dtype === 'int32' && n > 0 ? int32Bounds('arange', [lo, lo + (n - 1) * step]) : null;
  const data = typedArrayFor(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return make('arange', data, [n], opts, dtype, range);
}

/** Identity matrix n×m (m defaults to n). */
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  const s = shapeArg('eye', [n, m]);
  const dtype = dtypeOpt('eye', opts, 'float32');
  const data = typedArrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return make('eye', data, s, opts, dtype, dtype === 'int32' ? { min: 0, max: 1 } : null);
}
