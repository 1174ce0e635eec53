export { Optimizer, type ParamGroup, type ParamGroupSpec, type Params, type ParamState } from './optimizer.js';
export type { HyperValue, OptimizerStateDict, StateSpec } from './state-dict.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { AdamW, type AdamWOptions, type AdamWState } from './adamw.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { Adagrad, type AdagradOptions, type AdagradState } from './adagrad.js';
export { Adadelta, type AdadeltaOptions, type AdadeltaState } from './adadelta.js';
export { Adamax, type AdamaxOptions, type AdamaxState } from './adamax.js';
export { NAdam, type NAdamOptions, type NAdamState } from './nadam.js';
/**
 * Learning-rate schedulers: each sets the optimizer groups' `lr` on construction and on every
 * `step()` (call it after `optimizer.step()`), with torch's chainable formulas.
 *
 * PyTorch equivalent: `torch.optim.lr_scheduler`.
 */
export * as lrScheduler from './lr-scheduler.js';
