export { Module, type ZeroGradOptions, type LoadStateDictOptions, type LoadStateDictResult, type RegisterBufferOptions } from './module.js';
export { Parameter } from './parameter.js';
export { Linear, ReLU, Sigmoid, Tanh, Flatten, Sequential, type LinearOptions } from './layers.js';
export * as functional from './functional.js';
