import type { DType, TypedArray } from '../dtype.js';
import type { BinaryOp, UnaryOp } from '../kernels/index.js';
import type { MatrixLayout, ReduceLayout, Shape } from '../shape.js';

/**
 * The contract every backend implements: storage plus kernels. Ops (src/ops/) do all argument
 * checking and shape arithmetic before calling in, so a kernel may assume valid arguments.
 *
 * Every tensor is contiguous row-major. Kernels return fresh storage unless they say "in place".
 * A kernel never keeps a reference to its inputs past the call: the caller may release them
 * right after (a GPU backend must defer reuse of a released buffer until work using it is
 * submitted, which is its own business).
 */
export interface Storage {
  readonly dtype: DType;
  readonly numel: number;
}

// The elementwise ops are declared by their tables (src/kernels/), which every backend reads.
export type { UnaryOp } from '../kernels/unary.js';
export type { BinaryOp } from '../kernels/binary.js';

export type ReduceOp = 'sum' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

/**
 * Fused scaled dot-product attention over `batch` independent matrices (every batch dim of the
 * op flattened): q [batch, l, e], k [batch, s, e], v [batch, s, ev], one dtype, each read
 * through its `layouts` entry (rows contiguous; a head split seen through a transpose is read in
 * place). The output is written in the `o` layout; dout is read in `dout`'s, and dq, dk and dv
 * are written in the layouts of q, k and v.
 * Scores are scale·q·kᵀ plus the additive mask (a boolean mask is turned into 0 / -Infinity by
 * the op), with j > i masked out when `causal` (top-left aligned). A row whose scores are all
 * -Infinity gets output 0 and logsumexp -Infinity (PyTorch >= 2.5's math backend).
 */
export interface AttentionArgs {
  readonly batch: number;
  readonly l: number;
  readonly s: number;
  readonly e: number;
  readonly ev: number;
  readonly scale: number;
  readonly causal: boolean;
  /** Elements between consecutive [l, s] masks: l·s, or 0 for one mask shared by every matrix. */
  readonly maskBatchStride: number;
  readonly layouts: AttentionLayouts;
}

/** Where each operand's matrices lie; each spans exactly its numel elements of its buffer. */
export interface AttentionLayouts {
  readonly q: MatrixLayout;
  readonly k: MatrixLayout;
  readonly v: MatrixLayout;
  /** The output (written forward, read backward). */
  readonly o: MatrixLayout;
  /** The output's gradient (backward only). */
  readonly dout: MatrixLayout;
}

/** The forward's output [batch, l, ev] and each row's logsumexp [batch, l] (all backward keeps). */
export interface AttentionResult {
  readonly out: Storage;
  readonly lse: Storage;
}

/** LayerNorm's output and the per-row statistics its backward reads. */
export interface LayerNormResult {
  /** y [rows, cols]. */
  readonly y: Storage;
  /** [rows]: each row's mean (float32 on WebGPU, the input's dtype on the CPU). */
  readonly mean: Storage;
  /** [rows]: each row's 1/√(var + eps), var biased and computed from the centred values. */
  readonly rstd: Storage;
}

/** LayerNorm's gradients: dx [rows, cols]; dweight and dbias [cols] (null when not asked for). */
export interface LayerNormGrads {
  readonly dx: Storage;
  readonly dweight: Storage | null;
  readonly dbias: Storage | null;
}

/** The three input gradients of attention, shaped like q, k and v. */
export interface AttentionGrads {
  readonly dq: Storage;
  readonly dk: Storage;
  readonly dv: Storage;
}

export interface MatmulArgs {
  /** out[b] = op(A[b]) · op(B[b]), out is [batch, m, n] contiguous. */
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** A is stored [k, m] (read transposed) instead of [m, k]; likewise B as [n, k]. */
  readonly transA: boolean;
  readonly transB: boolean;
  /** Elements between consecutive batch matrices; 0 broadcasts one matrix to every batch. */
  readonly aBatchStride: number;
  readonly bBatchStride: number;
  /**
   * A second batch level for broadcasts one stride cannot express ([B,1] against [1,H]): batch
   * index t is (t / inner, t % inner), A's matrix at (t / inner)·aBatchStride + (t % inner)·
   * aInnerStride (likewise B). Omitted: inner = 1.
   */
  readonly inner?: number;
  readonly aInnerStride?: number;
  readonly bInnerStride?: number;
}

