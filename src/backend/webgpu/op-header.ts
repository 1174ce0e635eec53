import { BINARY, BINARY_OPS, type BinaryOp } from '../../kernels/binary.js';
import { UNARY, UNARY_OPS, type UnaryOp } from '../../kernels/unary.js';

/**
 * WGSL generated from the op tables (src/kernels/): a named constant per op and the switch
 * functions the shaders call. The host selects an op with the `OP` override set to the same
 * code, so shader and host can never disagree on which number is which op: every op is an
 * explicit case, and the `default` arm (which WGSL requires) is unreachable.
 */

const constName = (op: string): string => `OP_${op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** The code the `OP` override takes for a unary op. */
export const unaryCode = (op: UnaryOp): number => UNARY_OPS.indexOf(op);
/** The code the `OP` override takes for a binary op. */
export const binaryCode = (op: BinaryOp): number => BINARY_OPS.indexOf(op);

const constants = (ops: readonly string[]): string => ops.map((op, i) => `const ${constName(op)}: u32 = ${i}u;\n`).join('');

/** `unary_op(v)` and `unary_grad_op(s, g)` switch over the unary table on the override `OP`. */
export const UNARY_HEADER =
  constants(UNARY_OPS) +
  `fn unary_op(v: T) -> T {\n  let p = P.p;\n  switch (OP) {\n` +
  UNARY_OPS.map((op) => `    case ${constName(op)}: { return ${UNARY[op].wgsl}; }\n`).join('') +
  `    default: { return v; }\n  }\n}\n` +
  `fn unary_grad_op(s: T, g: T) -> T {\n  let p = P.p;\n  switch (OP) {\n` +
  UNARY_OPS.map((op) => `    case ${constName(op)}: { return ${UNARY[op].wgslGrad}; }\n`).join('') +
  `    default: { return g; }\n  }\n}\n`;

/**
 * `binary_apply(code, x, y)`: the binary table as one switch over a runtime code, so that a
 * fused kernel can apply two ops (the overrides OP and OP2, or PRE). Operands are T, the
 * result U (T for arithmetic; comparisons write 1 or 0 in the requested type).
 */
export function binaryHeader(ops: readonly BinaryOp[] = BINARY_OPS): string {
  return (
    constants(BINARY_OPS) +
    `fn binary_apply(code: u32, x: T, y: T) -> U {\n  let nan = is_nan(x) || is_nan(y);\n  switch (code) {\n` +
    ops
      .map((op) => {
        const d = BINARY[op];
        const body = d.kind === 'arith' ? `U(${d.wgsl})` : `select(U(0), U(1), ${d.wgsl})`;
        return `    case ${constName(op)}: { return ${body}; }\n`;
      })
      .join('') +
    `    default: { return U(0); }\n  }\n}\n`
  );
}
