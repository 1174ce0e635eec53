import { WebgradError, fmtShape } from '../errors.js';
import { shapeBoundError } from '../shape.js';
import { type ByteSource, readBytes } from './source.js';

/**
 * The safetensors format, byte for byte:
 *
 *   u64 little-endian N | N bytes of UTF-8 JSON header | byte buffer
 *
 * The header maps each tensor name to `{"dtype":"F32","shape":[..],"data_offsets":[begin,end]}`
 * (offsets relative to the start of the byte buffer) plus an optional `"__metadata__"` object of
 * strings. Tensors are little-endian, row-major, and tile the buffer exactly: no gaps, no overlap.
 * The writer pads the header with spaces to a multiple of 8 bytes so every tensor is aligned.
 */
export type SafetensorsDtype = 'float32' | 'int32' | 'float64';

/** One tensor of a safetensors file, on the host: what {@link encodeSafetensors} writes. */
export interface SafetensorsEntry {
  /** float32 (`F32`), int32 (`I32`) or float64 (`F64`). */
  dtype: SafetensorsDtype;
  /** The dims, outermost first. */
  shape: number[];
  /** The elements, row-major; `shape`'s product of them. */
  data: Float32Array | Int32Array | Float64Array;
}

const OP_SAVE = 'saveSafetensors';
const OP_LOAD = 'loadSafetensors';
const META = '__metadata__';
/** The reference implementation refuses larger headers; so do we (a corrupt length, usually). */
const MAX_HEADER = 100_000_000;

const CODES = { float32: 'F32', int32: 'I32', float64: 'F64' } as const;
const FROM_CODE: Record<string, { dtype: SafetensorsDtype; size: number }> = {
  F32: { dtype: 'float32', size: 4 },
  I32: { dtype: 'int32', size: 4 },
  F64: { dtype: 'float64', size: 8 },
  // PyTorch's integer tensors (BatchNorm's num_batches_tracked, token ids) are int64: read as
  // int32 when every value fits, refused naming the tensor otherwise.
  I64: { dtype: 'int32', size: 8 },
};
/** Valid safetensors dtypes webgrad has no tensor type for: a clearer error than "unknown". */
const OTHER_CODES = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'U32', 'U64'];
/** The reference writer's dtype order (I32 < F32 < F64), which it lays out in descending order. */
const RANK = { int32: 0, float32: 1, float64: 2 } as const;
const ARRAYS = { float32: Float32Array, int32: Int32Array, float64: Float64Array } as const;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serialises host arrays to safetensors bytes (`wg.save` does this for tensors).
 *
 * PyTorch equivalent: `safetensors.torch.save(tensors, metadata)`.
 *
 * Serialises tensors to safetensors bytes. Tensors are laid out as the reference writer
 * (huggingface/safetensors `serialize`) does: F64, then F32, then I32, each group by name. So
 * every tensor is aligned to its element size, and a file with at most one metadata key is
 * byte-identical to the reference writer's (its metadata is a hash map, in no fixed order).
 */
export function encodeSafetensors(
  entries: Record<string, SafetensorsEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(entries);
  for (const name of names) checkEntry(name, entries[name]);
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new WebgradError(OP_SAVE, `metadata '${k}' must be a string, got ${typeof v}`);
  }
  names.sort((a, b) => RANK[entries[b].dtype] - RANK[entries[a].dtype] || byCodePoint(a, b));

  // Built as text, not JSON.stringify(object): objects enumerate integer-like keys first.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(META)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = entries[name];
    const info = { dtype: CODES[dtype], shape, data_offsets: [offset, offset + data.byteLength] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const name of names) {
    out.set(littleEndianBytes(entries[name].data), at);
    at += entries[name].data.byteLength;
  }
  return out;
}

function checkEntry(name: string, e: SafetensorsEntry): void {
  const fail = (msg: string) => new WebgradError(OP_SAVE, `tensor '${name}': ${msg}`);
  if (name === META) throw fail(`the name ${META} is reserved for the metadata`);
  if (!(e.dtype in CODES)) throw fail(`dtype must be float32, int32 or float64, got ${String(e.dtype)}`);
  if (!(e.data instanceof ARRAYS[e.dtype])) throw fail(`dtype ${e.dtype} needs a ${ARRAYS[e.dtype].name}, got ${e.data?.constructor?.name}`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw fail(`shape must be non-negative integers, got ${JSON.stringify(e.shape)}`);
  }
  const numel = e.shape.reduce((a, b) => a * b, 1);
  if (numel !== e.data.length) throw fail(`shape ${fmtShape(e.shape)} holds ${numel} elements, data has ${e.data.length}`);
}

/** UTF-8 byte order (what the reference writer sorts by), which is code point order. */
function byCodePoint(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0)!);
  const cb = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
  return ca.length - cb.length;
}

function littleEndianBytes(data: Float32Array | Int32Array | Float64Array): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return view;
  const out = view.slice();
  const size = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

/**
 * Decodes safetensors bytes into host arrays (copies, aligned) and the metadata strings;
 * refuses a malformed file (truncated, overlapping or gapped tensors, a dtype webgrad lacks)
 * naming what is wrong.
 *
 * PyTorch equivalent: `safetensors.torch.load(bytes)` plus `safe_open(...).metadata()`.
 */
