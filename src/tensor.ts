import type { Backend, Storage } from './backend/backend.js';
import { runBackward } from './autograd/engine.js';
import { isGradEnabled } from './autograd/grad-mode.js';
import type { Node } from './autograd/node.js';
import type { DType, TypedArray } from './dtype.js';
import { WebgradError, fmtShape } from './errors.js';
import { type HostRange, StorageRef, trackTensor, untrackTensor, yieldForFinalizers } from './memory.js';
import type { Shape } from './shape.js';
import { contiguousStrides, inversePerm, isRowMajor, normalizeDim, numelOf } from './shape.js';
import { warnOnce } from './warn.js';
import { refuseReadInCompiledStep } from './compile-state.js';
import * as B from './ops/binary.js';
import type { Operand } from './ops/binary.js';
import * as E from './ops/elementwise.js';
import * as M from './ops/matmul.js';
import * as ST from './ops/stats.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape-ops.js';
import * as X from './ops/softmax.js';
import * as J from './ops/joining.js';
import * as V from './ops/slicing.js';
import * as W from './ops/where.js';
import { checkSameBackend, int32Bounds } from './ops/util.js';
import { tensorString } from './format.js';
import { options } from './options.js';
import * as I from './ops/indexing.js';
import * as O from './ops/sort.js';

/**
 * A permuted view (see `Tensor.permutedView`): the view is `base.permute(perm)` for the shared
 * storage read as a contiguous `base`. Its contiguous copy is made on the first read of
 * `storage`, kept while the shared storage is unchanged (same buffer, same version), remade
 * after an in-place write, released by dispose() (or by the garbage collector as a backup).
 */
interface ViewCopy {
  readonly backend: Backend;
  readonly perm: readonly number[];
  storage: Storage | null;
  of: Storage | null;
  version: number;
}

/** How a tensor lies in its storage: `base` contiguous, the tensor `base.permute(perm)`. */
export interface Layout {
  readonly storage: Storage;
  readonly baseShape: Shape;
  /** Null: the tensor is its base (contiguous). */
  readonly perm: readonly number[] | null;
  /** Where each of the tensor's dims steps in the storage (the base's strides, permuted). */
  readonly strides: readonly number[];
}

const viewCopies = new FinalizationRegistry<ViewCopy>((c) => {
  if (c.storage) c.backend.release(c.storage);
});

/**
 * `storage`, contiguous of `inShape`, copied as `permute(perm)` of it in row-major order: a
 * permuted view's values, or (with the inverse permutation) a view's values back into its
 * base's layout.
 */
function permuteCopy(backend: Backend, storage: Storage, inShape: Shape, perm: readonly number[]): Storage {
  const strides = contiguousStrides(inShape);
  return backend.strided(storage, perm.map((d) => inShape[d]), perm.map((d) => strides[d]), 0);
}

/** The shape of the base a view of `shape` is `permute(perm)` of. */
function baseShapeOf(shape: Shape, perm: readonly number[] | null): number[] {
  if (perm === null) return [...shape];
  const base = new Array<number>(shape.length);
  perm.forEach((d, i) => (base[d] = shape[i]));
  return base;
}

const isIdentity = (perm: readonly number[]): boolean => perm.every((d, i) => d === i);
/** Whether `perm` swaps the last two dims and keeps the others (a batched matrix transpose). */
const swapsLastTwo = (perm: readonly number[]): boolean => {
  const n = perm.length;
  return n >= 2 && perm.every((d, i) => d === (i < n - 2 ? i : 2 * n - 3 - i));
};

/** A number or nested arrays of numbers, as `tolist()` returns and `wg.tensor()` accepts. */
export type NestedArray = number | NestedArray[];

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep the graph's saved tensors so backward can run through it again. */
  retainGraph?: boolean;
}

/**
 * An n-dimensional array on the current backend (WebGPU or CPU), recorded for autograd when it
 * requires grad: PyTorch's `torch.Tensor` with camelCase names. Ops run on the device and return
 * new tensors without waiting; only `item()`, `toArray()`, `tolist()` and `format()` read values
 * back (async). Free a tensor with `dispose()`, `using`, or inside `wg.scope()`.
 *
 * PyTorch equivalent: `torch.Tensor`.
 *
 * @example
 * ```ts
 * const x = wg.randn(2, 3, { requiresGrad: true });
 * const loss = x.square().sum();
 * loss.backward();
 * console.log(await x.grad!.tolist()); // 2·x
 * ```
 */
export class Tensor {
  /** The size of each dim (frozen), as torch's `.shape`; `[]` for a 0-d tensor. */
  readonly shape: readonly number[];
  /** The element type: 'float32', 'int32', or 'float64' (CPU backend only). */
  readonly dtype: DType;
  #grad: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autograd. */
  gradFn: Node | null = null;
  /**
   * Whether this non-leaf tensor keeps its `.grad` after backward (set by `retainGrad()`), as torch's `retains_grad`.
   */
  retainsGrad = false;
  #ref: StorageRef | null;
  #requiresGrad = false;
  /**
   * Set on a permuted view: the storage (shared with the base) holds this tensor's base
   * row-major, this tensor is `base.permute(perm)`. matmul reads a transposed matrix in place
   * (`matmulOperand`), attention any view whose rows are contiguous (`layout`); every other
   * reader goes through `storage`, which materializes the contiguous copy once.
   */
  #copy: ViewCopy | null = null;

  /** @internal Ops create tensors through `fromStorage`; users through `tensor()`, `zeros()`... */
  constructor(ref: StorageRef, shape: Shape, dtype: DType) {
    this.#ref = ref;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    trackTensor(this, ref);
  }

