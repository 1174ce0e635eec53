export { Module, type ZeroGradOptions, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export { Linear, ReLU, Sigmoid, Tanh, Flatten, Sequential, type LinearOptions } from './layers.js';
export * as functional from './functional.js';
export * as utils from './utils.js';
export { GELU, SiLU, LeakyReLU, ELU, Softplus } from './activations.js';
