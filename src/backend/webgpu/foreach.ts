import entrySrc from '../../../shaders/foreach_scale.wgsl';
import { WebgradError } from '../../errors.js';
import type { Storage } from '../backend.js';
import type { PooledBuffer } from './buffer-pool.js';
import { defineKernel, type KernelDef, UNIFORM_SLOT_BYTES } from './pipelines.js';
import type { GpuRuntime } from './runtime.js';
import { type BindingDecl, type Field, shaderInterface } from './shader-interface.js';
import { elementwiseShape } from './tuner-elementwise.js';

/**
 * Backend.scaleInPlace, several targets per dispatch (multi-tensor, as torch's
 * `_foreach_mul_`): clipGradNorm_ scaled the 30 gradients of the GPT bench step with 30 mul_
 * dispatches at ~45 µs each on lavapipe (25-70 µs on real drivers); with 15 targets a dispatch
 * it is 2 (the whole step: 296 -> 268 dispatches eager, 188 -> 169 compiled, where chains had
 * already joined some of the mul_s). The kernel for k targets is generated (shaders/foreach_scale.wgsl says what it
 * holds): the factor is one read binding, each target a read_write binding with its element
 * count in the uniform slot.
 */

const OP = 'scaleInPlace';

/**
 * Targets one dispatch scales: the storage buffers per shader stage less the factor's, and no
 * more element counts than the 256-byte uniform slot holds (lavapipe, 16 storage buffers: 15;
 * the portable minimum of 8: 7).
 */
export function scaleSlotsPerDispatch(maxStorageBuffers: number): number {
  return Math.max(1, Math.min(maxStorageBuffers - 1, UNIFORM_SLOT_BYTES / 4));
}

/** Generated kernels by slot count. */
const KERNELS = new Map<number, KernelDef>();

/** The kernel scaling `slots` targets (see shaders/foreach_scale.wgsl). */
function kernelFor(slots: number): KernelDef {
  let def = KERNELS.get(slots);
  if (def !== undefined) return def;
  const fields: Record<string, Field> = {};
  const bindings: Record<string, BindingDecl> = { factor: { binding: 1, access: 'r', type: 'f32' } };
  let body = 'fn scale_slots(first: u32, stride: u32) {\n  let f = factor[0];\n';
  for (let s = 0; s < slots; s++) {
    fields[`n_${s}`] = 'u32';
    bindings[`target_${s}`] = { binding: 2 + s, access: 'w', type: 'f32' };
    body += `  for (var i = first; i < P.n_${s}; i += stride) {\n    target_${s}[i] = scale(target_${s}[i], f);\n  }\n`;
  }
  body += '}\n';
  def = defineKernel('scale', entrySrc, 'main', shaderInterface(fields, bindings), Object.keys(bindings), body);
  KERNELS.set(slots, def);
  return def;
}

/**
 * Every target *= factor[0]. Everything is checked before any dispatch. Targets run k to a
 * dispatch in their order; a storage listed again starts a new dispatch (one dispatch cannot
 * bind a buffer twice when it writes it), so it is scaled twice, as by two calls. Empty
 * targets are skipped.
 */
export function scaleInPlace(gpu: GpuRuntime, targets: readonly Storage[], factor: Storage): void {
  const f = gpu.buf(factor, OP);
  const bufs = targets.map((t) => gpu.buf(t, OP));
  if (factor.numel !== 1) throw new WebgradError(OP, `factor must have one element, got ${factor.numel}`);
  targets.forEach((t, i) => {
    if (t.dtype !== 'float32' || factor.dtype !== 'float32') throw new WebgradError(OP, `target ${i} (${t.dtype}) and factor (${factor.dtype}) must be float32`);
    if (bufs[i] === f) throw new WebgradError(OP, `target ${i} is the factor's storage`);
  });
  const k = scaleSlotsPerDispatch(gpu.limits.maxStorageBuffersPerShaderStage);
  let batch: number[] = [];
  for (let i = 0; i < targets.length; i++) {
    if (targets[i].numel === 0) continue;
    if (batch.length === k || batch.some((j) => bufs[j] === bufs[i])) {
      launch(gpu, batch.map((j) => [bufs[j], targets[j].numel]), f);
      batch = [];
    }
    batch.push(i);
  }
  if (batch.length > 0) launch(gpu, batch.map((j) => [bufs[j], targets[j].numel]), f);
}

/** One dispatch scaling each [buffer, elements] slot. */
function launch(gpu: GpuRuntime, slots: readonly (readonly [PooledBuffer, number])[], factor: PooledBuffer): void {
  const def = kernelFor(slots.length);
  const buffers: Record<string, PooledBuffer> = { factor };
  const params: Record<string, number> = {};
  let most = 0;
  slots.forEach(([buf, n], s) => {
    buffers[`target_${s}`] = buf;
    params[`n_${s}`] = n;
    most = Math.max(most, n);
  });
  const { wg, groups } = elementwiseShape(most, gpu.profile);
  gpu.run(def, { constants: { WG: wg } }, buffers as never, params as never, [groups, 1, 1], OP);
}
