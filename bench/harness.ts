// Timing, alternation, medians, the printed table and the JSON record. Nothing here knows about
// webgrad or tfjs: a row hands in two factories of "run one iteration to completion".

export type Impl = 'webgrad' | 'tfjs';
export type Unit = 'GFLOP/s' | 'GB/s' | 'ms';

/** One implementation of one case, set up and ready: `run()` resolves when the GPU is done. */
export interface Runner {
  run(): Promise<void>;
  /**
   * Runs one iteration (untimed) and reads its result back, for the answer check before
   * timing: both libraries' answers must agree within the case's `tolerance`.
   */
  answer?(): Promise<ArrayLike<number>>;
  dispose?(): void | Promise<void>;
  /** Extra facts about one iteration (dispatches, submits, kernels), filled in after the reps. */
  counters?(): Record<string, number | string> | Promise<Record<string, number | string>>;
}

export interface Case {
  /** Row family number as in BENCHMARKS.md ('1'..'6'). */
  row: string;
  name: string;
  size: string;
  /** What `work` counts: flops (GFLOP/s), bytes moved (GB/s), or nothing (ms: lower is better). */
  unit: Unit;
  work?: number;
  /** Multiply the median by this before printing an 'ms' row (e.g. batches measured -> epoch). */
  scale?: number;
  /** Ops per `run()` (back to back, one wait at the end); times and rates are per op. */
  inner?: number;
  reps: number;
  warmup: number;
  note?: string;
  /**
   * Relative 2-norm error allowed between the two libraries' `answer()`s (float32 kernels that
   * sum in different orders). A case without answers is reported as unchecked.
   */
  tolerance?: number;
  webgrad: () => Promise<Runner>;
  tfjs: () => Promise<Runner>;
}

/** The answer check that ran before timing: both results agreed (ok) or the row was refused. */
export interface Check {
  ok: boolean;
  /** How many values were compared. */
  values: number;
  relErr: number | null;
  tolerance: number;
  detail?: string;
}

export interface Side {
  /** Milliseconds of each timed repetition, in the order they ran. */
  samples: number[];
  medianMs: number | null;
  /** GFLOP/s or GB/s from the median; null for 'ms' rows. */
  metric: number | null;
  counters?: Record<string, number | string>;
  error?: string;
}

