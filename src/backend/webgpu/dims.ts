/**
 * Shape arithmetic the launchers share: merging dims so strided kernels loop over as few dims
 * as possible (a contiguous [a, b, c] is one dim of a*b*c), and the element type aliases.
 */
import type { DType } from '../../dtype.js';
import type { ElemType } from './pipelines.js';

export const elemType = (d: DType): ElemType => (d === 'int32' ? 'i32' : 'f32');

/** Most dims a strided kernel takes (two vec4s in its uniform). */
export const MAX_RANK = 8;

/**
 * Drops size-1 dims and merges neighbours d, d+1 when every operand steps through them as one
 * dim (stride[d] == stride[d+1] * shape[d+1]). Returns the merged shape and each operand's
 * strides; an empty shape means a single element.
 */
export function mergeDims(shape: readonly number[], strides: readonly (readonly number[])[]): {
  shape: number[];
  strides: number[][];
} {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * size)) {
      outShape[last] *= size;
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(size);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Workgroups for n elements at `perGroup` elements per workgroup. */
export const groupsFor = (n: number, perGroup: number): number => Math.ceil(n / perGroup);

/** Elementwise kernels: 256 invocations x 4 elements each per workgroup. */
export const EW_PER_GROUP = 256 * 4;
