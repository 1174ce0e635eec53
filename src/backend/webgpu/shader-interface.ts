import type { Access } from './pipelines.js';
import { UNIFORM_SLOT_BYTES } from './pipelines.js';

/**
 * A shader's interface with the host, declared once: its uniform `Params` struct and its
 * storage bindings. From the declaration come the WGSL text prepended to the shader (the
 * struct, `var<uniform> P`, every `@binding` line), the writer that fills a dispatch's uniform
 * slot from named values (offsets by WGSL's uniform layout rules), and each entry point's
 * bind-group layout. A field or binding that the host and the shader name differently does
 * not compile (TS) or does not validate (WGSL): it can never be read at the wrong offset.
 */

/**
 * A uniform field: a 32-bit scalar, `T` (the element type alias: f32 or i32, chosen per
 * variant), or `u32x8`/`i32x8`, eight values stored as `array<vec4<u32|i32>, 2>` (uniform
 * arrays need a 16-byte stride, so scalars are packed four to a vec4).
 */
export type Field = 'u32' | 'i32' | 'f32' | 'T' | 'u32x8' | 'i32x8';

export interface BindingDecl {
  readonly binding: number;
  readonly access: Access;
  /** WGSL element type: a type alias (T, U, S, D) or a scalar type. */
  readonly type: string;
  /** Also declare a vec4 view of the same binding under this name (for the vec4 kernels). */
  readonly vec4?: string;
}

/** The values a dispatch writes: a number per scalar field, a list for an array field. */
export type ParamValues<P extends Record<string, Field>> = {
  readonly [K in keyof P]: P[K] extends 'u32x8' | 'i32x8' ? readonly number[] : number;
};

interface Placed {
  readonly name: string;
  readonly field: Field;
  /** Offset in 32-bit words from the start of the struct. */
  readonly word: number;
}

export interface ShaderInterface<P extends Record<string, Field>, B extends Record<string, BindingDecl>> {
  readonly params: P;
  readonly bindings: B;
  /** The WGSL declarations: struct Params, the uniform P and every storage binding. */
  readonly wgsl: string;
  /** Writes `values` into the slot's words; `float` says whether T is f32 (else i32). */
  write(words: SlotWords, values: ParamValues<P>, float: boolean): void;
}

/** One uniform slot seen as 32-bit words of each type, starting at word `base`. */
export interface SlotWords {
  readonly u: Uint32Array;
  readonly i: Int32Array;
  readonly f: Float32Array;
  readonly base: number;
}

const WGSL_FIELD: Record<Field, string> = {
  u32: 'u32',
  i32: 'i32',
  f32: 'f32',
  T: 'T',
  u32x8: 'array<vec4<u32>, 2>',
  i32x8: 'array<vec4<i32>, 2>',
};

const isArray = (f: Field): boolean => f === 'u32x8' || f === 'i32x8';

export function shaderInterface<const P extends Record<string, Field>, const B extends Record<string, BindingDecl>>(
  params: P,
  bindings: B,
): ShaderInterface<P, B> {
  // WGSL uniform layout: scalars align to 4 bytes, arrays of vec4 to 16.
  const placed: Placed[] = [];
  let word = 0;
  for (const [name, field] of Object.entries(params)) {
    if (isArray(field)) word = Math.ceil(word / 4) * 4;
    placed.push({ name, field, word });
    word += isArray(field) ? 8 : 1;
  }
  if (word * 4 > UNIFORM_SLOT_BYTES) throw new Error(`webgrad internal: Params of ${word * 4} bytes exceed a uniform slot`);
  const used = new Set<number>();
  for (const [name, b] of Object.entries(bindings)) {
    if (b.binding === 0 || used.has(b.binding)) throw new Error(`webgrad internal: binding ${b.binding} of '${name}' is taken`);
    used.add(b.binding);
  }
  const wgsl =
    `struct Params {\n${placed.map((p) => `  ${p.name}: ${WGSL_FIELD[p.field]},\n`).join('')}}\n` +
    `@group(0) @binding(0) var<uniform> P: Params;\n` +
    Object.entries(bindings)
      .map(([name, b]) => {
        const space = b.access === 'w' ? 'storage, read_write' : 'storage, read';
        const line = `@group(0) @binding(${b.binding}) var<${space}> ${name}: array<${b.type}>;\n`;
        return b.vec4 ? line + `@group(0) @binding(${b.binding}) var<${space}> ${b.vec4}: array<vec4<${b.type}>>;\n` : line;
      })
      .join('');
  const write = (w: SlotWords, values: ParamValues<P>, float: boolean): void => {
    const vals = values as Record<string, number | readonly number[]>;
    for (const { name, field, word: at } of placed) {
      const v = vals[name];
      const k = w.base + at;
      if (isArray(field)) {
        const list = v as readonly number[];
        const arr = field === 'u32x8' ? w.u : w.i;
        for (let j = 0; j < 8; j++) arr[k + j] = list[j] ?? 0;
      } else if (field === 'u32') w.u[k] = (v as number) >>> 0;
      else if (field === 'i32' || (field === 'T' && !float)) w.i[k] = (v as number) | 0;
      else w.f[k] = v as number;
    }
  };
  return { params, bindings, wgsl, write };
}
