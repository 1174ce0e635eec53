/**
 * What the launchers share: element type aliases, the most dims a strided kernel takes, and
 * grid sizes. (Merging dims, which both backends use, is in src/shape.ts.)
 */
import type { DType } from '../../dtype.js';
import type { ElemType } from './pipelines.js';

export const elemType = (d: DType): ElemType => (d === 'int32' ? 'i32' : 'f32');

/** Most dims a strided kernel takes (two vec4s in its uniform). */
export const MAX_RANK = 8;

/** Workgroups for n elements at `perGroup` elements per workgroup. */
export const groupsFor = (n: number, perGroup: number): number => Math.ceil(n / perGroup);

/** Elementwise kernels: 256 invocations x 4 elements each per workgroup. */
export const EW_PER_GROUP = 256 * 4;
