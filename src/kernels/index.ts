// The op tables: what each op is, declared once for the op layer and every backend.
export { UNARY, UNARY_OPS, type UnaryDef, type UnaryOp } from './unary.js';
export { BINARY, BINARY_OPS, type ArithOp, type BinaryDef, type BinaryOp, type CompareOp, type RowKernel } from './binary.js';