/** A running sum or product (cumsum; prod's gradient reads both exclusive directions). */
export interface ScanOptions {
  readonly op: 'sum' | 'prod';
  /** Element j gets the combination of the elements before it (the first gets the identity). */
  readonly exclusive: boolean;
  /** Scans from the end of the axis to its start. */
  readonly reverse: boolean;
}

/** state: [momentumBuffer] when momentum is used, else []. */
export interface SgdArgs {
  readonly kind: 'sgd';
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  /** First step with momentum: the buffer is set to the gradient (PyTorch), not blended. */
  readonly firstStep: boolean;
}

/** state: [expAvg, expAvgSq]. Adam's weight decay is L2, added to the gradient. */
export interface AdamArgs {
  readonly kind: 'adam';
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** 1-based step count, for bias correction. */
  readonly step: number;
}

/**
 * One parameter's fused optimizer step, by kind. Per-step scalars (bias corrections, the
 * decayed lr) come from the optimizer, computed on the host in float64 as torch.optim does,
 * so the CPU and WebGPU kernels only do the elementwise part.
 */
export type OptimizerStepArgs = SgdArgs | AdamArgs | AdamWArgs | RmspropArgs | AdagradArgs | AdadeltaArgs | AdamaxArgs | NadamArgs;
export type OptimizerKind = OptimizerStepArgs['kind'];

/**
 * One parameter's update for `Backend.optimizerStep`, in place on `param` and `state` (the
 * storages its kind's args type lists, in that order). All of them must be distinct storages.
 */
export interface OptimizerUpdate {
  readonly param: Storage;
  readonly grad: Storage;
  readonly state: readonly Storage[];
  readonly args: OptimizerStepArgs;
}

/** state: [expAvg, expAvgSq] (+ maxExpAvgSq with amsgrad). */
export interface AdamWArgs {
  readonly kind: 'adamw';
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly amsgrad: boolean;
  /** lr / (1 - beta1^step) and sqrt(1 - beta2^step). */
  readonly stepSize: number;
  readonly bc2Sqrt: number;
}

/** state: [squareAvg] (+ momentumBuffer when momentum > 0) (+ gradAvg when centered). */
export interface RmspropArgs {
  readonly kind: 'rmsprop';
  readonly lr: number;
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
}

