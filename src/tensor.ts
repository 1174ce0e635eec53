import type { Backend, Storage } from './backend/backend.js';
import { runBackward } from './autograd/engine.js';
import { isGradEnabled } from './autograd/grad-mode.js';
import type { Node } from './autograd/node.js';
import type { DType, TypedArray } from './dtype.js';
import { WebgradError, fmtShape } from './errors.js';
import { type HostRange, StorageRef, trackTensor, untrackTensor } from './memory.js';
import type { Shape } from './shape.js';
import { numelOf } from './shape.js';
import * as B from './ops/binary.js';
import * as E from './ops/elementwise.js';
import * as M from './ops/matmul.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape-ops.js';
import * as X from './ops/softmax.js';
import { checkSameBackend, int32Bounds } from './ops/util.js';
import * as I from './ops/indexing.js';
import * as O from './ops/sort.js';

export type NestedArray = number | NestedArray[];
type Operand = Tensor | number;

export interface BackwardOptions {
  /** Keep the graph's saved tensors so backward can run through it again. */
  retainGraph?: boolean;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Accumulated gradient: set on leaves that require grad, and on `retainGrad()` tensors. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autograd. */
  gradFn: Node | null = null;
  retainsGrad = false;
  #ref: StorageRef | null;
  #requiresGrad = false;