export function parseSafetensors(bytes: Uint8Array): {
  /** Each tensor by name. */
  tensors: Record<string, SafetensorsEntry>;
  /** The `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
} {
  const fail = (msg: string) => new WebgradError(OP_LOAD, msg);
  if (bytes.length < 8) throw fail(`expected at least 8 bytes (the header length), got ${bytes.length}`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) throw fail(`header length ${n} is over the 100 MB limit (corrupt file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw fail(`header must start with '{', got ${JSON.stringify(text.slice(0, 16))}`);
  const dup = duplicateKey(text);
  if (dup !== null) throw fail(`header has the key ${JSON.stringify(dup)} twice (JSON.parse would keep only the last)`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw fail('header must be a JSON object');

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  // Null-prototype maps: a tensor named '__proto__' is an ordinary entry, not a prototype.
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const infos: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number; wide: boolean }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === META) {
      if (!isObject(info)) throw fail(`${META} must be an object of strings`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw fail(`${META} values must be strings, '${k}' is ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const bad = (msg: string) => fail(`tensor '${name}': ${msg}`);
    if (!isObject(info)) throw bad('expected {"dtype", "shape", "data_offsets"}');
    const { dtype: code, shape, data_offsets: offsets } = info;
    const known = typeof code === 'string' && Object.hasOwn(FROM_CODE, code) ? FROM_CODE[code] : undefined;
    if (known === undefined) {
      throw typeof code === 'string' && OTHER_CODES.includes(code)
        ? bad(`unsupported dtype ${code} (webgrad reads F32, I32, F64, and I64 whose values fit int32)`)
        : bad(`unknown dtype ${JSON.stringify(code)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw bad(`shape must be non-negative integers, got ${JSON.stringify(shape)}`);
    const why = shapeBoundError(shape as number[]);
    if (why !== null) throw bad(why);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
      throw bad(`data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (end > dataLen) throw bad(`data_offsets [${begin},${end}] run past the ${dataLen}-byte buffer (truncated?)`);
    const need = shape.reduce((a: number, b: number) => a * b, 1) * known.size;
    if (end - begin !== need) {
      throw bad(`data_offsets [${begin},${end}] hold ${end - begin} bytes, but shape ${fmtShape(shape)} of ${code} needs ${need}`);
    }
    infos.push({ name, dtype: known.dtype, shape, begin, end, wide: known.size === 8 && known.dtype === 'int32' });
  }

  // The tensors must tile the buffer: sorted by offset, each begins where the previous ended.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const [i, t] of infos.entries()) {
    if (t.begin < at) throw fail(`tensors '${infos[i - 1].name}' and '${t.name}' overlap (bytes ${t.begin}..${at})`);
    if (t.begin > at) throw fail(`${t.begin - at} unused bytes before tensor '${t.name}' (offset ${at})`);
    at = t.end;
  }
  if (at !== dataLen) throw fail(`${dataLen - at} bytes after the last tensor: the byte buffer is ${dataLen} bytes, tensors cover ${at}`);

  const tensors: Record<string, SafetensorsEntry> = Object.create(null) as Record<string, SafetensorsEntry>;
  for (const t of infos) {
    const raw = bytes.slice(dataStart + t.begin, dataStart + t.end);
    tensors[t.name] = { dtype: t.dtype, shape: t.shape, data: t.wide ? narrowInt64(t.name, raw) : fromLittleEndian(t.dtype, raw) };
  }
  return { tensors, metadata };
}

/**
 * Decodes safetensors bytes into host arrays by name; {@link parseSafetensors} also gives the
 * metadata.
 *
 * PyTorch equivalent: `safetensors.torch.load(bytes)`.
 */
export function decodeSafetensors(bytes: Uint8Array): Record<string, SafetensorsEntry> {
  return parseSafetensors(bytes).tensors;
}

/**
 * Reads a `.safetensors` file (a path in Node, a URL, or bytes) into host arrays and metadata;
 * `wg.load` makes tensors of them.
 *
 * PyTorch equivalent: `safetensors.torch.load_file(path)`.
 */
export async function readSafetensors(source: ByteSource): Promise<ReturnType<typeof parseSafetensors>> {
  return parseSafetensors((await readBytes(source, OP_LOAD)).bytes);
}

/** `raw` is a fresh copy, so its buffer starts at 0 and may be reinterpreted in place. */
function fromLittleEndian(dtype: SafetensorsDtype, raw: Uint8Array<ArrayBuffer>): Float32Array | Int32Array | Float64Array {
  const C = ARRAYS[dtype];
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < raw.length; i += C.BYTES_PER_ELEMENT) raw.subarray(i, i + C.BYTES_PER_ELEMENT).reverse();
  }
  return new C(raw.buffer, 0, raw.length / C.BYTES_PER_ELEMENT);
}

/** Little-endian int64 values as int32, or a WebgradError naming the first that does not fit. */
function narrowInt64(name: string, raw: Uint8Array<ArrayBuffer>): Int32Array {
  const view = new DataView(raw.buffer);
  const out = new Int32Array(raw.length / 8);
  for (let i = 0; i < out.length; i++) {
    const v = view.getBigInt64(8 * i, true);
    if (v < -2147483648n || v > 2147483647n) {
      throw new WebgradError(OP_LOAD, `tensor '${name}': I64 value ${v} at index ${i} does not fit int32 (webgrad's integer type)`);
    }
    out[i] = Number(v);
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The first key that appears twice in one object of the JSON `text`, or null. JSON.parse keeps
 * the last silently, so a file could show one tensor to one reader and another to us. Invalid
 * JSON yields null here and is refused by JSON.parse after.
 */
function duplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      i = j;
      let k = j + 1;
      while (k < text.length && (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r')) k++;
      const keys = stack.at(-1);
      if (text[k] !== ':' || !keys) continue;
      let key: string;
      try {
        key = JSON.parse(raw) as string;
      } catch {
        return null;
      }
      if (keys.has(key)) return key;
      keys.add(key);
    }
  }
  return null;
}
