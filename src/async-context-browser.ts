// The browser's stand-in for async-context.ts (swapped in by scripts/build.mjs): browsers have
// no AsyncLocalStorage, so a slot is one global value. `run` sets it for `fn`'s synchronous
// part and, when `fn` returns a promise, until that promise settles; other async work
// interleaved with it sees the value too (the limitation docs/errors.md describes for scopes).

/** Whether values set with `ContextSlot.run` follow `await` (false in browsers). */
export const hasAsyncContext = false;

/** One global value, set for the duration of `run`. */
export class ContextSlot<T> {
  #value: T | undefined = undefined;

  /** The value of the innermost pending `run`, or undefined. */
  get(): T | undefined {
    return this.#value;
  }

  /** Runs `fn` with `value` as the slot's value until `fn` (or the promise it returns) ends. */
  run<R>(value: T, fn: () => R): R {
    const prev = this.#value;
    this.#value = value;
    let result: R;
    try {
      result = fn();
    } catch (e) {
      this.#value = prev;
      throw e;
    }
    if (result instanceof Promise) {
      return result.then(
        (v: unknown) => ((this.#value = prev), v),
        (e: unknown) => {
          this.#value = prev;
          throw e;
        },
      ) as R;
    }
    this.#value = prev;
    return result;
  }
}
