import type { ConvArgs } from '../backend/backend.js';
import { check, fmtShape } from '../errors.js';
import { options } from '../options.js';
import type { Tensor } from '../tensor.js';
import { add } from './binary.js';
import { reshape } from './shape-ops.js';
import { pad } from './slicing.js';
import { checkSameBackend, opScope, record, requireFloat, requireSupported, wrap } from './util.js';

// Convolutions in PyTorch 1.13's semantics on three backend primitives (ConvArgs): the forward,
// its input gradient and its weight gradient. conv2d's backward is the two gradients;
// convTranspose2d's forward is the input gradient, its backward the forward (to the input) and
// the weight gradient with the roles of x and dy swapped. conv1d is conv2d with a height of 1.

/** A size per spatial dim: one number for all, or one each ([h, w] for 2-D). */
export type ConvSize = number | readonly number[];

/** Options of `conv1d` and `conv2d` (PyTorch's keyword arguments). */
export interface ConvOptions {
  /** Step between windows (default 1). */
  stride?: ConvSize;
  /**
   * Zeros added on both sides of each spatial dim (default 0), or 'valid' (none) or 'same'
   * (the output has the input's size; stride 1 only, an odd total puts the extra zero after).
   */
  padding?: ConvSize | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: ConvSize;
  /** Channels split into this many independent groups (default 1; inChannels for depthwise). */
  groups?: number;
}