/** state: [sum]. `clr` = lr / (1 + (step - 1) * lrDecay). */
export interface AdagradArgs {
  readonly kind: 'adagrad';
  readonly clr: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** state: [squareAvg, accDelta]. */
export interface AdadeltaArgs {
  readonly kind: 'adadelta';
  readonly lr: number;
  readonly rho: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** state: [expAvg, expInf]. `clr` = lr / (1 - beta1^step). */
export interface AdamaxArgs {
  readonly kind: 'adamax';
  readonly clr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/**
 * state: [expAvg, expAvgSq]. p -= gradStep * g / denom, then p -= avgStep * m / denom, with
 * denom = sqrt(v / biasCorrection2) + eps (two roundings of p, as torch's two addcdiv_).
 */
export interface NadamArgs {
  readonly kind: 'nadam';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly biasCorrection2: number;
  readonly gradStep: number;
  readonly avgStep: number;
}

/** Where a strided region lies in a contiguous storage: element offset and per-dim strides. */
export interface StridedRegion {
  /** Elements between neighbours along each dim. */
  readonly strides: readonly number[];
  /** The element where the region starts. */
  readonly offset: number;
}

/**
 * out[c] = x[Σ_{d≠dim} c_d·xStrides[d] + idx[Σ_d c_d·idxStrides[d]]·xStrides[dim]] for every
 * coordinate c of the contiguous `outShape`: indexSelect (idxStrides 1 on dim, 0 elsewhere)
 * and gather (idx contiguous in outShape) are both this one kernel.
 */
export interface GatherArgs {
  readonly outShape: Shape;
  readonly xStrides: readonly number[];
  readonly idxStrides: readonly number[];
  readonly dim: number;
  /** x's size along dim: the valid index range is [0, dimSize). */
  readonly dimSize: number;
}

/**
 * 'index' (indexAdd, indexSelect's backward): out [outer, size, inner], src [outer, n, inner],
 * idx [n]: out[o, idx[j], i] += src[o, j, i].
 * 'gather' (scatterAdd, gather's backward): src and idx of shape idxShape (each dim <= outShape's,
 * contiguous), out contiguous outShape: out[c with c_dim := idx[c]] += src[c].
 */
export type ScatterArgs =
  | { readonly mode: 'index'; readonly outer: number; readonly size: number; readonly inner: number; readonly n: number }
  | { readonly mode: 'gather'; readonly outShape: Shape; readonly idxShape: Shape; readonly dim: number };

/**
 * A 2-D convolution's geometry (PyTorch's conv2d, NCHW, cross-correlation): x [batch, inC, inH,
 * inW], weight [outC, inC/groups, kH, kW], y [batch, outC, outH, outW] with
 * y[n, o, i, j] = Σ_{c, a, b} w[o, c, a, b]·x[n, g·inC/groups + c, i·strideH - padH + a·dilH,
 * j·strideW - padW + b·dilW] (g = o's group; taps outside x read 0). outH/outW are given, not
 * derived, so convTranspose2d's outputPadding is one more row the input gradient fills.
 * conv1d is this with inH = kH = 1.
 */
export interface ConvArgs {
  readonly batch: number;
  readonly inC: number;
  readonly inH: number;
  readonly inW: number;
  readonly outC: number;
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilH: number;
  readonly dilW: number;
  readonly groups: number;
}

/**
 * Which backend `wg.init()` chose and, on WebGPU, the adapter and device limits it got (from `wg.backendInfo()`).
 */
export interface BackendInfo {
  /** The backend in use. */
  readonly name: 'cpu' | 'webgpu';
  /** The WebGPU adapter's identification as the browser or Dawn reports it (absent on the CPU backend). */
  readonly adapter?: {
    /** The adapter's vendor, as GPUAdapterInfo reports it (e.g. 'nvidia', 'mesa'). */
    vendor: string;
    /** Its architecture (e.g. 'hopper', 'llvmpipe'). */
    architecture: string;
    /** Its device name, where the implementation tells. */
    device: string;
    /** A human-readable description, where the implementation tells. */
    description: string;
  };
  /** The device's WebGPU limits by name, e.g. `maxStorageBufferBindingSize` (absent on the CPU backend). */
  readonly limits?: Record<string, number>;
  /** WebGPU: why the device was lost, or null while it works (absent on the CPU backend). */
  readonly lost?: DeviceLostInfo | null;
}

/** Why a WebGPU device was lost, as its `device.lost` promise reported it. */
export interface DeviceLostInfo {
  /** GPUDeviceLostReason: 'destroyed' (destroy() by someone other than webgrad) or 'unknown' (a driver reset, a crash, the browser reclaiming the GPU). */
  readonly reason: string;
  /** The implementation's message. */
  readonly message: string;
}

export interface MemoryInfo {
  /** Bytes held by live storages. */
  readonly bytesInUse: number;
  /** Bytes kept in the pool for reuse. */
  readonly poolBytes: number;
  /** Bytes compiled steps' memory plans keep for their next call (buffers no tensor holds now). */
  readonly planBytes: number;
}

/**
 * The memory plan of a compiled step (WebGPU: src/backend/webgpu/step-plan.ts): a static buffer
 * for every allocation of a call, by position, shared by allocations that do not live at once.
 */
export interface StepPlan {
  /** Bytes of the plan's buffers, held by tensors or not: the static assignment's footprint. */
  readonly bytes: number;
  /** Allocations of the last call that missed their planned buffer. */
  readonly replanned: number;
  /** Gives the plan's buffers back (free ones now, held ones when their tensor is released). */
  dispose(): void;
}

/** GPU (or CPU) time spent in one kernel during `wg.profile()`, summed over its launches. */
export interface KernelTime {
  /** The kernel's name (the op, and its variant where several exist). */
  readonly kernel: string;
  /** How many times it was launched. */
  readonly count: number;
  /** Total time over those launches, in milliseconds. */
  readonly ms: number;
}

export interface Backend extends PoolBackend {
  readonly name: 'cpu' | 'webgpu';
  info(): BackendInfo;
  /** False for float64 on WebGPU; ops turn that into a clear error before calling in. */
  supports(dtype: DType): boolean;

