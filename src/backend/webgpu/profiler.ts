import type { KernelTime } from '../backend.js';

/** Timestamp pairs per query set: when it is full, the recorder submits and a new one starts. */
const PAIRS_PER_SET = 512;

interface Batch {
  readonly querySet: GPUQuerySet;
  readonly resolve: GPUBuffer;
  readonly labels: string[];
}

/**
 * GPU time per kernel from timestamp queries. While active, the recorder gives every dispatch
 * a compute pass of its own whose beginning and end write timestamps; each submit resolves its
 * query set and reads it back after the GPU is done. Those readbacks and the extra pass
 * boundaries make a profiled run slower than a normal one: use it for where the time goes.
 */
export class KernelProfiler {
  readonly #device: GPUDevice;
  #current: Batch | null = null;
  readonly #inFlight: Promise<void>[] = [];
  readonly #totals = new Map<string, { count: number; ns: number }>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Whether the current query set has room for another dispatch. */
  get full(): boolean {
    return this.#current !== null && this.#current.labels.length === PAIRS_PER_SET;
  }

  /** Timestamp writes for the pass of the next dispatch, labelled `label`. */
  timestampWrites(label: string): GPUComputePassTimestampWrites {
    this.#current ??= {
      querySet: this.#device.createQuerySet({ type: 'timestamp', count: 2 * PAIRS_PER_SET, label: 'webgrad:profile' }),
      resolve: this.#device.createBuffer({
        size: 16 * PAIRS_PER_SET,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
        label: 'webgrad:profile-resolve',
      }),
      labels: [],
    };
    const i = this.#current.labels.push(label) - 1;
    return { querySet: this.#current.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Called with the encoder about to be submitted: resolves this submit's timestamps into it. */
  beforeSubmit(encoder: GPUCommandEncoder): (() => void) | null {
    const batch = this.#current;
    if (!batch) return null;
    this.#current = null;
    const n = batch.labels.length;
    const staging = this.#device.createBuffer({
      size: 16 * n,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'webgrad:profile-staging',
    });
    encoder.resolveQuerySet(batch.querySet, 0, 2 * n, batch.resolve, 0);
    encoder.copyBufferToBuffer(batch.resolve, 0, staging, 0, 16 * n);
    // After the submit: read the timestamps back without blocking anything else.
    return () => {
      this.#inFlight.push(
        staging.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigUint64Array(staging.getMappedRange());
          batch.labels.forEach((label, i) => {
            const ns = Number(t[2 * i + 1] - t[2 * i]);
            const e = this.#totals.get(label) ?? { count: 0, ns: 0 };
            e.count++;
            // A pass the implementation could not time reads as 0 or wraps negative: skip its time.
            if (ns > 0 && ns < 1e12) e.ns += ns;
            this.#totals.set(label, e);
          });
          staging.destroy();
          batch.querySet.destroy();
          batch.resolve.destroy();
        }),
      );
    };
  }

  /** Waits for every submitted batch and returns the totals, most GPU time first. */
  async results(): Promise<KernelTime[]> {
    await Promise.all(this.#inFlight);
    return [...this.#totals]
      .map(([kernel, { count, ns }]) => ({ kernel, count, ms: ns / 1e6 }))
      .sort((a, b) => b.ms - a.ms);
  }
}
