import type { DeviceLostInfo } from '../backend.js';
import { isNode, nodeGPU, requestAdapterQuietly } from './node-gpu.js';
import { detectProfile, type KernelProfile } from './tuner.js';
import { WebGPUBackend } from './webgpu-backend.js';

export { WebGPUBackend } from './webgpu-backend.js';

export interface WebGPUBackendOptions {
  powerPreference?: GPUPowerPreference;
  /** Node only: options for Dawn's create(), e.g. ['backend=vulkan']. */
  dawnOptions?: readonly string[];
  /**
   * Caps workgroups per grid dimension below the device's limit (65535), so that tests can
   * reach the folded 2-D grids with small tensors. Leave unset otherwise.
   */
  maxWorkgroupsPerDimension?: number;
  /**
   * Kernel shapes for a real GPU or a CPU-emulated adapter (lavapipe, SwiftShader); detected
   * from the adapter's info when unset. See tuner.ts.
   */
  profile?: KernelProfile;
  /** Hears once when the device is lost (a driver reset, someone else's destroy()). */
  onLost?: (info: DeviceLostInfo) => void;
}

/**
 * Limits the kernels lean on, requested at the adapter's maximum instead of WebGPU's defaults
 * (128 MiB bindings, 256 invocations, 16 KiB workgroup memory), so big tensors fit wherever
 * the hardware allows.
 */
const WANTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * A WebGPU backend on the first adapter, or null when there is none: `navigator.gpu` in
 * browsers, Dawn (the optional `webgpu` package) in Node.
 */
export async function createWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const gpu = nav?.gpu ?? (isNode() ? await nodeGPU(opts.dawnOptions) : null);
  if (!gpu) return null;
  const adapter = await requestAdapterQuietly(gpu, opts.powerPreference ? { powerPreference: opts.powerPreference } : {});
  if (!adapter) return null;
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const v = adapter.limits[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  // Timestamp queries are only for wg.profile(); ask for them where the adapter has them.
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'webgrad' });
  const info = adapter.info;
  const description = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
  };
  const isFallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter);
  return new WebGPUBackend(device, description, {
    instance: gpu,
    profile: opts.profile ?? detectProfile(description, isFallback),
    maxGroupsPerDim: opts.maxWorkgroupsPerDimension,
    onLost: opts.onLost,
  });
}
