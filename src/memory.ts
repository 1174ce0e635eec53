import { ContextSlot, hasAsyncContext } from './async-context.js';
import { compiledPlans } from './compile-state.js';
import type { Backend, Storage } from './backend/backend.js';
import { getBackend } from './runtime.js';
import { warnOnce } from './warn.js';

/**
 * Storage shared by a tensor and its reshaped views. In-place ops swap `storage` for the new
 * result, so every view sees the write without a copy kernel; `version` counts those writes so
 * backward can tell that a saved tensor was modified (as PyTorch's version counter does).
 */
export class StorageRef {
  refs = 1;
  version = 0;
  #range: HostRange | null = null;
  #rangeVersion = -1;
  constructor(public storage: Storage, readonly backend: Backend) {}

  replace(next: Storage): void {
    this.backend.release(this.storage);
    this.storage = next;
    this.version++;
  }

  /**
   * Bounds of the values known on the host without a readback (see `Tensor.hostRange`). They
   * hold for the version they were set at: any in-place write makes them unknown again.
   */
  get hostRange(): HostRange | null {
    return this.#rangeVersion === this.version ? this.#range : null;
  }
  set hostRange(range: HostRange | null) {
    this.#range = range;
    this.#rangeVersion = this.version;
  }

  decref(): void {
    if (--this.refs === 0) this.backend.release(this.storage);
  }
}

/** Inclusive bounds on a tensor's values: every element v has min <= v <= max. */
export interface HostRange {
  /** Smallest possible value. */
  readonly min: number;
  /** Largest possible value. */
  readonly max: number;
}

/** The value every element is known (on the host, without a readback) to have, if any. */
export function knownConstant(t: { readonly hostRange: HostRange | null }): number | null {
  const r = t.hostRange;
  return r !== null && r.min === r.max ? r.min : null;
}

/**
 * How often a readback lets the event loop run a task (ms). `FinalizationRegistry` callbacks,
 * which free tensors dropped without `dispose()`, run only as tasks; a loop whose only awaits
 * are CPU readbacks (resolved as microtasks) never gave them one: 8 tensors and 42 KB leaked
 * per step of the first README example without `scope()`, 396 MB after 10,000 steps. A
 * setTimeout(0) costs ~1 ms in Node, so readbacks take one at most every 16 ms.
 */
const YIELD_EVERY_MS = 16;
/**
 * Below this many live tensors readbacks never yield: a program that disposes (or scopes) what
 * it makes stays far below it, and its `memory().liveTensors` then changes only when it creates
 * or disposes a tensor, not when an earlier program's garbage happens to be finalized in the
 * middle of it (with an unconditional yield, tests comparing the count before and after an
 * awaited computation failed at random). A loop that drops tensors without disposing them
 * passes it within a few hundred steps and is bounded from then on.
 */
const YIELD_ABOVE_LIVE = 2048;
let lastYield = 0;

/** Called by every readback: gives the event loop (and the finalizers) a turn now and then. */
export async function yieldForFinalizers(): Promise<void> {
  if (liveTensors <= YIELD_ABOVE_LIVE) return;
  const now = performance.now();
  if (now - lastYield < YIELD_EVERY_MS) return;
  await new Promise((resolve) => setTimeout(resolve, 0));
  lastYield = performance.now();
}

/** What `scope()` and `keep()` manage: anything with `dispose()` and `isDisposed` (a Tensor). */
export interface Disposable {
  /** Frees its memory now. */
  dispose(): void;
  /** Whether it was disposed. */
  readonly isDisposed: boolean;
}

let liveTensors = 0;
/**
 * The open scopes, innermost last. In Node each async context has its own stack (a scope's
 * `fn` runs in a context whose stack is the caller's plus its own set), so concurrent async
 * scopes do not collect each other's tensors; in browsers there is one global stack.
 */
const rootScopes: Set<Disposable>[] = [];
const scopeSlot = new ContextSlot<Set<Disposable>[]>();
const scopes = (): Set<Disposable>[] => scopeSlot.get() ?? rootScopes;

// Safety net only: GPU memory is invisible to the JS garbage collector, so tensors dropped
// without dispose() may be reclaimed late. scope() and dispose() are the reliable tools.
const finalizer = new FinalizationRegistry<StorageRef>((ref) => {
  liveTensors--;
  ref.decref();
});

export function trackTensor(t: Disposable, ref: StorageRef): void {
  liveTensors++;
  finalizer.register(t, ref, t);
  scopes().at(-1)?.add(t);
}

export function untrackTensor(t: Disposable): void {
  liveTensors--;
  finalizer.unregister(t);
}

