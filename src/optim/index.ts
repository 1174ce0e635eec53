export { Optimizer, type ParamGroup, type ParamGroupSpec, type Params, type ParamState } from './optimizer.js';
export type { OptimizerStateDict, StateSpec } from './state-dict.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { NAdam, type NAdamOptions } from './nadam.js';
/**
 * Learning-rate schedulers: each sets the optimizer groups' `lr` on construction and on every
 * `step()` (call it after `optimizer.step()`), with torch's chainable formulas.
 *
 * PyTorch equivalent: `torch.optim.lr_scheduler`.
 */
export * as lrScheduler from './lr-scheduler.js';