/** Options of `convTranspose2d` (PyTorch's keyword arguments). */
export interface ConvTransposeOptions {
  /** Step of the convolution this transposes (default 1). */
  stride?: ConvSize;
  /** That convolution's padding: dilation·(k-1) - padding zeros around the input (default 0). */
  padding?: ConvSize;
  /** Extra rows/columns on the bottom/right of the output (default 0; below stride or dilation). */
  outputPadding?: ConvSize;
  /** Channel groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: ConvSize;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** One value per spatial dim from a number or a list of `dims` integers, each >= min. */
function sizes(op: string, name: string, v: unknown, dims: number, min: number): number[] {
  const list = typeof v === 'number' ? Array<number>(dims).fill(v) : v;
  check(Array.isArray(list) && list.length === dims && list.every((e) => isInt(e) && e >= min), op, () =>
    `${name} must be an integer >= ${min} or a list of ${dims} such integers, got ${Array.isArray(v) ? fmtShape(v) : String(v)}`);
  return list;
}

function checkGroups(op: string, groups: unknown): number {
  check(isInt(groups) && groups >= 1, op, () => `groups must be a positive integer, got ${String(groups)}`);
  return groups;
}

/** The operands' shared checks: live, one backend, float, one dtype, and a [C] bias. */
function checkOperands(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, outC: number | null): void {
  checkSameBackend(op, x, weight, ...(bias ? [bias] : []));
  requireFloat(op, x);
  requireFloat(op, weight);
  check(x.dtype === weight.dtype, op, () => `input (${x.dtype}) and weight (${weight.dtype}) must have the same dtype`);
  requireSupported(op, x, x.dtype);
  if (bias) {
    check(bias.dtype === x.dtype, op, () => `bias (${bias.dtype}) must have the input's dtype (${x.dtype})`);
    if (outC !== null) {
      check(bias.ndim === 1 && bias.shape[0] === outC, op, () => `bias must have shape [${outC}] (one per output channel), got ${fmtShape(bias.shape)}`);
    }
  }
}

/** The input's rank: batched (dims + 2) or unbatched (dims + 1), as PyTorch accepts both. */
function checkRank(op: string, x: Tensor, weight: Tensor, dims: number): boolean {
  const layout = dims === 1 ? '[N, C, L]' : '[N, C, H, W]';
  check(x.ndim === dims + 2 || x.ndim === dims + 1, op, () =>
    `expected a ${dims + 2}-D input ${layout} (or ${dims + 1}-D unbatched), got shape ${fmtShape(x.shape)}`);
  check(weight.ndim === dims + 2, op, () => `expected a ${dims + 2}-D weight, got shape ${fmtShape(weight.shape)}`);
  return x.ndim === dims + 2;
}

/** conv2d on 4-D operands with the geometry already checked. */
function conv2dCore(x: Tensor, weight: Tensor, bias: Tensor | null, a: ConvArgs): Tensor {
  const out = wrap(x, x.backend.conv2d(x.storage, weight.storage, bias ? bias.storage : null, a), [a.batch, a.outC, a.outH, a.outW]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('conv2d', out, inputs, [x, weight], (dy, needs) => [
    needs[0] ? wrap(dy, dy.backend.conv2dInputGrad(dy.storage, weight.storage, a), x.shape) : null,
    needs[1] ? wrap(dy, dy.backend.conv2dWeightGrad(x.storage, dy.storage, a), weight.shape) : null,
    ...(bias ? [needs[2] ? dy.sum([0, 2, 3]) : null] : []),
  ]);
}

/** convTranspose2d (no bias) on 4-D operands: `a` is the geometry of the conv it transposes. */
function convTranspose2dCore(x: Tensor, weight: Tensor, a: ConvArgs): Tensor {
  const out = wrap(x, x.backend.conv2dInputGrad(x.storage, weight.storage, a), [a.batch, a.inC, a.inH, a.inW]);
  return record('convTranspose2d', out, [x, weight], [x, weight], (dy, needs) => [
    needs[0] ? wrap(dy, dy.backend.conv2d(dy.storage, weight.storage, null, a), x.shape) : null,
    needs[1] ? wrap(dy, dy.backend.conv2dWeightGrad(dy.storage, x.storage, a), weight.shape) : null,
  ]);
}

/** Output size of a convolution along one dim, or a clear error when the window does not fit. */
function outSize(op: string, dim: string, size: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number, shapes: string): number {
  const span = dilation * (k - 1) + 1;
  check(size + padBefore + padAfter >= span, op, () =>
    `the kernel's ${dim} (${k}${dilation > 1 ? `, dilated to ${span}` : ''}) is larger than the padded input's (${size} + ${padBefore + padAfter} padding) for ${shapes}`);
  return Math.floor((size + padBefore + padAfter - span) / stride) + 1;
}

/** conv1d and conv2d: checks, 'same' padding, the unbatched and 1-D views, then conv2dCore. */
function convNd(op: string, dims: 1 | 2, x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOptions | undefined): Tensor {
  const o = options(op, opts, ['stride', 'padding', 'dilation', 'groups']);
  checkOperands(op, x, weight, bias, null);
  const batched = checkRank(op, x, weight, dims);
  const stride = sizes(op, 'stride', o.stride ?? 1, dims, 1);
  const dilation = sizes(op, 'dilation', o.dilation ?? 1, dims, 1);
  const groups = checkGroups(op, o.groups ?? 1);
  const shapes = `input of shape ${fmtShape(x.shape)} and weight of shape ${fmtShape(weight.shape)}`;
  const inC = x.shape[batched ? 1 : 0];
  const [outC, wInC] = weight.shape;
  const kernel = weight.shape.slice(2);
  const spatial = x.shape.slice(batched ? 2 : 1);
  check(outC % groups === 0, op, () => `groups (${groups}) must divide the weight's ${outC} output channels (${shapes})`);
  check(wInC * groups === inC, op, () =>
    `the input has ${inC} channels but the weight expects ${wInC * groups} (${wInC} per group × ${groups} group${groups > 1 ? 's' : ''}): ${shapes}`);
  checkOperands(op, x, weight, bias, outC);
  // Padding per dim as [before, after]; 'same' may put one more zero after (PyTorch's rule).
  let padding: [number, number][];
  if (o.padding === 'same') {
    check(stride.every((s) => s === 1), op, () => `padding='same' is not supported for strided convolutions (stride ${fmtShape(stride)})`);
    padding = kernel.map((k, i) => {
      const total = dilation[i] * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else if (o.padding === 'valid') {
    padding = kernel.map(() => [0, 0]);
  } else {
    check(typeof o.padding !== 'string', op, () => `padding must be 'same', 'valid', an integer or a list of ${dims}, got '${String(o.padding)}'`);
    padding = sizes(op, 'padding', o.padding ?? 0, dims, 0).map((p) => [p, p]);
  }
  const names = dims === 1 ? ['length'] : ['height', 'width'];
  const outSp = spatial.map((s, i) => outSize(op, names[i], s, kernel[i], stride[i], padding[i][0], padding[i][1], dilation[i], shapes));
  return opScope(() => {
    // 2-D views: [N, C, 1, L] for 1-D, a batch of one for an unbatched input.
    const n = batched ? x.shape[0] : 1;
    const h = dims === 1 ? 1 : spatial[0];
    let x4 = batched && dims === 2 ? x : reshape(x, [n, inC, h, spatial[dims - 1]]);
    const w4 = dims === 1 ? reshape(weight, [outC, wInC, 1, kernel[0]]) : weight;
    const extra = padding.map(([b, e]) => e - b);
    if (extra.some((e) => e > 0)) x4 = pad(x4, dims === 1 ? [0, extra[0]] : [0, extra[1], 0, extra[0]]);
    const p2 = dims === 1 ? [0, padding[0][0]] : [padding[0][0], padding[1][0]];
    const s2 = dims === 1 ? [1, stride[0]] : stride;
    const d2 = dims === 1 ? [1, dilation[0]] : dilation;
    const k2 = dims === 1 ? [1, kernel[0]] : kernel;
    const args: ConvArgs = {
      batch: n, inC, inH: x4.shape[2], inW: x4.shape[3], outC, outH: dims === 1 ? 1 : outSp[0], outW: outSp[dims - 1],
      kH: k2[0], kW: k2[1], strideH: s2[0], strideW: s2[1], padH: p2[0], padW: p2[1], dilH: d2[0], dilW: d2[1], groups,
    };
    const y = conv2dCore(x4, w4, bias, args);
    return reshape(y, batched ? [n, outC, ...outSp] : [outC, ...outSp]);
  });
}

/**
 * 2-D convolution (cross-correlation) of x [N, C, H, W] (or [C, H, W]) with weight
 * [outC, C/groups, kH, kW] and an optional bias [outC], as torch.nn.functional.conv2d.
 *
 * PyTorch equivalent: `torch.nn.functional.conv2d`.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts?: ConvOptions): Tensor {
  return convNd('conv2d', 2, x, weight, bias ?? null, opts);
}

/**
 * 1-D convolution of x [N, C, L] (or [C, L]) with weight [outC, C/groups, k] and an optional
 * bias [outC], as torch.nn.functional.conv1d.
 *
 * PyTorch equivalent: `torch.nn.functional.conv1d`.
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts?: ConvOptions): Tensor {
  return convNd('conv1d', 1, x, weight, bias ?? null, opts);
}

/**
 * Transposed 2-D convolution ("deconvolution", the gradient of conv2d with respect to its
 * input) of x [N, C, H, W] (or [C, H, W]) with weight [C, outC/groups, kH, kW] and an optional
 * bias [outC]; the output is (H-1)·stride - 2·padding + dilation·(kH-1) + outputPadding + 1 high
 * (likewise wide).
 *
 * PyTorch equivalent: `torch.nn.functional.conv_transpose2d`.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts?: ConvTransposeOptions): Tensor {
  const op = 'convTranspose2d';
  const o = options(op, opts, ['stride', 'padding', 'outputPadding', 'groups', 'dilation']);
  bias = bias ?? null;
  checkOperands(op, x, weight, bias, null);
  const batched = checkRank(op, x, weight, 2);
  const stride = sizes(op, 'stride', o.stride ?? 1, 2, 1);
  const dilation = sizes(op, 'dilation', o.dilation ?? 1, 2, 1);
  const padding = sizes(op, 'padding', o.padding ?? 0, 2, 0);
  const outPad = sizes(op, 'outputPadding', o.outputPadding ?? 0, 2, 0);
  const groups = checkGroups(op, o.groups ?? 1);
  const shapes = `input of shape ${fmtShape(x.shape)} and weight of shape ${fmtShape(weight.shape)}`;
  const inC = x.shape[batched ? 1 : 0];
  const [wIn, wOut] = weight.shape;
  const outC = wOut * groups;
  check(wIn === inC, op, () => `the input has ${inC} channels but the weight [inC, outC/groups, kH, kW] expects ${wIn}: ${shapes}`);
  check(inC % groups === 0, op, () => `groups (${groups}) must divide the input's ${inC} channels (${shapes})`);
  outPad.forEach((p, i) => check(p < stride[i] || p < dilation[i], op, () =>
    `outputPadding (${fmtShape(outPad)}) must be smaller than either stride (${fmtShape(stride)}) or dilation (${fmtShape(dilation)})`));
  checkOperands(op, x, weight, bias, outC);
  const [h, w] = x.shape.slice(batched ? 2 : 1);
  const [kH, kW] = weight.shape.slice(2);
  const outH = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + outPad[0] + 1;
  const outW = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kW - 1) + outPad[1] + 1;
  check(outH > 0 && outW > 0, op, () => `the output would be ${outH} x ${outW} (padding ${fmtShape(padding)} is too large for ${shapes})`);
  return opScope(() => {
    const n = batched ? x.shape[0] : 1;
    const x4 = batched ? x : reshape(x, [1, inC, h, w]);
    // The conv this transposes maps [n, outC, outH, outW] to x's [n, inC, h, w].
    const args: ConvArgs = {
      batch: n, inC: outC, inH: outH, inW: outW, outC: inC, outH: h, outW: w, kH, kW,
      strideH: stride[0], strideW: stride[1], padH: padding[0], padW: padding[1], dilH: dilation[0], dilW: dilation[1], groups,
    };
    let y = convTranspose2dCore(x4, weight, args);
    if (bias) y = add(y, reshape(bias, [1, outC, 1, 1]));
    return batched ? y : reshape(y, [outC, outH, outW]);
  });
}
