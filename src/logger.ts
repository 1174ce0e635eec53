// The one place webgrad may print: a library must not write to the console on its own, but a
// user must still see the few things that change what their program does (the CPU fallback,
// a lost device). Everything goes through the logger set here.

/**
 * Where webgrad's messages go. `console` is one (and the default); so is any object with these
 * two methods, e.g. a test's collector or an application's own logger.
 *
 * PyTorch equivalent: Python's `warnings` / `logging` modules, which torch writes through.
 */
export interface Logger {
  /** Something the user asked to hear (`init({ verbose: true })` names the backend it chose). */
  info(message: string): void;
  /** Something that changes what the program does: the CPU fallback, a lost WebGPU device. */
  warn(message: string): void;
}

const silent: Logger = { info: () => {}, warn: () => {} };
let current: Logger = console;

/**
 * Sends webgrad's messages to `logger` instead of the console; `null` silences them all.
 * Returns the logger it replaces, so a caller can put it back. The default is `console`
 * (`info` → `console.info`, warnings → `console.warn`).
 *
 * Only two kinds of message exist: `info` when `init({ verbose: true })` reports the backend
 * it chose, and `warn` when `init()` falls back to the CPU because no WebGPU adapter exists or
 * when the WebGPU device is lost. Nothing else in the library prints.
 *
 * PyTorch equivalent: `warnings.filterwarnings` / `logging.getLogger('torch').setLevel(...)`.
 *
 * @example
 * ```ts
 * const seen: string[] = [];
 * const previous = wg.setLogger({ info: () => {}, warn: (m) => seen.push(m) });
 * await wg.init();               // a CPU fallback lands in `seen`, not on stderr
 * wg.setLogger(previous);
 * ```
 */
export function setLogger(logger: Logger | null): Logger {
  const previous = current;
  current = logger ?? silent;
  return previous;
}

/** @internal The current logger (the library's own modules write through this). */
export function logger(): Logger {
  return current;
}
