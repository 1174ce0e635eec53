// The public surface of webgrad: re-exports only.
export { Tensor, type NestedArray, type BackwardOptions } from './tensor.js';
export { tensor, zeros, ones, full, randn, rand, arange, eye, zerosLike, onesLike, type CreateOptions } from './creation.js';
export { manualSeed } from './random.js';
export { init, destroy, backendInfo, type InitOptions, type BackendChoice } from './runtime.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { scope, keep, memory, type MemoryReport } from './memory.js';
export { WebgradError } from './errors.js';
export type { DType, TypedArray } from './dtype.js';
export { add, sub, mul, div, compare } from './ops/binary.js';
export { neg, exp, log, sqrt, abs, sigmoid, tanh, relu, pow, clamp, clone } from './ops/elementwise.js';
export { mm, matmul } from './ops/matmul.js';
export { reshape, transpose, t, flatten, unsqueeze, squeeze, expand } from './ops/shape-ops.js';
export { sum, mean, max, min, argmax, argmin } from './ops/reduce.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export { save, load } from './serialize.js';
export * as data from './data/index.js';
export * as nn from './nn/index.js';
