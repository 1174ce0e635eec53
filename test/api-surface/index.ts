// The rows of test/api-surface.test.ts: one per public name, each asserting a value that a
// plausible bug would change (a wrong shape, dtype, element or ignored argument), on whichever
// backend the block selected. Keys: 'add' (wg.add), 'nn.functional.mseLoss', 'Tensor#square'
// (a method), 'nn.Module#zeroGrad', 'Tensor.fromStorage' (a static). Adding a case is one row
// in functions.ts, tensor.ts, modules.ts (nn, data), losses.ts, optim.ts, or the issue-11 ops'
// files: ops11-math.ts (activations, elementwise, where), ops11-shape.ts (joining, slicing,
// indexing), ops11-stats.ts (bmm, statistics, random sampling).
import { COMPILE } from './compile.js';
import { CONV } from './conv.js';
import { ATTENTION } from './attention.js';
import { FUNCTIONS } from './functions.js';
import { GPT } from './gpt.js';
import type { Run } from './helpers.js';
import { LOSSES } from './losses.js';
import { MODULES } from './modules.js';
import { OPTIM } from './optim.js';
import { POOL } from './pool.js';
import { REL } from './rel.js';
import { OPS11_MATH } from './ops11-math.js';
import { OPS11_SHAPE } from './ops11-shape.js';
import { OPS11_STATS } from './ops11-stats.js';
import { TENSOR } from './tensor.js';

export type { Ctx, Run } from './helpers.js';

/**
 * Rows the enumeration cannot see: instance fields, members only subclasses declare, and the
 * protected helpers a user's own Module subclass calls.
 */
export const FIELDS = new Set([
  'Tensor#shape', 'Tensor#dtype', 'Tensor#grad', 'Tensor#gradFn', 'optim.Optimizer#paramGroups', 'optim.Optimizer#step',
  'nn.Module#registerParameter', 'nn.Module#registerModule', 'nn.Module#forward',
]);

/** Every row; a key defined in two files is an error (the test says which). */
export const PARTS: Record<string, Record<string, Run>> = {
  FUNCTIONS,
  TENSOR,
  MODULES,
  LOSSES,
  OPTIM,
  OPS11_MATH,
  OPS11_SHAPE,
  OPS11_STATS,
  POOL,
  REL,
  CONV,
  ATTENTION,
  GPT,
  COMPILE,
};
export const CASES: Record<string, Run> = Object.assign({}, ...Object.values(PARTS));
