let enabled = true;

/**
 * Whether ops are recorded for autograd now (false inside `noGrad`).
 *
 * PyTorch equivalent: `torch.is_grad_enabled`.
 */
export const isGradEnabled = (): boolean => enabled;

function withGradMode<T>(mode: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/**
 * Runs `fn` without recording the graph, like `with torch.no_grad():`. Synchronous on purpose:
 * a mode flag cannot follow an `await` without leaking into unrelated async work.
 */
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn);

/** Re-enables recording inside a `noGrad` block, like `torch.enable_grad()`. */
export const enableGrad = <T>(fn: () => T): T => withGradMode(true, fn);
