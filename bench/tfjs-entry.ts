// What bench/tfjs.ts loads, bundled by esbuild from tfjs's ES modules: tfjs-core with every
// gradient registered, the cpu backend and the webgpu backend. tfjs-core's Node build
// (dist/tf-core.node.js) registers no gradients (the @tensorflow/tfjs union package does that,
// with layers, converter, data and webgl on top), and its ES modules cannot be imported by
// Node directly (extensionless relative imports), so one esbuild pass makes a single module.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
export * from '@tensorflow/tfjs-core';
export { version_cpu } from '@tensorflow/tfjs-backend-cpu';
// Imported for its side effect: it registers the 'webgpu' backend if navigator.gpu exists.
export { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
