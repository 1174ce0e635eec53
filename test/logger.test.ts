// A library must not print: init() is silent unless asked, and the warnings a user must see
// (the CPU fallback, a lost device) reach the hook set with wg.setLogger.
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as wg from 'webgrad-gpu';
import * as device from '../src/backend/webgpu/device.js';
import { nodeGPU } from '../src/backend/webgpu/node-gpu.js';
import { GpuRuntime } from '../src/backend/webgpu/runtime.js';
import { backendsUnderTest } from './helpers/backends.js';

// Spied on, not replaced: each test can make the next createWebGPUBackend() find no adapter.
vi.mock('../src/backend/webgpu/device.js', async (importOriginal) => {
  const real = await importOriginal<typeof device>();
  return { ...real, createWebGPUBackend: vi.fn(real.createWebGPUBackend) };
});

const backends = await backendsUnderTest();
const hasGpu = backends.includes('webgpu');

/** Every console method the library could reach, recorded and silenced. */
function spyConsole() {
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const spies = methods.map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
  return { calls: () => spies.flatMap((s, i) => s.mock.calls.map((c) => [methods[i], ...c])), restore: () => spies.forEach((s) => s.mockRestore()) };
}

function collector() {
  const seen: { info: string[]; warn: string[] } = { info: [], warn: [] };
  return { seen, logger: { info: (m: string) => void seen.info.push(m), warn: (m: string) => void seen.warn.push(m) } };
}

describe('logging', () => {
  let con: ReturnType<typeof spyConsole>;
  beforeEach(() => {
    con = spyConsole();
  });
  afterEach(() => {
    con.restore();
    wg.setLogger(console);
  });
  afterAll(() => wg.destroy());

  it('init() prints nothing, for every backend and for auto when an adapter exists', async () => {
    await wg.init({ backend: 'cpu' });
    for (const backend of backends) await wg.init({ backend });
    if (hasGpu) {
      expect((await wg.init()).name).toBe('webgpu');
      wg.destroy();
    }
    expect(con.calls()).toEqual([]);
  });

  it('init({ verbose: true }) names the backend through the logger, not the console', async () => {
    const { seen, logger } = collector();
    wg.setLogger(logger);
    await wg.init({ backend: 'cpu', verbose: true });
    expect(seen).toEqual({ info: ['webgrad: using the cpu backend'], warn: [] });
    expect(con.calls()).toEqual([]);
  });

  it('the CPU fallback warns through the hook, and by default through console.warn', async () => {
    vi.mocked(device.createWebGPUBackend).mockResolvedValueOnce(null);
    const { seen, logger } = collector();
    const previous = wg.setLogger(logger);
    expect(previous).toBe(console);
    expect((await wg.init()).name).toBe('cpu');
    expect(seen.warn).toHaveLength(1);
    expect(seen.warn[0]).toMatch(/no WebGPU adapter is available; using the CPU backend/);
    expect(con.calls()).toEqual([]);

    expect(wg.setLogger(console)).toBe(logger);
    vi.mocked(device.createWebGPUBackend).mockResolvedValueOnce(null);
    await wg.init();
    expect(con.calls()).toEqual([['warn', seen.warn[0]]]);
  });

  it('setLogger(null) silences the warnings; an explicit cpu choice never warns', async () => {
    vi.mocked(device.createWebGPUBackend).mockResolvedValueOnce(null);
    wg.setLogger(null);
    await wg.init({ verbose: true });
    expect(con.calls()).toEqual([]);
    const { seen, logger } = collector();
    wg.setLogger(logger);
    await wg.init({ backend: 'cpu' });
    expect(seen).toEqual({ info: [], warn: [] });
  });

  it('a refused backend choice throws and logs nothing', async () => {
    vi.mocked(device.createWebGPUBackend).mockResolvedValueOnce(null);
    await expect(wg.init({ backend: 'webgpu' })).rejects.toThrow(/no WebGPU adapter is available/);
    expect(con.calls()).toEqual([]);
  });

  it.runIf(hasGpu)('a lost WebGPU device warns through the hook; destroy() does not', async () => {
    const { seen, logger } = collector();
    wg.setLogger(logger);
    const newDevice = async () => (await (await nodeGPU())!.requestAdapter())!.requestDevice();
    const dev = await newDevice();
    const runtime = new GpuRuntime(dev);
    dev.destroy(); // from outside the runtime: to it, the device is lost
    await dev.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.warn).toEqual([expect.stringMatching(/^webgrad: the WebGPU device was lost \(destroyed: /)]);
    expect(() => runtime.live('add')).toThrow(/add: the WebGPU device was lost/);

    const dev2 = await newDevice();
    const runtime2 = new GpuRuntime(dev2);
    runtime2.destroy();
    await dev2.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.warn).toHaveLength(1);
    expect(con.calls()).toEqual([]);
  });
});
