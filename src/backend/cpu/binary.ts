import type { DType, TypedArray } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import { BINARY, type BinaryDef, type BinaryOp } from '../../kernels/binary.js';
import { RowWalk } from './indexing.js';
import { alloc } from './storage.js';

/**
 * Broadcasting elementwise op into a contiguous `outShape`, a row at a time with the op
 * table's row kernel (src/kernels/binary.ts: float64 arithmetic rounded once on store, int32
 * wrapping like C, IEEE comparisons).
 */
export function binary(
  op: BinaryOp,
  a: TypedArray,
  b: TypedArray,
  outShape: Shape,
  aStrides: readonly number[],
  bStrides: readonly number[],
  outDtype: DType,
): TypedArray {
  const walk = new RowWalk(outShape, aStrides, bStrides);
  const out = alloc(outDtype, walk.rows * walk.rowLen);
  const def: BinaryDef = BINARY[op];
  const kernel = (a instanceof Int32Array && def.cpuInt) || def.cpu;
  const n = walk.rowLen;
  for (let r = 0, o = 0; r < walk.rows; r++, o += n) {
    kernel(a, walk.aOff, walk.aStep, b, walk.bOff, walk.bStep, out, o, n);
    walk.next();
  }
  return out;
}

