// Both libraries must time the same device. webgrad asks `requestAdapter({})`, tfjs
// `requestAdapter({ powerPreference: 'high-performance' })`: on a machine with two adapters
// (an integrated and a discrete GPU) they could get different ones. The bench hands both the
// same GPU object, which answers every request with the same options, and refuses to compare
// when the adapters they report still differ.

/** The options every request is answered with (what tfjs asks for by default). */
export const ADAPTER_OPTIONS: GPURequestAdapterOptions = { powerPreference: 'high-performance' };

export interface HandedAdapter {
  /** What the caller asked for. */
  requested: GPURequestAdapterOptions;
  /** The adapter it got (null: none). */
  info: AdapterFacts;
}

export interface SameAdapterGpu {
  gpu: GPU;
  /** Every request, in call order, with the adapter handed out (for the check and the JSON). */
  handed: HandedAdapter[];
}

/** `gpu` with `requestAdapter` forced to ADAPTER_OPTIONS (keeping `forceFallbackAdapter` off). */
export function sameAdapterGpu(gpu: GPU): SameAdapterGpu {
  const handed: HandedAdapter[] = [];
  const proxy = new Proxy(gpu, {
    get(target, key) {
      if (key === 'requestAdapter') {
        return async (opts?: GPURequestAdapterOptions) => {
          const adapter = await target.requestAdapter({ ...ADAPTER_OPTIONS });
          const i = adapter?.info;
          handed.push({ requested: { ...(opts ?? {}) }, info: i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description } : null });
          return adapter;
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { gpu: proxy, handed };
}

export type AdapterFacts = Partial<Record<'vendor' | 'architecture' | 'device' | 'description', unknown>> | null | undefined;

const KEYS = ['vendor', 'architecture', 'device', 'description'] as const;

/**
 * Null when the two descriptions name the same adapter, else how they differ. `keys` defaults
 * to the fields both report (tfjs keeps only vendor and architecture of its adapter's info).
 */
export function adapterMismatch(a: AdapterFacts, b: AdapterFacts, names: [string, string] = ['webgrad', 'tfjs']): string | null {
  if (!a || !b) return `adapter info missing (${names[0]}: ${JSON.stringify(a ?? null)}, ${names[1]}: ${JSON.stringify(b ?? null)})`;
  const keys = KEYS.filter((k) => k in a && k in b);
  if (keys.length === 0) return `no adapter fields to compare (${names[0]}: ${JSON.stringify(a)}, ${names[1]}: ${JSON.stringify(b)})`;
  const diffs = keys
    .filter((k) => String(a[k] ?? '') !== String(b[k] ?? ''))
    .map((k) => `${k}: ${names[0]} '${String(a[k] ?? '')}' vs ${names[1]} '${String(b[k] ?? '')}'`);
  return diffs.length ? diffs.join('; ') : null;
}

/**
 * Why the WebGPU rows must not be compared, or null: every adapter handed out must be the same
 * one (all four fields), and each library must report that adapter (on the fields it keeps).
 */
export function whyNotComparable(handed: readonly HandedAdapter[], webgrad: AdapterFacts, tfjs: AdapterFacts): string | null {
  if (handed.length < 2) return `expected both libraries to request an adapter, saw ${handed.length} request(s)`;
  for (const [i, h] of handed.entries()) {
    const m = adapterMismatch(handed[0].info, h.info, ['request 1', `request ${i + 1}`]);
    if (m) return m;
  }
  return adapterMismatch(webgrad, tfjs) ?? adapterMismatch(handed[0].info, webgrad, ['handed out', 'webgrad']) ?? adapterMismatch(handed[0].info, tfjs, ['handed out', 'tfjs']);
}