export interface Result {
  row: string;
  name: string;
  size: string;
  backend: string;
  unit: Unit;
  work?: number;
  scale?: number;
  /** Ops per `run()` (back to back, one wait at the end); times and rates are per op. */
  inner?: number;
  reps: number;
  warmup: number;
  note?: string;
  /** The untimed answer check; null when the case has no answers to compare. */
  check: Check | null;
  webgrad: Side;
  tfjs: Side;
  /** tfjs median / webgrad median: above 1 means webgrad is faster. */
  speedup: number | null;
  /** With --runs N > 1: each run's medians and speedup, in run order (the fields above are their medians). */
  runs?: { webgradMs: (number | null)[]; tfjsMs: (number | null)[]; speedups: (number | null)[] };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const errText = (e: unknown): string => {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
};

/**
 * ‖a - b‖ / ‖b‖ over the finite entries; a non-finite entry must be non-finite in both (NaN
 * matching NaN, infinities exactly). Returns the error, or a description of the mismatch.
 */
export function compareAnswers(a: ArrayLike<number>, b: ArrayLike<number>): { relErr: number | null; detail?: string } {
  if (a.length !== b.length) return { relErr: null, detail: `${a.length} values vs ${b.length}` };
  if (b.length === 0) return { relErr: null, detail: 'empty answers prove nothing' };
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) {
      if (!(Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return { relErr: null, detail: `[${i}]: ${a[i]} vs ${b[i]}` };
      continue;
    }
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return { relErr: Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30) };
}

async function checkAnswers(c: Case, runners: Record<Impl, Runner | null>): Promise<Check | null> {
  const [w, t] = [runners.webgrad, runners.tfjs];
  if (!w?.answer || !t?.answer) return null;
  const tolerance = c.tolerance ?? 1e-5;
  try {
    const [a, b] = [await w.answer(), await t.answer()];
    const { relErr, detail } = compareAnswers(a, b);
    const ok = relErr !== null && relErr <= tolerance;
    return { ok, values: b.length, relErr, tolerance, detail: ok ? undefined : detail ?? `relative error ${relErr!.toExponential(2)} > ${tolerance}` };
  } catch (e) {
    return { ok: false, values: 0, relErr: null, tolerance, detail: `the check itself failed: ${errText(e)}` };
  }
}

async function safeDispose(r: Runner | null): Promise<void> {
  try {
    await r?.dispose?.();
  } catch {
    // a failed case may leave half-built state; the next case starts from fresh tensors
  }
}

/**
 * Sets both implementations up and checks that their answers agree (once, untimed: a fast
 * wrong kernel must not look like a speedup; a row whose answers differ is refused, not timed),
 * warms each up, then times `reps` rounds. Rounds alternate which
 * implementation goes first (A B, B A, ...) so drift on a shared, noisy machine (another process,
 * thermal state, lavapipe's thread pool) lands on both sides alike. Each sample is one `run()`,
 * which ends at completion (a readback or onSubmittedWorkDone), never at the enqueue.
 */
export async function measure(c: Case, backend: string): Promise<Result> {
  const impls: Impl[] = ['webgrad', 'tfjs'];
  const runners: Record<Impl, Runner | null> = { webgrad: null, tfjs: null };
  const sides: Record<Impl, Side> = {
    webgrad: { samples: [], medianMs: null, metric: null },
    tfjs: { samples: [], medianMs: null, metric: null },
  };
  const fail = async (impl: Impl, e: unknown): Promise<void> => {
    sides[impl].error = errText(e);
    await safeDispose(runners[impl]);
    runners[impl] = null;
  };
  for (const impl of impls) {
    try {
      runners[impl] = await c[impl]();
    } catch (e) {
      await fail(impl, e);
    }
  }
  const check = await checkAnswers(c, runners);
  if (check && !check.ok) {
    for (const impl of impls) await fail(impl, new Error(`refused: the answers differ (${check.detail})`));
  }
  for (let w = 0; w < c.warmup; w++) {
    for (const impl of impls) {
      const r = runners[impl];
      if (!r) continue;
      try {
        await r.run();
      } catch (e) {
        await fail(impl, e);
      }
    }
  }
  for (let rep = 0; rep < c.reps; rep++) {
    const order = rep % 2 === 0 ? impls : [...impls].reverse();
    for (const impl of order) {
      const r = runners[impl];
      if (!r) continue;
      try {
        const t0 = performance.now();
        await r.run();
        sides[impl].samples.push(performance.now() - t0);
      } catch (e) {
        await fail(impl, e);
      }
    }
  }
  for (const impl of impls) {
    const side = sides[impl];
    const r = runners[impl];
    if (r?.counters) {
      try {
        side.counters = await r.counters();
      } catch {
        // counters are informative only
      }
    }
    await safeDispose(r);
    if (side.samples.length === 0 || side.error) continue;
    const perOp = median(side.samples) / (c.inner ?? 1);
    side.medianMs = perOp * (c.scale ?? 1);
    if (c.unit !== 'ms' && c.work) side.metric = c.work / (perOp / 1000) / 1e9;
  }
  const w = sides.webgrad.medianMs;
  const t = sides.tfjs.medianMs;
  return {
    row: c.row,
    name: c.name,
    size: c.size,
    backend,
    unit: c.unit,
    work: c.work,
    scale: c.scale,
    inner: c.inner,
    reps: c.reps,
    warmup: c.warmup,
    note: c.note,
    check,
    webgrad: sides.webgrad,
    tfjs: sides.tfjs,
    speedup: w !== null && t !== null ? t / w : null,
  };
}

// ---- the table ----

export function fmtMs(ms: number | null): string {
  if (ms === null) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

function fmtMetric(r: Result, side: Side): string {
  if (side.metric === null) return r.unit === 'ms' ? '' : 'n/a';
  const v = side.metric;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const HEADER = ['row', 'case', 'size', 'backend', 'webgrad median', 'tfjs median', 'rate unit', 'webgrad rate', 'tfjs rate', 'speedup'];

export function tableRow(r: Result): string[] {
  const unit = r.unit === 'ms' ? '' : r.unit;
  return [
    r.row,
    r.name,
    r.size,
    r.backend,
    fmtMs(r.webgrad.medianMs),
    fmtMs(r.tfjs.medianMs),
    unit,
    fmtMetric(r, r.webgrad),
    fmtMetric(r, r.tfjs),
    fmtSpeedup(r),
  ];
}

/** `2.10x`, or with several runs the median and the range across runs: `2.10x (1.90-2.31)`. */
function fmtSpeedup(r: Result): string {
  if (r.speedup === null) return r.check && !r.check.ok ? 'refused' : 'n/a';
  const runs = (r.runs?.speedups ?? []).filter((v): v is number => v !== null);
  if (runs.length < 2) return `${r.speedup.toFixed(2)}x`;
  return `${r.speedup.toFixed(2)}x (${Math.min(...runs).toFixed(2)}-${Math.max(...runs).toFixed(2)})`;
}

/**
 * Folds N runs of the same case into one Result: medians of the per-run medians (and of the
 * per-run speedups), each run's numbers kept in `runs`; the check must have passed in every run.
 */
export function combineRuns(results: readonly Result[]): Result {
  const first = results[0];
  if (results.length === 1) return first;
  const med = (xs: (number | null)[]): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? median(v) : null;
  };
  const side = (k: Impl): Side => {
    const ms = results.map((r) => r[k].medianMs);
    const metric = results.map((r) => r[k].metric);
    const error = results.map((r) => r[k].error).find(Boolean);
    return { samples: results.flatMap((r) => r[k].samples), medianMs: med(ms), metric: med(metric), counters: results.at(-1)![k].counters, ...(error ? { error } : {}) };
  };
  const failed = results.find((r) => r.check && !r.check.ok);
  return {
    ...first,
    check: failed?.check ?? first.check,
    webgrad: side('webgrad'),
    tfjs: side('tfjs'),
    speedup: med(results.map((r) => r.speedup)),
    runs: { webgradMs: results.map((r) => r.webgrad.medianMs), tfjsMs: results.map((r) => r.tfjs.medianMs), speedups: results.map((r) => r.speedup) },
  };
}

/** A Markdown table (it reads fine in a terminal, and BENCHMARKS.md takes it as is). */
export function formatTable(results: readonly Result[]): string {
  const rows = [HEADER, HEADER.map(() => '---'), ...results.map(tableRow)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const out = rows.map((r, i) => (i === 1 ? `|${widths.map((w, j) => (j >= 4 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|` : line(r)));
  return out.join('\n');
}

/** Errors and notes below the table, so a failed row says why. */
export function formatNotes(results: readonly Result[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const tag = `row ${r.row} ${r.name} ${r.size} [${r.backend}]`;
    if (r.note) lines.push(`- ${tag}: ${r.note}`);
    if (r.check === null) lines.push(`- ${tag}: answers not checked (the case has no answer())`);
    else if (r.check.ok) lines.push(`- ${tag}: answer checked against tfjs before timing: ${r.check.values} values, relative error ${r.check.relErr!.toExponential(1)} (tolerance ${r.check.tolerance})`);
    else if (!r.check.ok) lines.push(`- ${tag}: REFUSED, the answers differ: ${r.check.detail}`);
    const wl = r.webgrad.counters?.finalLoss ?? r.webgrad.counters?.lastLoss;
    const tl = r.tfjs.counters?.finalLoss ?? r.tfjs.counters?.lastLoss;
    if (typeof wl === 'number' && typeof tl === 'number') {
      lines.push(`- ${tag}: same computation check, loss after the last timed step: webgrad ${wl.toPrecision(6)}, tfjs ${tl.toPrecision(6)}`);
    }
    if (r.webgrad.error) lines.push(`- ${tag}: webgrad failed: ${r.webgrad.error}`);
    if (r.tfjs.error) lines.push(`- ${tag}: tfjs failed: ${r.tfjs.error}`);
  }
  return lines.join('\n');
}

/**
 * A second table from the counters: how many GPU dispatches (webgrad) and kernels (tfjs) one
 * op or step takes, and the host time spent issuing it (JS, encoding, submits) before the wait.
 */
export function formatCounters(results: readonly Result[]): string {
  const header = ['row', 'case', 'size', 'backend', 'webgrad dispatches', 'tfjs kernels', 'webgrad issue', 'tfjs issue'];
  // (WebGPU rows only: on the CPU backends the issue time is the whole computation.)
  const num = (v: unknown): string => (typeof v === 'number' ? String(v) : '');
  const ms = (v: unknown): string => (typeof v === 'number' ? fmtMs(v) : '');
  const rows = results
    .filter((r) => r.backend === 'webgpu' && (r.webgrad.counters || r.tfjs.counters))
    .map((r) => [
      r.row,
      r.name,
      r.size,
      r.backend,
      num(r.webgrad.counters?.dispatchesPerIter),
      num(r.tfjs.counters?.kernelsPerIter),
      ms(r.webgrad.counters?.issueMs),
      ms(r.tfjs.counters?.issueMs),
    ]);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, j) => (j >= 4 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
