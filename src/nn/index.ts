export { Module, type ZeroGradOptions, type LoadStateDictOptions, type LoadStateDictResult, type RegisterBufferOptions } from './module.js';
export { Parameter } from './parameter.js';
export { Linear, ReLU, Sigmoid, Tanh, Flatten, Unflatten, Identity, Softmax, LogSoftmax, Sequential, type LinearOptions } from './layers.js';
export { MSELoss, L1Loss, HuberLoss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss } from './loss.js';
export * as functional from './functional.js';
export * as utils from './utils.js';