  // ---- storage ----
  /** Copies `data` (its dtype must match) into new storage. */
  upload(data: TypedArray, dtype: DType): Storage;
  full(numel: number, dtype: DType, value: number): Storage;
  /** Resolves with a copy of the contents; the only place a GPU backend waits. */
  read(s: Storage): Promise<TypedArray>;
  release(s: Storage): void;
  memory(): MemoryInfo;
  /**
   * The most bytes of storage needed at once since the mark was last set: live storages
   * (`memory().bytesInUse`) plus, on WebGPU, released buffers that recorded but unsubmitted work
   * still uses (the pool cannot hand them out yet). With `next`, the mark then restarts at
   * max(next, what is needed now). Compiled steps report each call's peak with it.
   */
  peakBytes(next?: number): number;
  /** Frees the memory cached for reuse (the buffer pool); storage of live tensors is kept. */
  emptyCache(): void;
  /**
   * The values themselves when the storage is host memory (the CPU backend), else null: lets
   * an op check data it can see without a readback (crossEntropy's targets). Never copied.
   */
  hostData(s: Storage): TypedArray | null;

  // ---- data movement ----
  /** In place: dst <- src, same numel and dtype. */
  copy(src: Storage, dst: Storage): void;
  /** In place: every element of dst <- value. */
  fill(dst: Storage, value: number): void;
  /** Numeric conversion (float -> int truncates toward zero, like PyTorch). */
  cast(x: Storage, dtype: DType): Storage;
  /**
   * out[i0..ir] = x[offset + Σ i_d * strides[d]] for the contiguous `outShape`: transpose
   * (permuted strides), expand (stride 0) and slicing (offset) are all this one gather.
   */
  strided(x: Storage, outShape: Shape, strides: readonly number[], offset: number): Storage;

  // ---- elementwise ----
  /** `param` is the exponent for 'pow' and ignored otherwise. Same dtype out (float only). */
  unary(op: UnaryOp, x: Storage, param: number): Storage;
  /**
   * dx for y = op(x) given dy. Each op reads what its derivative needs: exp, sqrt, sigmoid,
   * tanh use y; log, relu, abs, pow use x; neg neither. relu'(0) = 0 (and relu passes dy at NaN x, as PyTorch), abs'(0) = 0.
   */
  unaryGrad(op: UnaryOp, x: Storage, y: Storage, dy: Storage, param: number): Storage;
  /** min/max may be ±Infinity for "no bound". NaN in x stays NaN. */
  clamp(x: Storage, min: number, max: number): Storage;
  /** dy where min <= x <= max (inclusive, so the bounds pass the gradient), else 0; NaN x gives 0. */
  clampGrad(x: Storage, dy: Storage, min: number, max: number): Storage;
  /** Broadcasting through strides (0 on broadcast dims) into the contiguous `outShape`. */
  binary(
    op: BinaryOp,
    a: Storage,
    b: Storage,
    outShape: Shape,
    aStrides: readonly number[],
    bStrides: readonly number[],
    outDtype: DType,
  ): Storage;
  /** Sums x (shape xShape) down to outShape, which has xShape's rank with 1 on summed dims. */
  sumTo(x: Storage, xShape: Shape, outShape: Shape): Storage;

  // ---- reductions, along the middle axis of [outer, size, inner]; out has outer*inner ----
  /** max/min propagate NaN; sum of size 0 is 0; max/min of size 0 are never requested. */
  reduce(op: ReduceOp, x: Storage, layout: ReduceLayout): Storage;
  /** int32 index of the first extreme element; NaN counts as the extreme (PyTorch). */
  argReduce(op: ArgReduceOp, x: Storage, layout: ReduceLayout): Storage;
  /** Backward of a reduction that picked one index: dx = 0 except dx[o, idx[o,i], i] = dy[o,i]. */
  scatterIndex(dy: Storage, idx: Storage, layout: ReduceLayout): Storage;

