import { enterCompiledStep, leaveCompiledStep, notePlans } from './compile-state.js';
import { WebgradError } from './errors.js';
import { options } from './options.js';
import type { StepPlan } from './backend/backend.js';
import { getBackend } from './runtime.js';
import { Tensor } from './tensor.js';

/** Options of `wg.compile`. */
export interface CompileOptions {
  /**
   * Plans kept, one per signature of the arguments (shapes, dtypes, other values); the least
   * recently used is dropped beyond this, and its signature traces again. Default 8.
   */
  maxPlans?: number;
  /**
   * On WebGPU, whether compiled calls take their memory from the step's plan (static buffers
   * by allocation position, bind groups built once, one submit per call; see `planBytes`).
   * false: buffers come from the pool as in eager mode and nothing is kept between calls.
   * Default true.
   */
  memoryPlan?: boolean;
}

/** What a compiled step has done so far (`step.info()`). */
export interface CompiledStepInfo {
  /** Calls so far. */
  readonly calls: number;
  /** Calls that traced: the first call with each new signature of the arguments. */
  readonly traces: number;
  /** Plans cached now (at most `maxPlans`); `wg.memory().compiledPlans` sums every step's. */
  readonly plans: number;
  /** GPU dispatches of the last traced (eager) call, or null before one / on the CPU backend. */
  readonly eagerDispatches: number | null;
  /** GPU dispatches of the last compiled call, or null before one / on the CPU backend. */
  readonly dispatches: number | null;
  /**
   * The most bytes of storage the last traced call needed at once, above what was held when it
   * started: its live tensors plus, on WebGPU, released buffers that its recorded work still
   * used (the pool reuses those only after their submit). Null before a traced call. Overlapping
   * async calls share one mark, so each then reports the highest point of them all.
   */
  readonly eagerPeakBytes: number | null;
  /**
   * The same for the last compiled call, where a chain's results released before it runs (an
   * op's temporaries) are never stored and their buffers are reused at once.
   */
  readonly peakBytes: number | null;
  /**
   * Bytes of the buffers of this signature's memory plan (WebGPU): every allocation of a
   * compiled call has a static buffer, shared by allocations that do not live at once. Null
   * before a compiled call and on the CPU backend. Compare with `eagerPeakBytes`.
   */
  readonly planBytes: number | null;
  /**
   * Allocations of the last compiled call that did not get their planned buffer (a buffer
   * still held by a tensor from an earlier call, a call that took another branch, the first
   * calls while the plan settles): 0 when the call ran entirely on its plan. Null as above.
   */
  readonly replanned: number | null;
}

/** A step compiled by `wg.compile`: call it as the function itself; `info()` reports. */
export interface CompiledStep<A extends unknown[], R> {
  (...args: A): R;
  /** Calls, traces, cached plans and dispatches per call (eager vs compiled). */
  info(): CompiledStepInfo;
  /** Drops every cached plan: the next call traces again. */
  reset(): void;
}

/**
 * Calls running now, of every compiled step: async calls may overlap (and sync ones nest), so
 * the backend fuses while any compiled call runs and no traced call does (a trace is eager).
 */
const active = { compiled: 0, tracing: 0 };
const fusing = (): boolean => active.compiled > 0 && active.tracing === 0;

const forgotten = new FinalizationRegistry<Map<string, Plan>>((plans) => {
  notePlans(-plans.size);
  for (const p of plans.values()) p.memory?.dispose();
});

/** Drops a plan: its count in `wg.memory()` and its buffers. */
function drop(plan: Plan): void {
  notePlans(-1);
  plan.memory?.dispose();
  plan.memory = null;
}

interface Plan {
  eagerDispatches: number | null;
  dispatches: number | null;
  eagerPeakBytes: number | null;
  peakBytes: number | null;
  /** The memory plan of the compiled calls (WebGPU), made by the first. */
  memory: StepPlan | null;
  replanned: number | null;
}

/**
 * Compiles a training step: `fn` is ordinary webgrad code (forward, `backward()`, an optimizer's
 * `step()` and `zeroGrad()`, updates under `noGrad`, scheduler steps) and the returned function
 * runs it with the same arguments and result.
 *
 * The first call with a new signature of the arguments (each tensor's shape and dtype, other
 * arguments' values) traces: it runs `fn` eagerly and counts its dispatches. Later calls run it
 * as a compiled step: on WebGPU every chain of float32 elementwise ops (with broadcasting and
 * scalar operands; unary ops, their gradients, clamp) runs as one generated kernel built from
 * the op tables (a sum of a chain's result runs inside it), and a chain's results that nothing
 * reads any more are not stored. Submits happen as in eager mode (every 64 dispatches, at a
 * readback), so consecutive steps share a submit. `fn`'s JavaScript runs on every call, so whatever it does on the host — an
 * optimizer's step count, a scheduler, the random generator, `.grad`, version counters and the
 * autograd errors — is exactly what eager execution does; only the GPU work is fused, and
 * fusion decides from the ops actually issued, so a call that takes another branch stays
 * correct. The CPU backend runs `fn` eagerly.
 *
 * On WebGPU a compiled call that runs alone takes its memory from the signature's memory plan
 * (`memoryPlan: false` turns it off): the n-th allocation of every call gets the same buffer,
 * allocations that do not live at once share one, so the step's bind groups are created once
 * and the call is recorded as one submit. A call that allocates differently is planned again;
 * temporaries left to the garbage collector (not disposed or scoped in `fn`) keep missing it.
 *
 * A readback inside `fn` (`await t.item()`) is refused: return the tensor and read it after the
 * call. An async `fn` is awaited (the step is compiled until it settles).
 *
 * PyTorch equivalent: `torch.compile` (of a training step).
 *
 * @example
 * ```ts
 * const step = wg.compile((x: wg.Tensor, y: wg.Tensor) => {
 *   opt.zeroGrad();
 *   const loss = F.crossEntropy(model.forward(x), y);
 *   loss.backward();
 *   opt.step();
 *   return loss;
 * });
 * for (const [x, y] of batches) (await wg.scope(async () => console.log(await step(x, y).item())));
 * ```
 */
