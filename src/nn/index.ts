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
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LayerNorm, type LayerNormOptions, type LayerNormFnOptions } from './normalization.js';
export { ModuleList, ModuleDict } from './containers.js';
