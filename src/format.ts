import type { DType, TypedArray } from './dtype.js';
import { fmtShape } from './errors.js';
import { hostValues } from './ops/util.js';
import type { Shape } from './shape.js';
import { numelOf } from './shape.js';
import type { Tensor } from './tensor.js';

// PyTorch's print options (torch.set_printoptions defaults): above 1000 elements only the
// first and last 3 of each dim are shown, floats get 4 decimals, lines wrap at 80 columns.
const THRESHOLD = 1000;
const EDGE = 3;
const PRECISION = 4;
const LINE_WIDTH = 80;

/** The indices shown along a dim of `size`: all, or the edges with null for the `...`. */
function shownIndices(size: number, summarize: boolean): (number | null)[] {
  if (!summarize || size <= 2 * EDGE) return Array.from({ length: size }, (_, i) => i);
  return [0, 1, 2, null, size - 3, size - 2, size - 1];
}

/** Python's `{:.4e}`: two exponent digits at least (1.0000e+00, not 1.0000e+0). */
const sci = (v: number): string => v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');

/**
 * One number formatter for the whole tensor (its shown values), chosen as PyTorch's _Formatter
 * chooses: integers as is; floats that are all whole as `3.`; else 4 decimals; scientific
 * notation when the non-zero magnitudes span more than 1000x or exceed 1e8 (or, for
 * fractions, go below 1e-4).
 */
function formatterFor(values: number[], dtype: DType): (v: number) => string {
  const special = (v: number): string | null => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (dtype === 'int32') return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  // Loops, not Math.min(...): a summarised tensor of high rank shows millions of values.
  let [lo, hi] = [Infinity, 0];
  for (const v of finite) {
    const m = Math.abs(v);
    if (m !== 0 && m < lo) lo = m;
    if (m > hi) hi = m;
  }
  if (hi === 0) lo = 0;
  if (finite.every(Number.isInteger)) {
    if (hi / lo > 1000 || hi > 1e8) return (v) => special(v) ?? sci(v);
    return (v) => special(v) ?? `${v.toFixed(0)}.`;
  }
  if (hi / lo > 1000 || hi > 1e8 || lo < 1e-4) return (v) => special(v) ?? sci(v);
  return (v) => special(v) ?? v.toFixed(PRECISION);
}

/**
 * The values of a tensor in PyTorch's layout: `tensor([[ 0.1000, -2.0000], ...])`, with `...`
 * for large tensors, and `suffix` (e.g. `dtype=float64`) after the values as PyTorch does.
 */
export function formatTensor(data: ArrayLike<number>, shape: Shape, dtype: DType, suffix: string[]): string {
  const prefix = 'tensor(';
  const numel = numelOf(shape);
  const tail = suffix.length ? `, ${suffix.join(', ')})` : ')';
  if (numel === 0) return `${prefix}[]${tail}`;
  const summarize = numel > THRESHOLD;
  const strides = shape.map((_, i) => numelOf(shape.slice(i + 1)));
  // First pass: the shown values, so every element is padded to one width.
  const shown: number[] = [];
  const collect = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      shown.push(data[offset]);
      return;
    }
    for (const i of shownIndices(shape[dim], summarize)) if (i !== null) collect(dim + 1, offset + i * strides[dim]);
  };
  collect(0, 0);
  const fmt = formatterFor(shown, dtype);
  let width = 0;
  for (const v of shown) width = Math.max(width, fmt(v).length);
  const cell = (v: number): string => fmt(v).padStart(width);
  const render = (dim: number, offset: number, indent: number): string => {
    if (dim === shape.length) return cell(data[offset]);
    const idx = shownIndices(shape[dim], summarize);
    if (dim === shape.length - 1) {
      const items = idx.map((i) => (i === null ? ' ...' : cell(data[offset + i * strides[dim]])));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - dim - 1)}${' '.repeat(indent + 1)}`;
    return `[${idx.map((i) => (i === null ? '...' : render(dim + 1, offset + i * strides[dim], indent + 1))).join(sep)}]`;
  };
  return `${prefix}${render(0, 0, prefix.length)}${tail}`;
}

/**
 * `t` as `toString` and `format` show it: its values (`values`, else those already on the host)
 * followed by shape, dtype, backend and autograd state; without values, those alone.
 */
export function tensorString(t: Tensor, values: TypedArray | null = hostValues(t)): string {
  const grad = t.gradFn ? [`gradFn=${t.gradFn.name}`] : t.requiresGrad ? ['requiresGrad=true'] : [];
  const meta = [`shape=${fmtShape(t.shape)}`, `dtype=${t.dtype}`, `backend=${t.backend.name}`, ...grad];
  if (values) return formatTensor(values, t.shape, t.dtype, meta);
  return `Tensor(${meta.join(', ')}, values on the device: await t.print() shows them)`;
}
