/**
 * A tensor's element type. `float32` and `int32` exist on every backend; `float64` only on the
 * CPU backend (WebGPU has no 64-bit floats), where `gradcheck` uses it.
 *
 * PyTorch equivalent: `torch.float32`, `torch.int32`, `torch.float64`.
 */
export type DType = 'float32' | 'int32' | 'float64';
/** The host array of each {@link DType}: what `t.toArray()` returns and `tensor()` takes. */
export type TypedArray = Float32Array | Int32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'float64'];

const ctors = { float32: Float32Array, int32: Int32Array, float64: Float64Array } as const;

export function typedArrayFor(dtype: DType, lengthOrData: number | ArrayLike<number>): TypedArray {
  const C = ctors[dtype];
  return typeof lengthOrData === 'number' ? new C(lengthOrData) : C.from(lengthOrData);
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  return 'float64';
}

export const bytesPer = (dtype: DType): number => (dtype === 'float64' ? 8 : 4);
export const isFloat = (dtype: DType): boolean => dtype !== 'int32';
