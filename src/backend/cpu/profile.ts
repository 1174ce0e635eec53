import type { Backend, KernelTime } from '../backend.js';

/** The Backend methods that compute; storage bookkeeping (upload, read, release) is not timed. */
const KERNELS = [
  'full', 'copy', 'fill', 'cast', 'strided', 'unary', 'unaryGrad', 'clamp', 'clampGrad', 'binary', 'sumTo',
  'reduce', 'argReduce', 'scatterIndex', 'matmul', 'softmax', 'softmaxGrad', 'crossEntropy', 'crossEntropyGrad',
  'optimizerStep', 'scaleInPlace',
  'stridedScatter', 'empty', 'catRows', 'splitRows',
  'where',
  'gather', 'scatterAdd', 'sortIndices',
  'maxPool', 'maxPoolGrad', 'avgPool', 'avgPoolGrad', 'batchNormStats', 'batchNormForward', 'batchNormGradSums', 'batchNormInputGrad',
  'conv2d', 'conv2dInputGrad', 'conv2dWeightGrad',
  'attention', 'attentionBackward', 'layerNorm', 'layerNormBackward',
] as const satisfies readonly (keyof Backend)[];

/**
 * Times the CPU backend's kernels for `wg.profile()`. CPU kernels run synchronously, so the
 * wall time of each call is its kernel time. The timing wrappers are own properties that shadow
 * the prototype's methods on this one instance, and are deleted when the profile stops.
 */
export class CpuProfiler {
  readonly #target: Backend;
  readonly #totals = new Map<string, { count: number; ms: number }>();

  constructor(target: Backend) {
    this.#target = target;
    const self = target as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of KERNELS) {
      const method = self[name];
      self[name] = (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return method.apply(target, args);
        } finally {
          // unary/binary/reduce take their op first: 'exp', 'add', 'sum'... name them by it.
          const label = typeof args[0] === 'string' ? `${name}:${args[0]}` : name;
          const e = this.#totals.get(label) ?? { count: 0, ms: 0 };
          e.count++;
          e.ms += performance.now() - t0;
          this.#totals.set(label, e);
        }
      };
    }
  }

  stop(): KernelTime[] {
    for (const name of KERNELS) delete (this.#target as unknown as Record<string, unknown>)[name];
    return [...this.#totals].map(([kernel, { count, ms }]) => ({ kernel, count, ms })).sort((a, b) => b.ms - a.ms);
  }
}
