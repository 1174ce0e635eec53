import type { PooledBuffer } from './buffer-pool.js';
import type { BindingDecl, Field, ParamValues, ShaderInterface, SlotWords } from './shader-interface.js';

/** 'r': read-only storage; 'w': read_write storage (an in-place operand is bound once, as 'w'). */
export type Access = 'r' | 'w';
export type ElemType = 'f32' | 'i32' | 'u32';

/**
 * One entry point of a `.wgsl` file, with the shader interface it was declared with
 * (shader-interface.ts): `uses` names the storage bindings this entry point touches, which
 * are also the buffers `GpuRuntime.run` takes, by name.
 */
export interface KernelDef<P extends Record<string, Field> = Record<string, Field>, K extends string = string> {
  readonly id: number;
  readonly name: string;
  /** The generated declarations (and op switches) followed by the shader file's text. */
  readonly code: string;
  readonly entry: string;
  readonly uses: readonly K[];
  readonly storage: readonly (readonly [binding: number, access: Access])[];
  readonly layoutKey: string;
  writeParams(words: SlotWords, values: ParamValues<P>, float: boolean): void;
}

/** A specialisation: element type aliases (the only text prepended) and `override` constants. */
export interface Variant {
  readonly types?: Readonly<Record<string, ElemType>>;
  readonly constants?: Readonly<Record<string, number | boolean>>;
}

/** The buffers a dispatch binds, one per binding the entry point uses. */
export type Buffers<K extends string> = { readonly [N in K]: PooledBuffer };

let nextKernelId = 1;
/**
 * Declares entry point `entry` of shader source `code` (a `.wgsl` import) under interface
 * `iface`; `prelude` is generated WGSL placed before the source (op constants and switches).
 */
export function defineKernel<P extends Record<string, Field>, B extends Record<string, BindingDecl>, K extends keyof B & string>(
  name: string,
  code: string,
  entry: string,
  iface: ShaderInterface<P, B>,
  uses: readonly K[],
  prelude = '',
): KernelDef<P, K> {
  const storage = uses.map((u) => [iface.bindings[u].binding, iface.bindings[u].access] as const);
  const layoutKey = storage.map(([b, a]) => `${b}${a}`).join(',');
  return { id: nextKernelId++, name, code: iface.wgsl + prelude + code, entry, uses, storage, layoutKey, writeParams: iface.write };
}

export interface Kernel {
  readonly def: KernelDef;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** Bind groups are cheap but not free; a training loop re-binds the same pooled buffers. */
const MAX_BIND_GROUPS = 4096;
/** Every dispatch binds one 256-byte slot of the uniform arena. */
export const UNIFORM_SLOT_BYTES = 256;

/**
 * Caches compiled pipelines per (kernel, types, constants), bind-group layouts per binding
 * pattern, and bind groups per (layout, buffers). Buffer ids are never reused, so a bind group
 * of a destroyed buffer is simply never hit again; the cache is cleared when it grows too big.
 */
export class Pipelines {
  readonly #device: GPUDevice;
  readonly #onError: (kernel: string, message: string) => void;
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #pipelines = new Map<string, Kernel>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  #bindGroups = new Map<string, GPUBindGroup>();
  #uniform: GPUBuffer | null = null;
  /** Bind groups created so far (a compiled step's replays should create none). */
  bindGroupsCreated = 0;

  constructor(device: GPUDevice, onError: (kernel: string, message: string) => void) {
    this.#device = device;
    this.#onError = onError;
  }

  get count(): number {
    return this.#pipelines.size;
  }

  /** The uniform arena buffer every bind group points at (set once by the recorder). */
  setUniformBuffer(buf: GPUBuffer): void {
    this.#uniform = buf;
    this.#bindGroups.clear();
  }

  get(def: KernelDef, variant: Variant): Kernel {
    const key = pipelineKey(def, variant);
    let k = this.#pipelines.get(key);
    if (k === undefined) {
      k = this.#create(def, variant);
      this.#pipelines.set(key, k);
    }
    return k;
  }

  bindGroup(k: Kernel, buffers: Buffers<string>): GPUBindGroup {
    let key = k.def.layoutKey;
    for (const u of k.def.uses) key += `:${buffers[u].id}`;
    let bg = this.#bindGroups.get(key);
    if (bg === undefined) {
      if (this.#bindGroups.size >= MAX_BIND_GROUPS) this.#bindGroups = new Map();
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.#uniform!, size: UNIFORM_SLOT_BYTES } }];
      k.def.storage.forEach(([binding], i) => entries.push({ binding, resource: { buffer: buffers[k.def.uses[i]].gpu } }));
      bg = this.#device.createBindGroup({ layout: k.layout, entries });
      this.bindGroupsCreated++;
      this.#bindGroups.set(key, bg);
    }
    return bg;
  }

  #layout(def: KernelDef): GPUBindGroupLayout {
    let layout = this.#layouts.get(def.layoutKey);
    if (layout === undefined) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ];
      for (const [binding, access] of def.storage) {
        entries.push({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: access === 'w' ? 'storage' : 'read-only-storage' },
        });
      }
      layout = this.#device.createBindGroupLayout({ entries, label: def.layoutKey });
      this.#layouts.set(def.layoutKey, layout);
    }
    return layout;
  }

  #create(def: KernelDef, variant: Variant): Kernel {
    const header = Object.entries(variant.types ?? {})
      .map(([alias, t]) => `alias ${alias} = ${t};\n`)
      .join('');
    const modKey = `${def.id}|${header}`;
    const device = this.#device;
    device.pushErrorScope('validation');
    let module = this.#modules.get(modKey);
    if (module === undefined) {
      module = device.createShaderModule({ code: header + def.code, label: def.name });
      this.#modules.set(modKey, module);
    }
    const layout = this.#layout(def);
    const constants: Record<string, number> = {};
    for (const [name, v] of Object.entries(variant.constants ?? {})) constants[name] = typeof v === 'boolean' ? Number(v) : v;
    const pipeline = device.createComputePipeline({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: def.entry, constants },
      label: `${def.name}:${def.entry}`,
    });
    void device.popErrorScope().then(
      (e) => e && this.#onError(def.name, `could not build kernel ${def.entry}: ${e.message}`),
      () => {},
    );
    return { def, pipeline, layout };
  }
}

function pipelineKey(def: KernelDef, v: Variant): string {
  let key = `${def.id}`;
  if (v.types) for (const a in v.types) key += `|${a}=${v.types[a]}`;
  if (v.constants) for (const c in v.constants) key += `|${c}=${v.constants[c]}`;
  return key;
}
