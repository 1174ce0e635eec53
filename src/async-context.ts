import { AsyncLocalStorage } from 'node:async_hooks';

// Values that follow the async context: what `scope()` collects into and which backend
// `withBackend` selects. In Node they ride on AsyncLocalStorage, so twenty concurrent
// `await wg.scope(async () => ...)` tasks each see their own scope (with one global stack,
// 19 of 20 failed with "used after dispose"). The browser bundle replaces this file with
// async-context-browser.ts (scripts/build.mjs): browsers have no async context yet.

/** Whether values set with `ContextSlot.run` follow `await` (true in Node). */
export const hasAsyncContext = true;

/** A value seen by `fn` and by everything `fn` starts, synchronously or after an `await`. */
export class ContextSlot<T> {
  readonly #storage = new AsyncLocalStorage<T>();

  /** The value of the innermost enclosing `run`, or undefined outside every `run`. */
  get(): T | undefined {
    return this.#storage.getStore();
  }

  /** Runs `fn` with `value` as the slot's value for `fn` and all the async work it starts. */
  run<R>(value: T, fn: () => R): R {
    return this.#storage.run(value, fn);
  }
}