  /**
   * @internal A new reference to `t`'s storage, for a subclass instance sharing it (nn.Parameter).
   * A permuted view gives a reference to a contiguous copy instead (a Parameter has no layout).
   */
  static shareRef(t: Tensor, op: string): StorageRef {
    const ref = t.#live(op);
    if (t.#copy) return new StorageRef(permuteCopy(ref.backend, ref.storage, t.#baseShape(), t.#copy.perm), ref.backend);
    ref.refs++;
    return ref;
  }

  /** A tensor of `shape` over `ref` (one more reference to it), `base.permute(perm)` or the base itself. */
  static #over(ref: StorageRef, shape: Shape, dtype: DType, perm: readonly number[] | null): Tensor {
    ref.refs++;
    const t = new Tensor(ref, shape, dtype);
    if (perm !== null && !isIdentity(perm)) {
      t.#copy = { backend: ref.backend, perm: Object.freeze([...perm]), storage: null, of: null, version: -1 };
      viewCopies.register(t, t.#copy, t);
    }
    return t;
  }

  /**
   * @internal A new tensor owning `storage`, which holds `baseShape` row-major; the tensor is
   * `base.permute(perm)` (the base itself when perm is null). Kernels that write their result in
   * an operand's layout (attention) return it through this.
   */
  static fromLayout(storage: Storage, backend: Backend, baseShape: Shape, perm: readonly number[] | null, dtype: DType = storage.dtype): Tensor {
    const ref = new StorageRef(storage, backend);
    const t = Tensor.#over(ref, perm === null ? baseShape : perm.map((d) => baseShape[d]), dtype, perm);
    ref.refs--;   // #over counted the reference this tensor is created with
    return t;
  }

  /**
   * @internal `permute(order)` of this tensor sharing its storage (PyTorch's view): no kernel
   * runs. matmul reads a transposed matrix in place and attention rows that stay contiguous; any
   * other op reads the contiguous copy that `storage` makes once. In-place writes to the view
   * write through to the shared storage (and bump the shared version counter), as in PyTorch. A
   * view of a view composes the permutations; one that undoes it is the base again.
   */
  permutedView(order: readonly number[]): Tensor {
    const ref = this.#live('permute');
    const perm = this.#copy === null ? order : order.map((d) => this.#copy!.perm[d]);
    return Tensor.#over(ref, order.map((d) => this.shape[d]), this.dtype, perm);
  }

  /** @internal This tensor with its last two dims swapped, sharing its storage (see `permutedView`). */
  transposedView(): Tensor {
    const n = this.ndim;
    return this.permutedView(this.shape.map((_, i) => (i < n - 2 ? i : 2 * n - 3 - i)));
  }

  /**
   * @internal The storage as matmul reads it: `transposed` when it holds this tensor's matrices
   * transposed (a view with the last two dims swapped), so the product reads them with its
   * transpose flag, uncopied. Any other view is read through its contiguous copy.
   */
  get matmulOperand(): { storage: Storage; transposed: boolean } {
    const ref = this.#live('matmul');
    if (this.#copy === null) return { storage: ref.storage, transposed: false };
    if (swapsLastTwo(this.#copy.perm)) return { storage: ref.storage, transposed: true };
    return { storage: this.storage, transposed: false };
  }

  /** @internal Where this tensor's values lie, without materializing a view's copy. */
  get layout(): Layout {
    const ref = this.#live('layout');
    const baseShape = this.#baseShape();
    const perm = this.#copy?.perm ?? null;
    const base = contiguousStrides(baseShape);
    return { storage: ref.storage, baseShape, perm, strides: perm === null ? base : perm.map((d) => base[d]) };
  }

  /** @internal */
  static fromStorage(storage: Storage, backend: Backend, shape: Shape, dtype: DType = storage.dtype): Tensor {
    return new Tensor(new StorageRef(storage, backend), shape, dtype);
  }

  #live(op: string): StorageRef {
    if (!this.#ref) throw new WebgradError(op, `a tensor of shape ${fmtShape(this.shape)} was used after dispose()`);
    return this.#ref;
  }

  /** @internal Throws a WebgradError naming `op` if this tensor was disposed. */
  assertLive(op: string): void {
    this.#live(op);
  }

  /**
   * @internal This tensor's values, contiguous and row-major: the one accessor every kernel's
   * input goes through. A transposed view materializes its copy here on first use and keeps it
   * until the shared storage changes.
   */
  get storage(): Storage {
    const ref = this.#live('tensor');
    const c = this.#copy;
    if (c === null) return ref.storage;
    if (c.storage === null || c.of !== ref.storage || c.version !== ref.version) {
      if (c.storage) ref.backend.release(c.storage);
      c.storage = null;
      c.storage = permuteCopy(ref.backend, ref.storage, this.#baseShape(), c.perm);
      c.of = ref.storage;
      c.version = ref.version;
    }
    return c.storage;
  }
  /** @internal */
  get backend(): Backend {
    return this.#live('tensor').backend;
  }
  /** Counts in-place writes to this tensor's storage (shared with its views). */
  get version(): number {
    return this.#ref?.version ?? -1;
  }
  /** The number of elements (a property, like `shape`; `nelement()` is the method form). */
  get numel(): number {
    return numelOf(this.shape);
  }
  /** PyTorch's `numel()` as a method (`numel` here is a property). */
  nelement(): number {
    return numelOf(this.shape);
  }
  /** The shape (a copy), or the size of one dim (negative counts from the end), as torch's size(). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    if (this.ndim === 0) throw new WebgradError('size', `a 0-d tensor has no dim ${dim} (as in PyTorch, size(dim) needs a dim)`);
    return this.shape[normalizeDim('size', dim, this.ndim)];
  }
  /** The number of dims, as torch's `.ndim`. */
  get ndim(): number {
    return this.shape.length;
  }
  /** The number of dims, as torch's `dim()`; same as `ndim`. */
  dim(): number {
    return this.shape.length;
  }
  /**
   * True unless an op recorded for autograd produced this tensor (`gradFn` is null), as torch's `is_leaf`.
   */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  /** True once `dispose()` has freed this tensor; using it then throws a WebgradError. */
  get isDisposed(): boolean {
    return this.#ref === null;
  }

  /**
   * Bounds on the values known on the host without reading the device: set for int32 tensors
   * made from host data (`tensor()`, `arange`, `full`, the DataLoader's targets) and for
   * argmax/argmin results, kept by views, forgotten on any in-place write. crossEntropy checks
   * its targets against them before launching (see docs/errors.md). Null when unknown.
   * A float tensor has one only when all its values are one known constant (after `fill_`,
   * `zero_`, backward's seed): autograd then skips work, e.g. adding a gradient into zeros.
   */
  get hostRange(): HostRange | null {
    return this.#ref?.hostRange ?? null;
  }
  /**
   * @internal For code that writes this tensor's storage in place through the backend (the
   * optimizers' fused kernels): bumps the version counter shared with its views, so backward
   * refuses saved copies of the old values, and forgets `hostRange`.
   */
  markModified(): void {
    const ref = this.#live('markModified');
    const c = this.#copy;
    if (c?.storage && c.of === ref.storage && c.version === ref.version) {
      // A view was written through `storage` (its copy): write it back through.
      ref.replace(permuteCopy(ref.backend, c.storage, this.shape, inversePerm(c.perm)));
      c.of = ref.storage;
      c.version = ref.version;
      return;
    }
    ref.version++;
  }
  /** The shape of the storage's layout: this shape, permuted back on a view. */
  #baseShape(): number[] {
    return baseShapeOf(this.shape, this.#copy?.perm ?? null);
  }
  /** @internal Ops that know their result's bounds record them here. */
  setHostRange(range: HostRange | null): this {
    this.#live('hostRange').hostRange = range;
    return this;
  }

  /**
   * Accumulated gradient: set on leaves that require grad, and on `retainGrad()` tensors.
   * Reading it on any other computed tensor warns once, as PyTorch does: it stays null, which
   * otherwise looks like a gradient of nothing.
   */
  get grad(): Tensor | null {
    if (this.gradFn !== null && !this.retainsGrad && this.#grad === null) {
      warnOnce(
        'grad-non-leaf',
        `.grad of a non-leaf tensor (${this.#describe()}) was read; it is not populated by backward(). Call retainGrad() on it before backward() if you want its gradient, or read .grad on the leaf tensors (the parameters).`,
      );
    }
    return this.#grad;
  }
  /** Replaces the gradient (no check of shape or dtype), e.g. `p.grad = null` to drop it. */
  set grad(value: Tensor | null) {
    this.#grad = value;
  }

  /**
   * Whether ops on this tensor are recorded for autograd, as torch's `requires_grad`. Settable on
   * leaf float tensors; setting it false on a computed tensor, or true on int32, throws.
   */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  /** Sets `requiresGrad` (leaf float tensors only; see the getter). */
  set requiresGrad(value: boolean) {
    if (!value && this.gradFn) {
      throw new WebgradError('requiresGrad', 'you can only change requiresGrad of leaf tensors; use detach() on a computed tensor');
    }
    if (value && this.dtype === 'int32') {
      throw new WebgradError('requiresGrad', 'only floating point tensors can require gradients (got int32)');
    }
    this.#requiresGrad = value;
  }
  /**
   * Sets `requiresGrad` in place and returns this tensor, as torch's `requires_grad_()`.
   *
   * PyTorch equivalent: `torch.Tensor.requires_grad_`.
   */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** @internal Marks this tensor as the output of `node` (called by ops when recording). */
  setGradFn(node: Node): void {
    this.#requiresGrad = true;
    this.gradFn = node;
  }

  /**
   * Frees the storage now (shared storage is freed when its last view is disposed). `gradFn`
   * stays: backward still passes through a disposed intermediate whose value it does not need
   * (and refuses, naming it, one whose value it needs).
   */
  dispose(): void {
    if (!this.#ref) return;
    untrackTensor(this);
    if (this.#copy) {
      viewCopies.unregister(this);
      if (this.#copy.storage) this.#ref.backend.release(this.#copy.storage);
      this.#copy.storage = null;
    }
    this.#ref.decref();
    this.#ref = null;
  }
  /** Same as `dispose()`, so `using t = wg.randn(3)` frees the storage at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- readback: the only places that wait for the device ----
  /**
   * Reads the values back from the device into a flat typed array (Float32Array, Int32Array or
   * Float64Array by dtype), in row-major order. This waits for the device.
   *
   * PyTorch equivalent: `t.numpy().ravel()`.
   *
   * @example
   * ```ts
   * const v = await wg.arange(4).toArray(); // Int32Array [0, 1, 2, 3]
   * ```
   */
  async toArray(): Promise<TypedArray> {
    return this.#read('toArray');
  }
  /**
   * Reads the values back. A readback not awaited before `destroy()` fails when the device
   * goes; the error then says which tensor and which call, since the stack of a rejected
   * promise points into the backend, not at the line that forgot the `await`.
   */
  async #read(op: string): Promise<TypedArray> {
    const ref = this.#live(op);
    refuseReadInCompiledStep(op);
    const what = this.#describe();
    try {
      const values = await ref.backend.read(this.storage);
      await yieldForFinalizers();
      return values;
    } catch (e) {
      if (e instanceof WebgradError && /destroyed/.test(e.message)) {
        throw new WebgradError(op, `${op}() of a tensor (${what}) could not complete: destroy() released the ${ref.backend.name} device first; await every readback (item(), toArray(), tolist(), format()) before destroy()`);
      }
      throw e;
    }
  }
  /**
   * Reads the single value of a one-element tensor back from the device (throws on any other
   * size). Await it outside the training step: each call waits for the device.
   *
   * PyTorch equivalent: `torch.Tensor.item`.
   *
   * @example
   * ```ts
   * console.log(await loss.item());
   * ```
   */
  async item(): Promise<number> {
    if (this.numel !== 1) {
      throw new WebgradError('item', `only a tensor with one element can be converted to a number, got shape ${fmtShape(this.shape)}`);
    }
    return (await this.#read('item'))[0];
  }
  /**
   * Reads the values back as nested arrays of numbers following the shape (a number for a 0-d
   * tensor). This waits for the device.
   *
   * PyTorch equivalent: `torch.Tensor.tolist`.
   */
  async tolist(): Promise<NestedArray> {
    const flat = await this.#read('tolist');
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return flat[offset];
      const stride = numelOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  // ---- autograd ----
  /**
   * Computes the gradient of this tensor with respect to every leaf that requires grad, adding it
   * into their `.grad` (gradients accumulate; clear them with `zeroGrad`). `gradient` is
   * d(out)/d(this), required unless this tensor has one element; it must match the shape and
   * dtype. The graph is freed afterwards unless `{ retainGraph: true }`. No readback.
   *
   * PyTorch equivalent: `torch.Tensor.backward`.
   *
   * @example
   * ```ts
   * const w = wg.randn(3, { requiresGrad: true });
   * w.mul(2).sum().backward();
   * // w.grad is [2, 2, 2]
   * ```
   */
  backward(gradient?: Tensor, opts: BackwardOptions = {}): void {
    this.#live('backward');
    runBackward(this, gradient, options('backward', opts, ['retainGraph']).retainGraph ?? false);
  }
  /**
   * Makes backward keep this non-leaf tensor's gradient in `.grad` (a no-op on a leaf); throws if
   * it does not require grad.
   *
   * PyTorch equivalent: `torch.Tensor.retain_grad`.
   */
  retainGrad(): this {
    if (!this.#requiresGrad) throw new WebgradError('retainGrad', "can't retain grad on a tensor that doesn't require grad");
    if (this.gradFn) this.retainsGrad = true;
    return this;
  }
  /** A tensor sharing this one's storage (and layout), cut from the graph. */
  detach(): Tensor {
    return this.shareAs(this.shape, 'detach');
  }
  /**
   * @internal A new tensor of `shape` (same element count) over this one's storage. A
   * permuted view keeps sharing only under its own shape; another shape gets a contiguous
   * copy, as PyTorch's reshape of a tensor whose strides allow no view.
   */
  shareAs(shape: Shape, op = 'reshape'): Tensor {
    const ref = this.#live(op);
    if (this.#copy === null || (shape.length === this.ndim && shape.every((d, i) => d === this.shape[i]))) {
      return Tensor.#over(ref, shape, this.dtype, this.#copy?.perm ?? null);
    }
    return new Tensor(new StorageRef(permuteCopy(ref.backend, ref.storage, this.#baseShape(), this.#copy.perm), ref.backend), shape, this.dtype);
  }

  // ---- in place (not recorded; they bump the version counter) ----
  #checkInPlace(op: string, other?: Tensor): StorageRef {
    const ref = this.#live(op);
    if (isGradEnabled() && (this.#requiresGrad || other?.requiresGrad)) {
      throw new WebgradError(
        op,
        this.gradFn === null && this.#requiresGrad
          ? `a leaf tensor that requires grad (shape ${fmtShape(this.shape)}) is being used in an in-place operation; wrap the update in noGrad(() => ...)`
          : 'in-place operations are not recorded for autograd; use the out-of-place op or wrap it in noGrad(() => ...)',
      );
    }
    return ref;
  }
  /** Writes `result` (a fresh temporary of this shape and dtype) into this tensor. */
  #assign(op: string, result: Tensor): this {
    const ref = this.#checkInPlace(op);
    const fresh = result.#ref;
    if (!fresh) throw new WebgradError(op, 'internal: assigned a disposed tensor');
    if (this.#copy) {
      // A view: the result goes back through, into the shared storage's layout.
      const back = permuteCopy(ref.backend, result.storage, this.shape, inversePerm(this.#copy.perm));
      result.dispose();
      ref.replace(back);
      return this;
    }
    if (fresh.refs === 1 && fresh !== ref && result.#copy === null) {
      // Take the new storage over instead of copying it: views of this tensor share `ref`.
      untrackTensor(result);
      result.#ref = null;
      ref.replace(fresh.storage);
    } else {
      ref.backend.copy(result.storage, ref.storage);
      ref.version++;
      result.dispose();
    }
    return this;
  }
  /**
   * @internal Makes `result` (same shape and dtype, not used afterwards) this tensor's value:
   * its storage is taken over when nothing else shares it, else copied. Autograd uses it to
   * accumulate into a gradient known to be zero without an add kernel.
   */
  assignFrom(op: string, result: Tensor): this {
    if (result.dtype !== this.dtype || result.numel !== this.numel) {
      throw new WebgradError(op, `internal: cannot assign a tensor (${result.#describe()}) to one (${this.#describe()})`);
    }
    return this.#assign(op, result);
  }
  #inPlace(op: string, other: Operand, f: (a: Tensor, b: Operand) => Tensor, alpha = 1): this {
    this.#checkInPlace(op, other instanceof Tensor ? other : undefined);
    // Refuse before any kernel runs: the result must have this tensor's shape and dtype.
    const want = B.resultOf(op, this, typeof other === 'number' ? other * alpha : other, op === 'div_');
    // A fractional alpha scales an int32 tensor operand into float32.
    const dtype = want.dtype === 'int32' && !Number.isInteger(alpha) ? 'float32' : want.dtype;
    if (dtype !== this.dtype || numelOf(want.shape) !== this.numel) {
      throw new WebgradError(op, `result of shape ${fmtShape(want.shape)} (${dtype}) cannot be written into a tensor of shape ${fmtShape(this.shape)} (${this.dtype})`);
    }
    const out = f(this, other);
    if (out.dtype !== this.dtype || out.numel !== this.numel || out.ndim > this.ndim) {
      const shape = fmtShape(out.shape);
      out.dispose();
      throw new WebgradError(op, `result of shape ${shape} (${out.dtype}) cannot be written into a tensor of shape ${fmtShape(this.shape)} (${this.dtype})`);
    }
    return this.#assign(op, out);
  }
  /**
   * In place: this += alpha·other (broadcast into this shape). Not recorded for autograd: on a
   * tensor that requires grad it throws unless run inside `noGrad`. The result must keep this
   * tensor's shape and dtype.
   *
   * PyTorch equivalent: `torch.Tensor.add_`.
   */
  add_(other: Operand, alpha = 1): this {
    return this.#inPlace('add_', other, (a, b) => B.add(a, b, alpha), alpha);
  }
  /**
   * In place: this -= alpha·other, as `add_`.
   *
   * PyTorch equivalent: `torch.Tensor.sub_`.
   */
  sub_(other: Operand, alpha = 1): this {
    return this.#inPlace('sub_', other, (a, b) => B.sub(a, b, alpha), alpha);
  }
  /**
   * In place: this *= other, as `add_`.
   *
   * PyTorch equivalent: `torch.Tensor.mul_`.
   */
  mul_(other: Operand): this {
    return this.#inPlace('mul_', other, B.mul);
  }
  /**
   * In place: this /= other, as `add_` (true division: refused on an int32 tensor, whose result would be float32).
   *
   * PyTorch equivalent: `torch.Tensor.div_`.
   */
  div_(other: Operand): this {
    return this.#inPlace('div_', other, B.div);
  }
  /**
   * In place: sets every element to `value` (an int32 tensor needs an integer in int32 range).
   * Not recorded; refused on a tensor that requires grad outside `noGrad`.
   *
   * PyTorch equivalent: `torch.Tensor.fill_`.
   */
  fill_(value: number): this {
    const ref = this.#checkInPlace('fill_');
    if (typeof value !== 'number') throw new WebgradError('fill_', `value must be a number, got ${typeof value}`);
    const range = this.dtype === 'int32' ? int32Bounds('fill_', [value]) : Number.isNaN(value) ? null : { min: value, max: value };
    ref.backend.fill(ref.storage, value);
    ref.version++;
    ref.hostRange = range;
    return this;
  }
  /**
   * In place: sets every element to 0, as `fill_(0)`.
   *
   * PyTorch equivalent: `torch.Tensor.zero_`.
   */
  zero_(): this {
    return this.fill_(0);
  }
  /** Copies `src` (broadcast to this shape, cast to this dtype) into this tensor. */
  copy_(src: Tensor): this {
    this.#checkInPlace('copy_', src);
    checkSameBackend('copy_', this, src);
    return this.#assign('copy_', S.expandTo('copy_', src, this.shape, this.dtype));
  }

  /**
   * A copy with its own storage; recorded for autograd (the gradient passes through).
   *
   * PyTorch equivalent: `torch.Tensor.clone`.
   */
  clone(): Tensor {
    return E.clone(this);
  }
  /**
   * A copy cast to `dtype`. A cast to a float dtype passes the gradient back; a cast to int32
   * is not differentiable.
   *
   * PyTorch equivalent: `torch.Tensor.to(dtype)`.
   *
   * @example
   * ```ts
   * const y = wg.arange(3).to('float32');
   * ```
   */
  to(dtype: DType): Tensor {
    return E.cast(this, dtype);
  }
  /**
   * A float32 copy, as `to('float32')`.
   *
   * PyTorch equivalent: `torch.Tensor.float`.
   */
  float(): Tensor { return E.cast(this, 'float32'); }
  /** float64: CPU backend only. */
  double(): Tensor { return E.cast(this, 'float64'); }
  /**
   * An int32 copy, as `to('int32')`.
   *
   * PyTorch equivalent: `torch.Tensor.int`.
   */
  int(): Tensor { return E.cast(this, 'int32'); }
  /** int32 (webgrad has no int64; WGSL has no 64-bit integers), the dtype of class targets. */
  long(): Tensor { return E.cast(this, 'int32'); }
  /** All dims reversed (a transpose for a matrix), as torch's `.T`. */
  get T(): Tensor {
    return S.permute(this, this.shape.map((_, i) => this.ndim - 1 - i));
  }
  /** The last two dims swapped (batched matrix transpose), as torch's `.mT`. */
  get mT(): Tensor {
    if (this.ndim < 2) throw new WebgradError('mT', `expects a tensor with at least 2 dimensions, got shape ${fmtShape(this.shape)}`);
    return S.transpose(this, -2, -1);
  }

  // ---- ops (method forms of the functions in src/ops/) ----
  /**
   * this + alpha·other, elementwise with broadcasting; a number operand is a scalar. The dtype is
   * promoted (int32 with a float gives float32; an integer number keeps int32).
   *
   * PyTorch equivalent: `torch.add`.
   *
   * @example
   * ```ts
   * const y = wg.ones(2, 3).add(wg.arange(3).float()); // [2, 3]
   * ```
   */
  add(other: Operand, alpha = 1): Tensor { return B.add(this, other, alpha); }
  /**
   * this - alpha·other, elementwise with broadcasting, as `add`.
   *
   * PyTorch equivalent: `torch.sub`.
   */
  sub(other: Operand, alpha = 1): Tensor { return B.sub(this, other, alpha); }
  /**
   * this · other, elementwise with broadcasting, as `add`.
   *
   * PyTorch equivalent: `torch.mul`.
   */
  mul(other: Operand): Tensor { return B.mul(this, other); }
  /**
   * this / other, elementwise with broadcasting; true division (int32 inputs give float32).
   *
   * PyTorch equivalent: `torch.div`.
   */
  div(other: Operand): Tensor { return B.div(this, other); }
  /**
   * 1 where this == other, else 0, with broadcasting. The result is float32 (webgrad has no bool
   * dtype) and not differentiable.
   *
   * PyTorch equivalent: `torch.eq`.
   */
  eq(other: Operand): Tensor { return B.compare('eq', this, other); }
  /**
   * 1 where this != other, else 0 (float32, broadcasting), as `eq`.
   *
   * PyTorch equivalent: `torch.ne`.
   */
  ne(other: Operand): Tensor { return B.compare('ne', this, other); }
  /**
   * 1 where this < other, else 0 (float32, broadcasting), as `eq`.
   *
   * PyTorch equivalent: `torch.lt`.
   */
  lt(other: Operand): Tensor { return B.compare('lt', this, other); }
  /**
   * 1 where this <= other, else 0 (float32, broadcasting), as `eq`.
   *
   * PyTorch equivalent: `torch.le`.
   */
  le(other: Operand): Tensor { return B.compare('le', this, other); }
  /**
   * 1 where this > other, else 0 (float32, broadcasting), as `eq`.
   *
   * PyTorch equivalent: `torch.gt`.
   */
  gt(other: Operand): Tensor { return B.compare('gt', this, other); }
  /**
   * 1 where this >= other, else 0 (float32, broadcasting), as `eq`.
   *
   * PyTorch equivalent: `torch.ge`.
   */
  ge(other: Operand): Tensor { return B.compare('ge', this, other); }
  /**
   * -x elementwise.
   *
   * PyTorch equivalent: `torch.neg`.
   */
  neg(): Tensor { return E.neg(this); }
  /**
   * eˣ elementwise (float tensors).
   *
   * PyTorch equivalent: `torch.exp`.
   */
  exp(): Tensor { return E.exp(this); }
  /**
   * Natural logarithm elementwise (float tensors; -Infinity at 0, NaN below).
   *
   * PyTorch equivalent: `torch.log`.
   */
  log(): Tensor { return E.log(this); }
  /**
   * Square root elementwise (float tensors; NaN below 0).
   *
   * PyTorch equivalent: `torch.sqrt`.
   */
  sqrt(): Tensor { return E.sqrt(this); }
  /**
   * |x| elementwise.
   *
   * PyTorch equivalent: `torch.abs`.
   */
  abs(): Tensor { return E.abs(this); }
  /**
   * 1 / (1 + e⁻ˣ) elementwise (float tensors).
   *
   * PyTorch equivalent: `torch.sigmoid`.
   */
  sigmoid(): Tensor { return E.sigmoid(this); }
  /**
   * Hyperbolic tangent elementwise (float tensors).
   *
   * PyTorch equivalent: `torch.tanh`.
   */
  tanh(): Tensor { return E.tanh(this); }
  /**
   * max(x, 0) elementwise; the gradient at 0 is 0 and NaN stays NaN, as in PyTorch.
   *
   * PyTorch equivalent: `torch.relu`.
   */
  relu(): Tensor { return E.relu(this); }
  /**
   * xᵉ elementwise for a number exponent (float tensors; int32 only for exponent 2).
   *
   * PyTorch equivalent: `torch.pow(x, exponent)`.
   */
  pow(exponent: number): Tensor { return E.pow(this, exponent); }
  /**
   * x² elementwise, as `pow(2)`.
   *
   * PyTorch equivalent: `torch.square`.
   */
  square(): Tensor { return E.pow(this, 2); }
  /**
   * Limits every element to [min, max]; either bound may be omitted (null), not both. Float
   * tensors. The gradient passes where min <= x <= max, bounds included, as in PyTorch.
   *
   * PyTorch equivalent: `torch.clamp`.
   *
   * @example
   * ```ts
   * const y = x.clamp(0, 1);
   * const z = x.clamp(null, 6);
   * ```
   */
  clamp(min?: number | null, max?: number | null): Tensor { return E.clamp(this, min, max); }
  /**
   * Matrix product of two 2-D float tensors: [n, k] × [k, m] gives [n, m].
   *
   * PyTorch equivalent: `torch.mm`.
   */
  mm(other: Tensor): Tensor { return M.mm(this, other); }
  /**
   * Matrix product with PyTorch's rules for operands of 1 to 3 dims: a 1-D operand is a vector,
   * and a 2-D operand is broadcast over the other's batch, e.g. [b, n, k] × [k, m] gives [b, n, m].
   *
   * PyTorch equivalent: `torch.matmul`.
   *
   * @example
   * ```ts
   * const y = wg.randn(8, 2, 3).matmul(wg.randn(3, 4)); // [8, 2, 4]
   * ```
   */
  matmul(other: Tensor): Tensor { return M.matmul(this, other); }
  /**
   * Transpose of a tensor with at most 2 dims (a 0-d or 1-D tensor comes back unchanged, as a view).
   *
   * PyTorch equivalent: `torch.t`.
   */
  t(): Tensor { return S.t(this); }
  /**
   * Swaps dims `dim0` and `dim1` (negative counts from the end): a view sharing this tensor's
   * storage, as PyTorch's. matmul reads a view of the last two dims swapped in place, attention
   * a head split; other ops read a contiguous copy made once.
   *
   * PyTorch equivalent: `torch.transpose`.
   */
  transpose(dim0: number, dim1: number): Tensor { return S.transpose(this, dim0, dim1); }
  /** `reshape(8, 10)` or `reshape([8, 10])`; one size may be -1. */
  reshape(...shape: number[] | [readonly number[]]): Tensor { return S.reshape(this, S.sizesOf('reshape', shape, 'reshape(8, 10) or reshape([8, 10])')); }
  /**
   * This tensor when its storage holds it row-major, else a contiguous copy of a view
   * (`transpose`, `permute`), recorded for autograd.
   *
   * PyTorch equivalent: `torch.Tensor.contiguous`.
   */
  contiguous(): Tensor { return S.contiguous(this); }
  /**
   * Whether the storage holds this tensor row-major: false for a view made by `transpose` or
   * `permute` unless the dims it reorders have size 1 (as PyTorch decides from the strides).
   *
   * PyTorch equivalent: `torch.Tensor.is_contiguous`.
   */
  isContiguous(): boolean {
    return isRowMajor(this.shape, this.layout.strides);
  }
  /**
   * Same as `reshape` (a contiguous tensor's reshape shares storage; a view's is a copy, where
   * PyTorch's `view` would refuse): `view(8, 10)` or `view([8, 10])`; one size may be -1.
   *
   * PyTorch equivalent: `torch.Tensor.view`.
   */
  view(...shape: number[] | [readonly number[]]): Tensor { return S.reshape(this, S.sizesOf('view', shape, 'view(8, 10) or view([8, 10])')); }
  /**
   * `permute(2, 0, 1)` or `permute([2, 0, 1])`: dim i of the result is input dim dims[i]; a
   * view sharing this tensor's storage, as PyTorch's.
   */
  permute(...dims: number[] | [readonly number[]]): Tensor { return S.permute(this, S.sizesOf('permute', dims, 'permute(2, 0, 1) or permute([2, 0, 1])')); }
  /**
   * Merges dims startDim..endDim (default: all) into one; shares storage. A 0-d tensor gives shape [1].
   *
   * PyTorch equivalent: `torch.flatten`.
   */
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  /**
   * Inserts a dim of size 1 at `dim` (negative counts from the end of the result).
   *
   * PyTorch equivalent: `torch.unsqueeze`.
   */
  unsqueeze(dim: number): Tensor { return S.unsqueeze(this, dim); }
  /**
   * Removes dims of size 1: all of them, or only `dim` if it has size 1.
   *
   * PyTorch equivalent: `torch.squeeze`.
   */
  squeeze(dim?: number): Tensor { return S.squeeze(this, dim); }
  /** `expand(4, -1)` or `expand([4, -1])`; -1 keeps a size. */
  expand(...shape: number[] | [readonly number[]]): Tensor { return S.expand(this, S.sizesOf('expand', shape, 'expand(4, -1) or expand([4, -1])')); }
  /** Over all elements, one dim, or several (`sum([1, 2], true)`). */
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  /**
   * Mean over all elements, one dim, or several; `keepdim` keeps the reduced dims as size 1.
   * Float tensors only; the mean of an empty tensor is NaN, as in PyTorch.
   *
   * PyTorch equivalent: `torch.mean`.
   *
   * @example
   * ```ts
   * const m = wg.randn(4, 3).mean(0); // [3]
   * ```
   */
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  /** `max()`: the largest element; `max(dim, keepdim)`: `{ values, indices }`, also `[values, indices]`. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): R.ValuesIndices;
  max(dim?: number | null, keepdim?: boolean): Tensor | R.ValuesIndices;
  max(dim?: number | null, keepdim = false): Tensor | R.ValuesIndices { return R.max(this, dim, keepdim); }
  /**
   * `min()`: the smallest element; `min(dim, keepdim)`: `{ values, indices }`, also `[values, indices]`.
   *
   * PyTorch equivalent: `torch.min`.
   */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): R.ValuesIndices;
  min(dim?: number | null, keepdim?: boolean): Tensor | R.ValuesIndices;
  min(dim?: number | null, keepdim = false): Tensor | R.ValuesIndices { return R.min(this, dim, keepdim); }
  /** Largest values over a dim, several dims or all (values only; ties share the gradient). */
  amax(dim?: number | readonly number[] | null, keepdim = false): Tensor { return R.amax(this, dim, keepdim); }
  /**
   * Smallest values over a dim, several dims or all (values only; ties share the gradient).
   *
   * PyTorch equivalent: `torch.amin`.
   */
  amin(dim?: number | readonly number[] | null, keepdim = false): Tensor { return R.amin(this, dim, keepdim); }
  /**
   * Index (int32) of the largest value along `dim`, or in the flattened tensor when `dim` is
   * omitted. Not differentiable. The result's bounds are known on the host, so no readback.
   *
   * PyTorch equivalent: `torch.argmax`.
   *
   * @example
   * ```ts
   * const pred = logits.argmax(1); // class index per row
   * ```
   */
  argmax(dim?: number | null, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  /**
   * Index (int32) of the smallest value along `dim`, or in the flattened tensor when `dim` is omitted.
   *
   * PyTorch equivalent: `torch.argmin`.
   */
  argmin(dim?: number | null, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  /**
   * exp(x) / sum(exp(x)) along `dim`, computed stably (float tensors).
   *
   * PyTorch equivalent: `torch.softmax`.
   */
  softmax(dim: number): Tensor { return X.softmax(this, dim); }
  /**
   * log(softmax(x)) along `dim`, computed stably (float tensors).
   *
   * PyTorch equivalent: `torch.log_softmax`.
   */
  logSoftmax(dim: number): Tensor { return X.logSoftmax(this, dim); }
  // ---- joining and slicing (copies: tensors are contiguous) ----
  /** PyTorch: `Tensor.split`. Pieces of `sizeOrSizes` along `dim`, or of the listed sizes. */
  split(sizeOrSizes: number | readonly number[], dim = 0): Tensor[] { return J.split(this, sizeOrSizes, dim); }
  /** PyTorch: `Tensor.chunk`. */
  chunk(chunks: number, dim = 0): Tensor[] { return J.chunk(this, chunks, dim); }
  /** PyTorch: `Tensor.unbind`. */
  unbind(dim = 0): Tensor[] { return J.unbind(this, dim); }
  /** PyTorch: `Tensor.narrow`. */
  narrow(dim: number, start: number, length: number): Tensor { return V.narrow(this, dim, start, length); }
  /** PyTorch: `Tensor.select` (negative index counts from the end). */
  select(dim: number, index: number): Tensor { return V.select(this, dim, index); }
  /** PyTorch: `x[..., start:end:step, ...]` along `dim`, Python's clamping of bounds. */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor { return V.slice(this, dim, start, end, step); }
  /** PyTorch: `Tensor.repeat`; sizes as arguments or one array. */
  repeat(...sizes: number[] | [readonly number[]]): Tensor { return V.repeat(this, ...sizes); }
  /** PyTorch: `Tensor.flip`. */
  flip(dims: number | readonly number[]): Tensor { return V.flip(this, dims); }
  // ---- indexing (PyTorch index_select, gather, scatter_add, index_add, topk, sort) ----
  /** The slices of this tensor along `dim` at the int32 `index` (1-D); repeated indices accumulate in backward. PyTorch: `Tensor.index_select`. */
  indexSelect(dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); }
  /** out[…i…] = this[…index[…i…]…] along `dim` (int32 index of this rank). PyTorch: `Tensor.gather`. */
  gather(dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); }
  /** A copy of this tensor with `src` added at `index` along `dim` (repeated indices add up, deterministically). PyTorch: `Tensor.scatter_add`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return I.scatterAdd(this, dim, index, src); }
  /** A copy of this tensor with `alpha`·`src`'s slices added at the int32 `index` along `dim`. PyTorch: `Tensor.index_add`. */
  indexAdd(dim: number, index: Tensor, src: Tensor, opts?: I.IndexAddOptions): Tensor { return I.indexAdd(this, dim, index, src, opts); }
  /** The `k` largest (or `{ largest: false }` smallest) along `dim` as `{ values, indices }`; values differentiable. PyTorch: `Tensor.topk`. */
  topk(k: number, dim = -1, opts?: O.TopkOptions): O.SortResult { return O.topk(this, k, dim, opts); }
  /** Stable sort along `dim` → `{ values, indices }` (NaN sorts as the largest; `{ descending }`). PyTorch: `Tensor.sort`. */
  sort(dim = -1, opts?: O.SortOptions): O.SortResult { return O.sort(this, dim, opts); }

  // ---- activations, elementwise math, where (issue 11; PyTorch names in camelCase) ----
  /** GELU, x·Φ(x): exact with erf, or `{ approximate: 'tanh' }`. PyTorch: `Tensor.gelu` / `F.gelu`. */
  gelu(opts?: E.GeluOptions): Tensor { return E.gelu(this, opts); }
  /** SiLU (swish), x·σ(x). PyTorch: `F.silu`. */
  silu(): Tensor { return E.silu(this); }
  /** x where x > 0, else negativeSlope·x. PyTorch: `F.leaky_relu`. */
  leakyRelu(negativeSlope = 0.01): Tensor { return E.leakyRelu(this, negativeSlope); }
  /** x where x > 0, else alpha·(eˣ − 1). PyTorch: `F.elu`. */
  elu(alpha = 1): Tensor { return E.elu(this, alpha); }
  /** log(1 + e^(βx))/β, and x itself past `threshold`. PyTorch: `F.softplus`. */
  softplus(opts?: E.SoftplusOptions): Tensor { return E.softplus(this, opts); }
  /** log(1 + x), accurate near 0. PyTorch: `Tensor.log1p`. */
  log1p(): Tensor { return E.log1p(this); }
  /** eˣ − 1, accurate near 0. PyTorch: `Tensor.expm1`. */
  expm1(): Tensor { return E.expm1(this); }
  /** Sine (radians). PyTorch: `Tensor.sin`. */
  sin(): Tensor { return E.sin(this); }
  /** Cosine (radians). PyTorch: `Tensor.cos`. */
  cos(): Tensor { return E.cos(this); }
  /** 1/√x. PyTorch: `Tensor.rsqrt`. */
  rsqrt(): Tensor { return E.rsqrt(this); }
  /** The error function. PyTorch: `Tensor.erf`. */
  erf(): Tensor { return E.erf(this); }
  /** 1/x. PyTorch: `Tensor.reciprocal`. */
  reciprocal(): Tensor { return E.reciprocal(this); }
  /** −1, 0 or 1 (NaN and −0 give +0, as torch 1.13); gradient 0. PyTorch: `Tensor.sign`. */
  sign(): Tensor { return E.sign(this); }
  /** Rounds down; gradient 0; int32 stays int32. PyTorch: `Tensor.floor`. */
  floor(): Tensor { return E.floor(this); }
  /** Rounds up; gradient 0; int32 stays int32. PyTorch: `Tensor.ceil`. */
  ceil(): Tensor { return E.ceil(this); }
  /** Rounds half to even; gradient 0; int32 stays int32. PyTorch: `Tensor.round`. */
  round(): Tensor { return E.round(this); }
  /** 1 where the element is 0, else 0 (float32; NaN counts as true). PyTorch: `Tensor.logical_not`. */
  logicalNot(): Tensor { return E.logicalNot(this); }
  /** 1 where both are nonzero, else 0 (float32, broadcasting). PyTorch: `Tensor.logical_and`. */
  logicalAnd(other: Operand): Tensor { return B.logicalAnd(this, other); }
  /** 1 where either is nonzero, else 0 (float32, broadcasting). PyTorch: `Tensor.logical_or`. */
  logicalOr(other: Operand): Tensor { return B.logicalOr(this, other); }
  /** Elementwise maximum with broadcasting; NaN propagates; a tie splits the gradient. PyTorch: `torch.maximum`. */
  maximum(other: Operand): Tensor { return B.maximum(this, other); }
  /** Elementwise minimum with broadcasting; NaN propagates; a tie splits the gradient. PyTorch: `torch.minimum`. */
  minimum(other: Operand): Tensor { return B.minimum(this, other); }
  /** This tensor where `cond` is nonzero, else `other` (PyTorch's `x.where(cond, y)`). */
  where(cond: Tensor, other: Operand): Tensor { return W.where(cond, this, other); }
  /** `value` where `mask` (broadcast to this shape) is nonzero, else this tensor. PyTorch: `Tensor.masked_fill`. */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor { return W.maskedFill(this, mask, value); }
  /** The lower triangle (on and below diagonal `diagonal`) of the last two dims; the rest 0. PyTorch: `Tensor.tril`. */
  tril(diagonal = 0): Tensor { return W.tril(this, diagonal); }
  /** The upper triangle (on and above diagonal `diagonal`) of the last two dims; the rest 0. PyTorch: `Tensor.triu`. */
  triu(diagonal = 0): Tensor { return W.triu(this, diagonal); }

  // ---- batched matmul, statistics (src/ops/matmul.ts, src/ops/stats.ts) ----
  /** Batched product of 3-D tensors with equal batch sizes (no broadcasting). PyTorch: `Tensor.bmm`. */
  bmm(other: Tensor): Tensor { return M.bmm(this, other); }
  /** Running sum along `dim` (int32 stays int32). PyTorch: `Tensor.cumsum`. */
  cumsum(dim: number): Tensor { return ST.cumsum(this, dim); }
  /** Product of all elements, or along `dim`; the gradient is exact with zeros. PyTorch: `Tensor.prod`. */
  prod(dim?: number | null, keepdim = false): Tensor { return ST.prod(this, dim, keepdim); }
  /** Variance (all elements, or along `dim`) with `{ correction = 1, keepdim }`. PyTorch: `Tensor.var`. */
  var(dim?: number | null, opts?: ST.VarOptions): Tensor { return ST.variance(this, dim, opts); }
  /** Standard deviation, options as `var`. PyTorch: `Tensor.std`. */
  std(dim?: number | null, opts?: ST.VarOptions): Tensor { return ST.std(this, dim, opts); }
  /** log Σ exp(x) along `dim`, stable for large values. PyTorch: `Tensor.logsumexp`. */
  logsumexp(dim: number, keepdim = false): Tensor { return ST.logsumexp(this, dim, keepdim); }
  /** The p-norm (1, 2, Infinity or any positive p) of all elements or along `dim`. PyTorch: `Tensor.norm`. */
  norm(p = 2, dim?: number | null, keepdim = false): Tensor { return ST.norm(this, p, dim, keepdim); }
  /** 1 where every element is nonzero, else 0 (float32; all elements or along `dim`). PyTorch: `Tensor.all`. */
  all(dim?: number | null, keepdim = false): Tensor { return ST.all(this, dim, keepdim); }
  /** 1 where some element is nonzero, else 0 (float32; all elements or along `dim`). PyTorch: `Tensor.any`. */
  any(dim?: number | null, keepdim = false): Tensor { return ST.any(this, dim, keepdim); }


  /** shape, dtype and autograd state, for messages. */
  #describe(): string {
    const grad = this.gradFn ? `, gradFn=${this.gradFn.name}` : this.#requiresGrad ? ', requiresGrad=true' : '';
    return `shape=${fmtShape(this.shape)}, dtype=${this.dtype}${grad}`;
  }

  /**
   * PyTorch's summarised format with the values when they are already on the host (the CPU
   * backend); on the GPU the values would need a readback, which a synchronous toString
   * cannot wait for, so it shows the rest and says how to see them (`await t.print()`).
   */
  toString(): string {
    return this.#ref ? tensorString(this) : `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, disposed)`;
  }
  /** `console.log(t)` in Node shows `toString()` (the symbol is Node's, without importing node:util). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
  /** The tensor with its values, read back from the device if needed (PyTorch's repr). */
  async format(): Promise<string> {
    return tensorString(this, await this.#read('format'));
  }
  /** Prints `await t.format()` with console.log. */
  async print(): Promise<void> {
    console.log(await this.format());
  }
}

/** `t`'s values in PyTorch's format (reads back from the GPU): `console.log(await wg.format(t))`. */
export function format(t: Tensor): Promise<string> {
  if (!(t instanceof Tensor)) throw new WebgradError('format', `expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  return t.format();
}
