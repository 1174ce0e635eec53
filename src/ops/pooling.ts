import type { AvgPoolArgs, PoolArgs } from '../backend/backend.js';
import { WebgradError, check, fmtShape } from '../errors.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { options } from '../options.js';
import type { Tensor } from '../tensor.js';
import { opScope, record, requireFloat, requireSupported, wrap } from './util.js';

// Pooling with PyTorch 1.13's semantics (aten/src/ATen/native/Pool.h): output sizes, ceilMode's
// rule, the padding and size checks, unbatched inputs. Every op is one kernel forward and one
// backward; 1-D pooling runs the 2-D kernels on planes of height 1.

/** Options of `maxPool2d` / `nn.MaxPool2d` (each a number or an [h, w] pair). */
export interface MaxPool2dOptions {
  /** Window step (default: the kernel size). */
  stride?: number | readonly number[] | null;
  /** Implicit -Infinity padding on both sides, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Step between window elements (default 1). */
  dilation?: number | readonly number[];
  /** Round the output size up: a last partial window, if it starts inside the input or left padding. */
  ceilMode?: boolean;
}

/** Options of `avgPool2d` / `nn.AvgPool2d`. */
export interface AvgPool2dOptions {
  /** Window step (default: the kernel size). */
  stride?: number | readonly number[] | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: number | readonly number[];
  /** Round the output size up (see MaxPool2dOptions). */
  ceilMode?: boolean;
  /** Count the padding in each window's divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead (a nonzero integer). */
  divisorOverride?: number | null;
}

/** Options of `maxPool1d` / `nn.MaxPool1d`. */
export interface MaxPool1dOptions {
  /** Window step (default: the kernel size). */
  stride?: number | readonly number[] | null;
  /** Implicit -Infinity padding on both sides (default 0). */
  padding?: number | readonly number[];
  /** Step between window elements (default 1). */
  dilation?: number | readonly number[];
  /** Round the output size up (see MaxPool2dOptions). */
  ceilMode?: boolean;
}

/** Options of `avgPool1d` / `nn.AvgPool1d`. */
export interface AvgPool1dOptions {
  /** Window step (default: the kernel size). */
  stride?: number | readonly number[] | null;
  /** Implicit zero padding on both sides (default 0). */
  padding?: number | readonly number[];
  /** Round the output size up (see MaxPool2dOptions). */
  ceilMode?: boolean;
  /** Count the padding in each window's divisor (default true). */
  countIncludePad?: boolean;
}

/** A number or a list of `nd` numbers, each an integer >= min. */
function tuple(op: string, name: string, v: unknown, nd: number, min: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(nd).fill(v) : v;
  check(Array.isArray(list) && list.length === nd && list.every((d) => Number.isInteger(d) && d >= min), op, () =>
    `${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or ${nd === 1 ? 'a list of one' : `a list of ${nd}`}, got ${JSON.stringify(v)}`);
  return list as number[];
}

