export { Optimizer, type ParamGroup, type ParamGroupSpec, type Params } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