  // ---- matmul ----
  matmul(a: Storage, b: Storage, args: MatmulArgs): Storage;

  // ---- fused softmax family, along the middle axis ----
  /** softmax or (log=true) logSoftmax, numerically stable (max subtracted). */
  softmax(x: Storage, layout: ReduceLayout, log: boolean): Storage;
  /** From the saved output y: softmax dx = y*(dy - Σdy*y); logSoftmax dx = dy - exp(y)*Σdy. */
  softmaxGrad(y: Storage, dy: Storage, layout: ReduceLayout, log: boolean): Storage;
  /** Per-row loss logsumexp(x) - x[target] for logits [rows, classes], int32 targets [rows]. */
  crossEntropy(logits: Storage, targets: Storage, rows: number, classes: number): Storage;
  /** dlogits = (softmax(x) - onehot(target)) * dloss[row]. */
  crossEntropyGrad(logits: Storage, targets: Storage, dloss: Storage, rows: number, classes: number): Storage;

  // ---- fused layer norm, over the contiguous rows of x viewed as [rows, cols] ----
  /**
   * y = (x - mean)·rstd·weight + bias per row (null weight 1, null bias 0), mean and biased
   * variance two-pass (from the centred values), rstd = 1/√(var + eps). NaN or Inf in a row
   * makes the row NaN, as the composed op does.
   */
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number, eps: number): LayerNormResult;
  /**
   * From the saved mean and rstd, x̂ = (x - mean)·rstd and g = dy·weight:
   * dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) per row; dweight = Σ_rows dy·x̂ and dbias = Σ_rows dy
   * when `paramGrads` (else null).
   */
  layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, rows: number, cols: number,
    paramGrads: boolean): LayerNormGrads;

  // ---- optimizers, in place on param (and state) ----
  /**
   * Applies every update (torch.optim's SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax,
   * NAdam), with the result of applying them one after another. Every update is checked before
   * any runs, so a refused call changes nothing. WebGPU runs updates of one kind and variant
   * several to a dispatch (multi-tensor, as torch's `foreach=True`); the CPU loops over them.
   */
  optimizerStep(updates: readonly OptimizerUpdate[]): void;
  /**
   * In place: every target *= factor's one element (torch's `_foreach_mul_` with a 0-d tensor,
   * as clip_grad_norm_ scales the gradients), the same float multiply as `binary('mul', ...)`.
   * Targets and factor share one float dtype; factor has one element and is none of the
   * targets. A storage listed twice is scaled twice, as by one call per target. Everything is
   * checked before anything runs. WebGPU scales several targets per dispatch.
   */
  scaleInPlace(targets: readonly Storage[], factor: Storage): void;

  // ---- where (issue 11) ----
  /**
   * out = cond ? a : b into the contiguous `outShape`, each operand read through its broadcast
   * strides (0 on broadcast dims). cond may be any dtype (nonzero, NaN included, is true); a and
   * b have the same dtype, which the output takes.
   */
  where(
    cond: Storage,
    a: Storage,
    b: Storage,
    outShape: Shape,
    cStrides: readonly number[],
    aStrides: readonly number[],
    bStrides: readonly number[],
  ): Storage;

  /**
   * Starts timing every kernel launched from now on, for `wg.profile()`; `stopProfile` ends
   * it and resolves with the totals, most time first. Throws a WebgradError where the device
   * cannot time kernels (WebGPU without 'timestamp-query').
   */
  startProfile(): void;
  stopProfile(): Promise<KernelTime[]>;