/** PyTorch's pooling_output_shape: the last window must start inside the input or left padding. */
function outSize(inSize: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  let out = Math.floor((inSize + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= inSize + p) out--;
  return out;
}

interface Geometry {
  /** Planes: the product of the dims before the pooled ones. */
  planes: number;
  lead: number[];
  inH: number;
  inW: number;
}

/** Checks x's rank (batched or not) and non-empty pooled/channel dims. */
function geometry(op: string, x: Tensor, nd: 1 | 2): Geometry {
  requireFloat(op, x);
  requireSupported(op, x, x.dtype);
  const ranks = nd === 2 ? [3, 4] : [2, 3];
  check(ranks.includes(x.ndim), op, () =>
    `expected a ${ranks[0]}-D (unbatched) or ${ranks[1]}-D input, got shape ${fmtShape(x.shape)}`);
  const lead = x.shape.slice(0, x.ndim - nd);
  check(x.shape.slice(x.ndim === ranks[1] ? 1 : 0).every((d) => d > 0), op, () =>
    `expected non-zero sizes in every dim but the batch, got shape ${fmtShape(x.shape)}`);
  const planes = lead.reduce((a, b) => a * b, 1);
  return nd === 2
    ? { planes, lead, inH: x.shape[x.ndim - 2], inW: x.shape[x.ndim - 1] }
    : { planes, lead, inH: 1, inW: x.shape[x.ndim - 1] };
}

/** Window arguments for nd = 1 or 2 (1-D: a height-1 window), checked as PyTorch does. */
function windows(op: string, x: Tensor, g: Geometry, nd: 1 | 2, kernelSize: unknown, o: { stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown }): PoolArgs {
  const k = tuple(op, 'kernelSize', kernelSize, nd, 1);
  const s = o.stride === undefined || o.stride === null || (Array.isArray(o.stride) && o.stride.length === 0) ? k : tuple(op, 'stride', o.stride, nd, 1);
  const p = tuple(op, 'padding', o.padding ?? 0, nd, 0);
  const d = tuple(op, 'dilation', o.dilation ?? 1, nd, 1);
  const ceil = o.ceilMode ?? false;
  check(typeof ceil === 'boolean', op, () => `ceilMode must be a boolean, got ${typeof ceil}`);
  k.forEach((kk, i) => check(p[i] <= Math.floor(kk / 2), op, () =>
    `padding ${JSON.stringify(p)} must be at most half of the kernel size ${JSON.stringify(k)}`));
  const ins = nd === 2 ? [g.inH, g.inW] : [g.inW];
  const outs = ins.map((n, i) => outSize(n, k[i], p[i], s[i], d[i], ceil));
  check(outs.every((n) => n >= 1), op, () =>
    `input of shape ${fmtShape(x.shape)} gives an output of size ${JSON.stringify(outs)} (kernel ${JSON.stringify(k)}, stride ${JSON.stringify(s)}, padding ${JSON.stringify(p)}, dilation ${JSON.stringify(d)}): output size is too small`);
  const at = (v: number[], i: number, pad: number): number => (nd === 2 ? v[i] : i === 0 ? pad : v[0]);
  return {
    planes: g.planes, inH: g.inH, inW: g.inW,
    outH: nd === 2 ? outs[0] : 1, outW: nd === 2 ? outs[1] : outs[0],
    kH: at(k, 0, 1), kW: at(k, 1, 1), sH: at(s, 0, 1), sW: at(s, 1, 1), pH: at(p, 0, 0), pW: at(p, 1, 0), dH: at(d, 0, 1), dW: at(d, 1, 1),
  };
}

const outShape = (g: Geometry, a: PoolArgs, nd: 1 | 2): number[] => (nd === 2 ? [...g.lead, a.outH, a.outW] : [...g.lead, a.outW]);

function maxPool(op: string, nd: 1 | 2, x: Tensor, kernelSize: unknown, opts: MaxPool2dOptions | undefined): Tensor {
  const o = options(op, opts, ['stride', 'padding', 'dilation', 'ceilMode']);
  const g = geometry(op, x, nd);
  const a = windows(op, x, g, nd, kernelSize, o);
  const shape = outShape(g, a, nd);
  const grad = isGradEnabled() && x.requiresGrad;
  return opScope(() => {
    const [values, indices] = x.backend.maxPool(x.storage, a, grad);
    const out = wrap(x, values, shape, x.dtype);
    if (indices === null) return out;
    const idx = wrap(x, indices, shape, 'int32');
    // The gradient goes to each window's saved index; overlapping windows add up.
    return record(op, out, [x], [idx], (dy) => [wrap(dy, dy.backend.maxPoolGrad(dy.storage, idx.storage, a), x.shape, dy.dtype)]);
  });
}

function avgPool(op: string, nd: 1 | 2, x: Tensor, kernelSize: unknown, o: AvgPool2dOptions): Tensor {
  const g = geometry(op, x, nd);
  const a = windows(op, x, g, nd, kernelSize, o);
  const countIncludePad = o.countIncludePad ?? true;
  check(typeof countIncludePad === 'boolean', op, () => `countIncludePad must be a boolean, got ${typeof countIncludePad}`);
  const div = o.divisorOverride ?? 0;
  check(o.divisorOverride === undefined || o.divisorOverride === null || (Number.isInteger(div) && div !== 0), op, () =>
    `divisorOverride must be a nonzero integer, got ${String(o.divisorOverride)}`);
  const args: AvgPoolArgs = { ...a, adaptive: false, countIncludePad, divisor: div };
  return runAvg(op, x, args, outShape(g, a, nd));
}

function runAvg(op: string, x: Tensor, a: AvgPoolArgs, shape: number[]): Tensor {
  const out = wrap(x, x.backend.avgPool(x.storage, a), shape, x.dtype);
  return record(op, out, [x], [], (dy) => [wrap(dy, dy.backend.avgPoolGrad(dy.storage, a), x.shape, dy.dtype)]);
}

/**
 * 2-D max pooling over the last two dims of [N, C, H, W] or [C, H, W]; the gradient goes to
 * one element per window (the first maximum in row-major order; a NaN is the maximum, and
 * the last NaN of a window wins, as PyTorch CPU), overlapping windows adding up.
 *
 * PyTorch equivalent: `torch.nn.functional.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)`.
 */
export function maxPool2d(x: Tensor, kernelSize: number | readonly number[], opts?: MaxPool2dOptions): Tensor {
  return maxPool('maxPool2d', 2, x, kernelSize, opts);
}

/**
 * 1-D max pooling over the last dim of [N, C, L] or [C, L] (see maxPool2d).
 *
 * PyTorch equivalent: `torch.nn.functional.max_pool1d`.
 */
export function maxPool1d(x: Tensor, kernelSize: number | readonly number[], opts?: MaxPool1dOptions): Tensor {
  return maxPool('maxPool1d', 1, x, kernelSize, opts);
}

/**
 * 2-D average pooling over the last two dims of [N, C, H, W] or [C, H, W].
 *
 * PyTorch equivalent: `torch.nn.functional.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`.
 */
export function avgPool2d(x: Tensor, kernelSize: number | readonly number[], opts?: AvgPool2dOptions): Tensor {
  const o = options('avgPool2d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  return avgPool('avgPool2d', 2, x, kernelSize, o);
}

/**
 * 1-D average pooling over the last dim of [N, C, L] or [C, L].
 *
 * PyTorch equivalent: `torch.nn.functional.avg_pool1d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)`.
 */
export function avgPool1d(x: Tensor, kernelSize: number | readonly number[], opts?: AvgPool1dOptions): Tensor {
  const o = options('avgPool1d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
  return avgPool('avgPool1d', 1, x, kernelSize, o);
}

/**
 * Average pooling to a fixed output size: output row oh averages input rows
 * [⌊oh·H/outH⌋, ⌈(oh+1)·H/outH⌉) (likewise columns). `outputSize` is a number or [h, w],
 * where null keeps that input size.
 *
 * PyTorch equivalent: `torch.nn.functional.adaptive_avg_pool2d(x, output_size)`.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const op = 'adaptiveAvgPool2d';
  const g = geometry(op, x, 2);
  const list = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  check(Array.isArray(list) && list.length === 2, op, () => `outputSize must be a number or a list of two, got ${JSON.stringify(outputSize)}`);
  const [outH, outW] = list.map((v, i) => (v === null ? (i === 0 ? g.inH : g.inW) : v));
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1) {
    throw new WebgradError(op, `outputSize must hold positive integers (or null), got ${JSON.stringify(outputSize)}`);
  }
  const a: AvgPoolArgs = {
    planes: g.planes, inH: g.inH, inW: g.inW, outH, outW, kH: 1, kW: 1, sH: 1, sW: 1, pH: 0, pW: 0, dH: 1, dW: 1,
    adaptive: true, countIncludePad: false, divisor: 0,
  };
  return runAvg(op, x, a, [...g.lead, outH, outW]);
}
