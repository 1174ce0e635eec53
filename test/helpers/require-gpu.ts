// One rule for every suite that needs WebGPU: under CI (any value of CI, as every CI service
// sets it) or WEBGRAD_REQUIRE_GPU=1 a missing adapter is a failure; otherwise the GPU tests
// are reported as skipped, with the reason in their name, never dropped from the count.

/** Whether a missing WebGPU adapter must fail the run (and why, for the message). */
export function gpuRequiredBy(): string | null {
  if (process.env.WEBGRAD_REQUIRE_GPU === '1') return 'WEBGRAD_REQUIRE_GPU=1';
  if (process.env.CI !== undefined) return `CI=${process.env.CI}`;
  return null;
}

/** Throws when WebGPU is required here; otherwise warns and returns the skip reason. */
export function noGpu(what: string, why: string): string {
  const required = gpuRequiredBy();
  if (required) throw new Error(`${what}: WebGPU is required (${required}) but unavailable: ${why}`);
  const reason = `no WebGPU adapter (${why}); set WEBGRAD_REQUIRE_GPU=1 to make this fail`;
  console.warn(`${what} SKIPPED: ${reason}`);
  return reason;
}