  // ---- joining and slicing ----
  /**
   * In place on dst: for every index i of `shape`,
   * dst[to.offset + Σ i_d * to.strides[d]] = src[from.offset + Σ i_d * from.strides[d]].
   * The write half of `strided`: cat writes each input into its block of the output, the
   * backward of slice/select/narrow writes the gradient into zeros, pad writes the input inside
   * the padding. src and dst are different storages of one dtype; `to` names each dst element
   * at most once (no stride 0 on a dim longer than 1).
   */
  stridedScatter(src: Storage, dst: Storage, shape: Shape, from: StridedRegion, to: StridedRegion): void;
  /**
   * cat's kernel: `pieces` (one dtype) are contiguous [rows, widths[k]] matrices; the result is
   * the contiguous [rows, Σ widths] matrix whose rows are the pieces' rows side by side (a cat
   * along dim d: rows = the product of the dims before d, widths[k] = piece k's size along d
   * times the product of the dims after it). At least one piece; a width may be 0.
   */
  catRows(pieces: readonly Storage[], rows: number, widths: readonly number[]): Storage;
  /**
   * cat's backward, the inverse of catRows: from the contiguous [rows, width] `whole`, the
   * [rows, part.width] block starting at column part.offset of each part, as contiguous storage.
   */
  splitRows(whole: Storage, rows: number, width: number, parts: readonly { readonly offset: number; readonly width: number }[]): Storage[];
  /**
   * Fresh storage whose contents are unspecified (on WebGPU: whatever a pooled buffer held).
   * Only for a caller that writes every element before anything reads it (cat: its inputs tile
   * the output), saving the clear that `full(n, dtype, 0)` costs.
   */
  empty(numel: number, dtype: DType): Storage;
  // ---- scans ----
  /** Running sum or product along the middle axis of [outer, size, inner], same shape and dtype. */
  scan(x: Storage, layout: ReduceLayout, opts: ScanOptions): Storage;
  // ---- indexing (gather, scatter-add, sort) ----
  /** Index-based gather: see GatherArgs. int32 `idx`; an index outside [0, dimSize) reads 0. */
  gather(x: Storage, idx: Storage, args: GatherArgs): Storage;
  /**
   * out = base (or zeros) with src added at indexed positions (ScatterArgs); contributions to
   * one element are summed in source order, deterministically; out-of-range indices are skipped.
   */
  scatterAdd(base: Storage | null, src: Storage, idx: Storage, args: ScatterArgs): Storage;
  /**
   * int32 [outer, k, inner]: the positions along the middle axis of the first k elements of
   * each line in stable sorted order (ascending, or descending); NaN counts as the largest.
   */
  sortIndices(x: Storage, layout: ReduceLayout, k: number, descending: boolean): Storage;

  // ---- convolution (ConvArgs): forward and its two gradients; convTranspose2d reuses them ----
  /** y = conv2d(x, w) (+ bias [outC] when given), [batch, outC, outH, outW]. */
  conv2d(x: Storage, w: Storage, bias: Storage | null, args: ConvArgs): Storage;
  /** dx [batch, inC, inH, inW] of conv2d from dy [batch, outC, outH, outW] (convTranspose2d's forward). */
  conv2dInputGrad(dy: Storage, w: Storage, args: ConvArgs): Storage;
  /** dw [outC, inC/groups, kH, kW] of conv2d from x and dy. */
  conv2dWeightGrad(x: Storage, dy: Storage, args: ConvArgs): Storage;
  // ---- fused attention ----
  /**
   * Whether `attention` takes float tensors of `dtype` with head dims e (q, k) and ev (v):
   * the WebGPU kernel keeps a row of each in registers, so it stops at 128.
   */
  attentionFits(dtype: DType, e: number, ev: number): boolean;
  /**
   * softmax(scale·q·kᵀ + mask)·v without materialising the [l, s] scores (AttentionArgs);
   * `mask` is an additive float mask of the inputs' dtype ([l, s] per matrix) or null.
   */
  attention(q: Storage, k: Storage, v: Storage, mask: Storage | null, args: AttentionArgs): AttentionResult;
  /**
   * The gradients of `attention` for the output gradient dout, recomputing the probabilities
   * from q, k and the saved logsumexp (no [l, s] matrix is kept); deterministic.
   */
  attentionBackward(q: Storage, k: Storage, v: Storage, mask: Storage | null, out: Storage, lse: Storage, dout: Storage,
    args: AttentionArgs): AttentionGrads;