/** Takes `t` out of every enclosing scope, so it survives them (e.g. a new `.grad`). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes()) s.delete(t);
  return t;
}

function collectKept(value: unknown, out: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 3) return;
  if ('dispose' in value && 'isDisposed' in value) {
    out.add(value);
    return;
  }
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const v of items) collectKept(v, out, depth + 1);
}

function closeScope(stack: Set<Disposable>[], own: Set<Disposable>, result: unknown): void {
  const kept = new Set<unknown>();
  collectKept(result, kept);
  const at = stack.lastIndexOf(own);
  // Only an async scope can close under a scope opened after it: two overlapped in time
  // (browsers only: in Node each async scope has a stack of its own).
  if (at !== stack.length - 1) warnOnce('scope-overlap', hasAsyncContext ? NOT_AWAITED : OVERLAP);
  stack.splice(at, 1);
  for (const t of own) {
    if (kept.has(t)) stack.at(-1)?.add(t);
    else if (!t.isDisposed) t.dispose();
  }
}

const NOT_AWAITED =
  'scope(async () => ...) returned a promise that was not awaited: its tensors are freed only when it settles, and its errors go unseen. Write `await wg.scope(async () => ...)`.';

const OVERLAP =
  'two async scopes overlapped in time: this JavaScript runtime has no async context (AsyncLocalStorage), so scopes share one stack and tensors created by one task are counted in whichever scope is innermost and disposed when it settles. Await each scope before starting the next, or run concurrent tasks without scope() and dispose() what they create.';

/** The promise an async scope returns: it notes whether anyone called `then` (awaited it). */
class ScopePromise<T> extends Promise<T> {
  taken = false;
  // Promises derived with then() are plain ones.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.taken = true;
    return super.then(onFulfilled, onRejected);
  }
}

/**
 * Collects every tensor created from now until `closeCollect`, which hands them back: the
 * machinery under `opScope` (src/ops/util.ts), which decides what each op's tensors become.
 */
export function openCollect(): Set<Disposable> {
  const own = new Set<Disposable>();
  scopes().push(own);
  return own;
}

/** Ends a collection opened by `openCollect`; `survivors` move to the enclosing scope. */
export function closeCollect(own: Set<Disposable>, survivors: Iterable<Disposable>): void {
  const stack = scopes();
  stack.splice(stack.lastIndexOf(own), 1);
  const parent = stack.at(-1);
  if (parent) for (const t of survivors) parent.add(t);
}

/** The tensors a value holds: itself, or those in an array or object (as scope() keeps them). */
export function heldTensors(value: unknown): Set<unknown> {
  const out = new Set<unknown>();
  collectKept(value, out);
  return out;
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (a tensor, or
 * tensors inside a returned array/object) and those kept with `keep()`. Works with async `fn`:
 * the scope closes when the promise settles. In Node a scope follows its async context
 * (AsyncLocalStorage), so concurrent tasks may each run their own async scope; in browsers
 * scopes share one stack, so do not interleave async scopes across tasks there (overlapping
 * ones are reported with a warning). Await an async scope: one whose promise is not awaited
 * is reported with a warning.
 */
export function scope<T>(fn: () => T): T {
  const outer = scopes();
  const own = new Set<Disposable>();
  // Node: fn and everything it awaits see a stack of their own; browsers: the global one.
  const stack = hasAsyncContext ? [...outer, own] : outer;
  if (!hasAsyncContext) outer.push(own);
  let result: T;
  try {
    result = hasAsyncContext ? scopeSlot.run(stack, fn) : fn();
  } catch (e) {
    closeScope(stack, own, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    const settled = result.then(
      (v) => (closeScope(stack, own, v), v),
      (e) => {
        closeScope(stack, own, undefined);
        throw e;
      },
    );
    const out = new ScopePromise<unknown>((resolve, reject) => settled.then(resolve, reject));
    // `await`, `.then()` and Promise.all all call `then` on a Promise subclass; by the next
    // task a scope nobody took up was not awaited.
    setTimeout(() => {
      if (!out.taken) warnOnce('scope-not-awaited', NOT_AWAITED);
    }, 0);
    return out as T;
  }
  closeScope(stack, own, result);
  return result;
}

/** What `wg.memory()` reports: a way to find leaks (a count that grows every step). */
export interface MemoryReport {
  /** Tensors created and not yet disposed (views count separately). */
  liveTensors: number;
  /** Bytes of device (or CPU) storage held by live tensors. */
  bytesInUse: number;
  /**
   * Bytes cached by the backend's buffer pool for reuse (WebGPU; 0 on the CPU). Buffers not
   * reused for 2 s are given back by themselves; `emptyCache()` gives back all of them now.
   */
  poolBytes: number;
  /**
   * Bytes that compiled steps' memory plans keep for their next call (WebGPU; 0 on the CPU):
   * their buffers that no tensor holds now. `emptyCache()` gives these back too (the next call
   * assigns them again); a step's `reset()` gives back its own.
   */
  planBytes: number;
  /** The backend's name ('cpu' or 'webgpu'). */
  backend: string;
  /** Plans cached by compiled steps (`wg.compile`), each at most its `maxPlans`. */
  compiledPlans: number;
}

/**
 * Counts live tensors and the bytes they and the buffer pool hold, without touching the device.
 *
 * PyTorch equivalent: `torch.cuda.memory_allocated` (roughly).
 *
 * @example
 * ```ts
 * console.log(wg.memory().liveTensors); // the same after every training step if nothing leaks
 * ```
 */
export function memory(): MemoryReport {
  const b = getBackend();
  return { liveTensors, ...b.memory(), backend: b.name, compiledPlans: compiledPlans() };
}

/**
 * Frees the GPU buffers the backend keeps for reuse; live tensors keep theirs. `memory().poolBytes`
 * drops to 0. A no-op on the CPU backend, which caches nothing.
 *
 * PyTorch equivalent: `torch.cuda.empty_cache`.
 *
 * @example
 * ```ts
 * wg.emptyCache(); // after a big evaluation, before a smaller training loop
 * ```
 */
export function emptyCache(): void {
  getBackend().emptyCache();
}
