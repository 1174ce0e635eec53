export { Module, type ZeroGradOptions, type LoadStateDictOptions, type LoadStateDictResult, type RegisterBufferOptions } from './module.js';
export { Parameter } from './parameter.js';
export { Linear, ReLU, Sigmoid, Tanh, Flatten, Unflatten, Identity, Softmax, LogSoftmax, Sequential, type LinearOptions } from './layers.js';
export { MSELoss, L1Loss, HuberLoss, SmoothL1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss } from './loss.js';
/**
 * Losses as functions of tensors (the `nn` loss modules call these).
 *
 * PyTorch equivalent: `torch.nn.functional`.
 */
export * as functional from './functional.js';
/**
 * Training helpers: gradient clipping.
 *
 * PyTorch equivalent: `torch.nn.utils`.
 */
export * as utils from './utils.js';
export { GELU, SiLU, LeakyReLU, ELU, Softplus } from './activations.js';
export { MaxPool2d, MaxPool1d, AvgPool2d, AvgPool1d, AdaptiveAvgPool2d } from './pooling.js';
export { BatchNorm1d, BatchNorm2d, type BatchNormModuleOptions } from './batch-norm.js';
export { Dropout, Dropout2d } from './dropout.js';
export { Conv1d, Conv2d, ConvTranspose2d, type ConvModuleOptions, type ConvTransposeModuleOptions } from './conv.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LayerNorm, type LayerNormOptions, type LayerNormFnOptions } from './layer-norm.js';
export { ModuleList, ModuleDict } from './containers.js';