export function compile<A extends unknown[], R>(fn: (...args: A) => R, opts: CompileOptions = {}): CompiledStep<A, R> {
  if (typeof fn !== 'function') throw new WebgradError('compile', `expected a function, got ${typeof fn}`);
  const { maxPlans = 8, memoryPlan = true } = options('compile', opts, ['maxPlans', 'memoryPlan']);
  if (typeof memoryPlan !== 'boolean') throw new WebgradError('compile', `memoryPlan must be a boolean, got ${String(memoryPlan)}`);
  if (!Number.isInteger(maxPlans) || maxPlans < 1) throw new WebgradError('compile', `maxPlans must be a positive integer, got ${maxPlans}`);
  const plans = new Map<string, Plan>();
  let calls = 0;
  let traces = 0;
  let last: Plan | null = null;

  const step = ((...args: A): R => {
    const key = signature(args);
    let plan = plans.get(key);
    const tracing = plan === undefined;
    if (plan === undefined) {
      plan = { eagerDispatches: null, dispatches: null, eagerPeakBytes: null, peakBytes: null, memory: null, replanned: null };
      if (plans.size >= maxPlans) {
        const oldest = plans.keys().next().value!;
        drop(plans.get(oldest)!);
        plans.delete(oldest);
      }
      plans.set(key, plan);
      notePlans(1);
      traces++;
    } else {
      // Most recently used last, so the first key is the one to drop.
      plans.delete(key);
      plans.set(key, plan);
    }
    calls++;
    const current: Plan = plan;
    last = current;
    const backend = getBackend();
    const gpu = backend.name === 'webgpu';
    const d0 = backend.dispatchCount();
    // Only a call that runs alone uses its memory plan: an overlapping async call's
    // allocations would interleave with it (the plan would stay correct, but churn).
    const planned = memoryPlan && !tracing && active.compiled === 0 && active.tracing === 0;
    if (tracing) active.tracing++;
    else active.compiled++;
    backend.compiledMode(fusing());
    // (Before the marks: it submits what earlier calls recorded, which frees their buffers.)
    if (planned) current.memory = backend.beginPlannedCall(current.memory);
    // The call's own high-water mark, then the enclosing one restored as if never restarted.
    const outerPeak = backend.peakBytes(0);
    const held0 = backend.peakBytes();
    enterCompiledStep();
    const done = (): void => {
      leaveCompiledStep();
      if (planned) {
        backend.endPlannedCall();
        current.replanned = current.memory?.replanned ?? null;
      }
      if (tracing) active.tracing--;
      else active.compiled--;
      backend.compiledMode(fusing());
      const peak = backend.peakBytes();
      backend.peakBytes(Math.max(outerPeak, peak));
      if (tracing) current.eagerPeakBytes = Math.max(0, peak - held0);
      else current.peakBytes = Math.max(0, peak - held0);
      if (!gpu) return;
      const d = backend.dispatchCount() - d0;
      if (tracing) current.eagerDispatches = d;
      else current.dispatches = d;
    };
    let result: R;
    try {
      result = fn(...args);
    } catch (e) {
      done();
      throw e;
    }
    if (result instanceof Promise) {
      return result.then(
        (v: unknown) => (done(), v),
        (e: unknown) => {
          done();
          throw e;
        },
      ) as R;
    }
    done();
    return result;
  }) as CompiledStep<A, R>;

  step.info = () => ({
    calls,
    traces,
    plans: plans.size,
    eagerDispatches: last?.eagerDispatches ?? null,
    dispatches: last?.dispatches ?? null,
    eagerPeakBytes: last?.eagerPeakBytes ?? null,
    peakBytes: last?.peakBytes ?? null,
    planBytes: last?.memory?.bytes ?? null,
    replanned: last?.replanned ?? null,
  });
  // A step dropped without reset() gives its plans back when it is collected.
  forgotten.register(step, plans);
  step.reset = () => {
    for (const p of plans.values()) drop(p);
    plans.clear();
    last = null;
  };
  return step;
}

/** The arguments' signature: each tensor's dtype and shape (and whether it requires grad), other values as such. */
function signature(args: readonly unknown[]): string {
  return args
    .map((a) => {
      if (a instanceof Tensor) return `${a.dtype}[${a.shape.join(',')}]${a.requiresGrad ? 'g' : ''}`;
      if (a === null || a === undefined || typeof a !== 'object') return `${typeof a}:${String(a)}`;
      return 'object';
    })
    .join(';');
}