  /** @internal Ops create tensors through `fromStorage`; users through `tensor()`, `zeros()`... */
  constructor(ref: StorageRef, shape: Shape, dtype: DType) {
    this.#ref = ref;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    trackTensor(this, ref);
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

  /** @internal */
  get storage(): Storage {
    return this.#live('tensor').storage;
  }
  /** @internal */
  get backend(): Backend {
    return this.#live('tensor').backend;
  }
  /** Counts in-place writes to this tensor's storage (shared with its views). */
  get version(): number {
    return this.#ref?.version ?? -1;
  }
  get numel(): number {
    return numelOf(this.shape);
  }
  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
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
    this.#live('markModified').version++;
  }
  /** @internal Ops that know their result's bounds record them here. */
  setHostRange(range: HostRange | null): this {
    this.#live('hostRange').hostRange = range;
    return this;
  }

  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  set requiresGrad(value: boolean) {
    if (!value && this.gradFn) {
      throw new WebgradError('requiresGrad', 'you can only change requiresGrad of leaf tensors; use detach() on a computed tensor');
    }
    if (value && this.dtype === 'int32') {
      throw new WebgradError('requiresGrad', 'only floating point tensors can require gradients (got int32)');
    }
    this.#requiresGrad = value;
  }
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
    this.#ref.decref();
    this.#ref = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- readback: the only places that wait for the device ----
  async toArray(): Promise<TypedArray> {
    const ref = this.#live('toArray');
    return ref.backend.read(ref.storage);
  }
  async item(): Promise<number> {
    if (this.numel !== 1) {
      throw new WebgradError('item', `only a tensor with one element can be converted to a number, got shape ${fmtShape(this.shape)}`);
    }
    return (await this.toArray())[0];
  }
  async tolist(): Promise<NestedArray> {
    const flat = await this.toArray();
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return flat[offset];
      const stride = numelOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  // ---- autograd ----
  backward(gradient?: Tensor, opts: BackwardOptions = {}): void {
    this.#live('backward');
    runBackward(this, gradient, opts.retainGraph ?? false);
  }
  retainGrad(): this {
    if (!this.#requiresGrad) throw new WebgradError('retainGrad', "can't retain grad on a tensor that doesn't require grad");
    if (this.gradFn) this.retainsGrad = true;
    return this;
  }
  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return this.shareAs(this.shape, 'detach');
  }
  /** @internal A new tensor of `shape` (same element count) over this one's storage. */
  shareAs(shape: Shape, op = 'reshape'): Tensor {
    const ref = this.#live(op);
    ref.refs++;
    return new Tensor(ref, shape, this.dtype);
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
    if (fresh.refs === 1 && fresh !== ref) {
      // Take the new storage over instead of copying it: views of this tensor share `ref`.
      untrackTensor(result);
      result.#ref = null;
      ref.replace(fresh.storage);
    } else {
      ref.backend.copy(fresh.storage, ref.storage);
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
      throw new WebgradError(op, `internal: cannot assign ${result.toString()} to ${this.toString()}`);
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
  add_(other: Operand, alpha = 1): this {
    return this.#inPlace('add_', other, (a, b) => B.add(a, b, alpha), alpha);
  }
  sub_(other: Operand, alpha = 1): this {
    return this.#inPlace('sub_', other, (a, b) => B.sub(a, b, alpha), alpha);
  }
  mul_(other: Operand): this {
    return this.#inPlace('mul_', other, B.mul);
  }
  div_(other: Operand): this {
    return this.#inPlace('div_', other, B.div);
  }
  fill_(value: number): this {
    const ref = this.#checkInPlace('fill_');
    if (typeof value !== 'number') throw new WebgradError('fill_', `value must be a number, got ${typeof value}`);
    const range = this.dtype === 'int32' ? int32Bounds('fill_', [value]) : Number.isNaN(value) ? null : { min: value, max: value };
    ref.backend.fill(ref.storage, value);
    ref.version++;
    ref.hostRange = range;
    return this;
  }
  zero_(): this {
    return this.fill_(0);
  }
  /** Copies `src` (broadcast to this shape, cast to this dtype) into this tensor. */
  copy_(src: Tensor): this {
    this.#checkInPlace('copy_', src);
    checkSameBackend('copy_', this, src);
    return this.#assign('copy_', S.expandTo('copy_', src, this.shape, this.dtype));
  }

  clone(): Tensor {
    return E.clone(this);
  }
  to(dtype: DType): Tensor {
    return E.cast(this, dtype);
  }

  // ---- ops (method forms of the functions in src/ops/) ----
  add(other: Operand, alpha = 1): Tensor { return B.add(this, other, alpha); }
  sub(other: Operand, alpha = 1): Tensor { return B.sub(this, other, alpha); }
  mul(other: Operand): Tensor { return B.mul(this, other); }
  div(other: Operand): Tensor { return B.div(this, other); }
  eq(other: Operand): Tensor { return B.compare('eq', this, other); }
  ne(other: Operand): Tensor { return B.compare('ne', this, other); }
  lt(other: Operand): Tensor { return B.compare('lt', this, other); }
  le(other: Operand): Tensor { return B.compare('le', this, other); }
  gt(other: Operand): Tensor { return B.compare('gt', this, other); }
  ge(other: Operand): Tensor { return B.compare('ge', this, other); }
  neg(): Tensor { return E.neg(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  abs(): Tensor { return E.abs(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  tanh(): Tensor { return E.tanh(this); }
  relu(): Tensor { return E.relu(this); }
  pow(exponent: number): Tensor { return E.pow(this, exponent); }
  square(): Tensor { return E.pow(this, 2); }
  clamp(min?: number | null, max?: number | null): Tensor { return E.clamp(this, min, max); }
  mm(other: Tensor): Tensor { return M.mm(this, other); }
  matmul(other: Tensor): Tensor { return M.matmul(this, other); }
  t(): Tensor { return S.t(this); }
  transpose(dim0: number, dim1: number): Tensor { return S.transpose(this, dim0, dim1); }
  reshape(shape: readonly number[]): Tensor { return S.reshape(this, shape); }
  view(shape: readonly number[]): Tensor { return S.reshape(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  unsqueeze(dim: number): Tensor { return S.unsqueeze(this, dim); }
  squeeze(dim?: number): Tensor { return S.squeeze(this, dim); }
  expand(shape: readonly number[]): Tensor { return S.expand(this, shape); }
  sum(dim?: number | null, keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  mean(dim?: number | null, keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  max(dim?: number | null, keepdim = false): Tensor { return R.max(this, dim, keepdim); }
  min(dim?: number | null, keepdim = false): Tensor { return R.min(this, dim, keepdim); }
  argmax(dim?: number | null, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  argmin(dim?: number | null, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  softmax(dim: number): Tensor { return X.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return X.logSoftmax(this, dim); }
  // ---- indexing (PyTorch index_select, gather, scatter_add, index_add, topk, sort) ----
  indexSelect(dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return I.scatterAdd(this, dim, index, src); }
  indexAdd(dim: number, index: Tensor, src: Tensor, opts?: I.IndexAddOptions): Tensor { return I.indexAdd(this, dim, index, src, opts); }
  topk(k: number, dim = -1, opts?: O.TopkOptions): O.SortResult { return O.topk(this, k, dim, opts); }
  sort(dim = -1, opts?: O.SortOptions): O.SortResult { return O.sort(this, dim, opts); }

  toString(): string {
    const grad = this.gradFn ? `, gradFn=${this.gradFn.name}` : this.#requiresGrad ? ', requiresGrad=true' : '';
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}${grad}${this.#ref ? '' : ', disposed'})`;
  }
}