  /** Submit whatever is recorded (no wait). The CPU backend has nothing to do. */
  flush(): void;
  /**
   * Turns the GPU-side work of a compiled step (src/compile.ts) on or off and returns the
   * previous setting: while on, the WebGPU backend runs chains of float32 elementwise ops as
   * generated kernels (chain.ts); at every call it records (without submitting) what is held,
   * so work before and after a switch is counted apart. The CPU backend runs every op as it
   * comes either way.
   */
  compiledMode(on: boolean): boolean;
  /** GPU dispatches recorded so far (the CPU backend has none: 0); compiled steps report them. */
  dispatchCount(): number;
  /**
   * Runs the allocations from here to `endPlannedCall()` through a compiled step's memory plan
   * (`plan`, or a new one when null or another backend's) and records them as one submit;
   * returns the plan. The CPU backend has no plan: null.
   */
  beginPlannedCall(plan: StepPlan | null): StepPlan | null;
  endPlannedCall(): void;
  /** Release the device; the backend is unusable afterwards. */
  destroy(): void;
}

// ---- pooling and batch norm (issue 12) ----

/**
 * One 2-D pooling window grid over `planes` planes of [inH, inW] (N·C planes; 1-D pooling is
 * inH = outH = 1 with a 1-row window), out [planes, outH, outW]. Window (oh, ow) covers rows
 * oh·sH - pH + i·dH (i < kH), likewise columns; positions outside the input are padding.
 */
export interface PoolArgs {
  readonly planes: number;
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly sH: number;
  readonly sW: number;
  readonly pH: number;
  readonly pW: number;
  readonly dH: number;
  readonly dW: number;
}

/**
 * Average pooling (PyTorch's avg_pool2d; dilation 1) or, `adaptive`, adaptive average pooling
 * (window oh = [⌊oh·inH/outH⌋, ⌈(oh+1)·inH/outH⌉); k, s, p ignored). `divisor` (nonzero) overrides
 * the window size; else padding counts when `countIncludePad` (window clipped to the padded
 * input), otherwise only the input positions do.
 */
export interface AvgPoolArgs extends PoolArgs {
  readonly adaptive: boolean;
  readonly countIncludePad: boolean;
  readonly divisor: number;
}

/** Batch norm's channel layout: x seen as [outer = N, size = C, inner = H·W (or L, or 1)]. */
export type ChannelLayout = ReduceLayout;

export interface PoolBackend {
  /**
   * Max pooling: [values, int32 indices (null unless `indices`: only a backward reads them)],
   * each [planes, outH, outW]; an index is h·inW + w in its plane. Per window the first largest element in row-major order wins, except that NaN
   * beats everything and a later NaN beats an earlier one (PyTorch CPU's `val > max || isnan`);
   * a window without input elements gives -Infinity at its first in-range-clamped position.
   */
  maxPool(x: Storage, args: PoolArgs, indices: boolean): [Storage, Storage | null];
  /**
   * dx [planes, inH, inW]: each input element sums dy over the windows whose index names it,
   * in output order (PyTorch's scatter order), with no atomics.
   */
  maxPoolGrad(dy: Storage, idx: Storage, args: PoolArgs): Storage;
  /** Average pooling (AvgPoolArgs), out [planes, outH, outW]. */
  avgPool(x: Storage, args: AvgPoolArgs): Storage;
  /** dx [planes, inH, inW]: each input element sums dy / divisor over the windows covering it. */
  avgPoolGrad(dy: Storage, args: AvgPoolArgs): Storage;
  /** [2, C]: each channel's mean and biased variance over its N·inner elements (two-pass). */
  batchNormStats(x: Storage, layout: ChannelLayout): Storage;
  /** y = (x - mean)/√(var + eps)·weight + bias per channel (null weight 1, null bias 0). */
  batchNormForward(x: Storage, mean: Storage, variance: Storage, weight: Storage | null, bias: Storage | null,
    layout: ChannelLayout, eps: number): Storage;
  /** [2, C]: each channel's Σdy and Σdy·x̂, x̂ = (x - mean)/√(var + eps) (bias and weight gradients). */
  batchNormGradSums(x: Storage, dy: Storage, mean: Storage, variance: Storage, layout: ChannelLayout, eps: number): Storage;
  /**
   * dx. With `sums` (training: the statistics came from x) the closed form
   * w/σ·(dy - Σdy/n - x̂·Σdy·x̂/n), n = outer·inner; with null (eval: constant statistics) w/σ·dy.
   */
  batchNormInputGrad(x: Storage, dy: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    sums: Storage | null, layout: ChannelLayout, eps: number): Storage;
}
