// Tensors and modules are Disposable (`using t = ...`); this keeps Symbol.dispose typed for users
// whose `lib` stops at ES2022 without @types/node (a browser project), instead of a type error
// inside our .d.ts files.
/// <reference lib="esnext.disposable" preserve="true" />
/**
 * webgrad (the npm package `webgrad-gpu`): tensors, autograd and small neural networks on
 * WebGPU, with PyTorch's names in camelCase. Import it as `import * as wg from 'webgrad-gpu'`.
 *
 * @packageDocumentation
 */
// The public surface of webgrad: re-exports only.
export { Tensor, format, type NestedArray, type BackwardOptions } from './tensor.js';
export { tensor, zeros, ones, full, randn, rand, arange, eye, zerosLike, onesLike, fullLike, randnLike, randLike, type CreateOptions, type SizeArgs } from './creation.js';
export { manualSeed } from './random.js';
export { init, destroy, backendInfo, type InitOptions, type BackendChoice } from './runtime.js';
export { setLogger, type Logger } from './logger.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { scope, keep, memory, emptyCache, type Disposable, type MemoryReport, type HostRange } from './memory.js';
export { compile, type CompileOptions, type CompiledStep, type CompiledStepInfo } from './compile.js';
export { WebgradError } from './errors.js';
export type { DType, TypedArray } from './dtype.js';
export type { Shape } from './shape.js';
export type { BackendInfo } from './backend/backend.js';
export type { Operand, CompareOp } from './ops/binary.js';
export { add, sub, mul, div, compare } from './ops/binary.js';
export { neg, exp, log, sqrt, abs, sigmoid, tanh, relu, pow, clamp, clone } from './ops/elementwise.js';
export { mm, matmul } from './ops/matmul.js';
export { reshape, transpose, t, flatten, unsqueeze, squeeze, expand, permute } from './ops/shape-ops.js';
export { sum, mean, max, min, amax, amin, argmax, argmin, type ValuesIndices } from './ops/reduce.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { cat, stack, split, chunk, unbind } from './ops/joining.js';
export { narrow, select, slice, repeat, flip, type PadOptions } from './ops/slicing.js';
export { indexSelect, gather, scatterAdd, indexAdd, oneHot, type IndexAddOptions } from './ops/indexing.js';
export { sort, topk, type SortOptions, type TopkOptions, type SortResult } from './ops/sort.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export { save, load } from './serialize.js';
// ---- activations, elementwise math, where (issue 11) ----
export { gelu, silu, leakyRelu, elu, softplus, log1p, expm1, sin, cos, rsqrt, erf, reciprocal, sign, floor, ceil, round, logicalNot, type GeluOptions, type SoftplusOptions } from './ops/elementwise.js';
export { maximum, minimum, logicalAnd, logicalOr } from './ops/binary.js';
export { where, maskedFill, tril, triu } from './ops/where.js';
/**
 * Datasets and files: MNIST, IDX and safetensors readers, and a PyTorch-style DataLoader.
 *
 * PyTorch equivalent: `torch.utils.data` (and `torchvision.datasets.MNIST`, `safetensors.torch`).
 */
export * as data from './data/index.js';
/**
 * Layers, `Module` and losses (`nn.functional`).
 *
 * PyTorch equivalent: `torch.nn` and `torch.nn.functional`.
 */
export * as nn from './nn/index.js';
/**
 * Optimizers: `SGD` and `Adam`, PyTorch's update formulas.
 *
 * PyTorch equivalent: `torch.optim`.
 */
export * as optim from './optim/index.js';
export { profile, formatProfile, type ProfileResult, type KernelTime } from './profile.js';
export type { BinaryOp } from './kernels/binary.js';
export type { Node } from './autograd/node.js';
export type { StateTree, StateValue } from './serialize-tree.js';
// ---- batched matmul, statistics, random sampling ----
export { bmm } from './ops/matmul.js';
export { cumsum, prod, variance as var, std, logsumexp, norm, all, any, type VarOptions } from './ops/stats.js';
export { randint, randperm, bernoulli, multinomial, type MultinomialOptions } from './random-ops.js';
// ---- reliability: device loss, RNG state ----
export { onDeviceLost } from './runtime.js';
export type { DeviceLostInfo } from './backend/backend.js';
export { getRngState, setRngState, type RngState } from './random.js';
