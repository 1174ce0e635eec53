import { WebgradError } from '../errors.js';

/**
 * Where the data readers take their bytes from: a file path (Node), a URL (fetched; `file:` URLs
 * are read from disk in Node), or bytes already in memory.
 *
 * Node built-ins are loaded with dynamic `import('node:…')` inside Node-only branches, so a
 * browser bundle never executes them; the bundler must still leave them unresolved
 * (esbuild: `external: ['node:*']`, since `platform: 'browser'` refuses to resolve `node:` ids).
 */
export type ByteSource = string | URL | ArrayBuffer | Uint8Array;

export const isNode: boolean =
  typeof process !== 'undefined' && typeof process.versions?.node === 'string';

export interface Bytes {
  bytes: Uint8Array;
  /** What error messages call the source: the path or URL as given, or `<buffer>`. */
  name: string;
}

/** Reads `source` whole; a missing file or a failed fetch is a WebgradError of `op`. */
export async function readBytes(source: ByteSource, op: string, name?: string): Promise<Bytes> {
  const got = await tryReadBytes(source, op, name);
  if (got === null) throw new WebgradError(op, `${name ?? describe(source)}: not found`);
  return got;
}

/** Like `readBytes`, but a file that does not exist (ENOENT, HTTP 404) gives `null`. */
export async function tryReadBytes(source: ByteSource, op: string, name?: string): Promise<Bytes | null> {
  const label = name ?? describe(source);
  if (source instanceof Uint8Array) return { bytes: source, name: label };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: label };

  const url = toUrl(source);
  if (url === null || (isNode && url.protocol === 'file:')) {
    const fs = await import('node:fs/promises');
    try {
      const buf = await fs.readFile(url ?? (source as string));
      // A plain Uint8Array, not a Buffer: Buffer#slice aliases instead of copying.
      return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), name: label };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new WebgradError(op, `${label}: cannot read file (${(e as Error).message})`);
    }
  }

  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new WebgradError(op, `${label}: fetch failed (${(e as Error).message})`);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new WebgradError(op, `${label}: fetch failed with HTTP ${res.status} ${res.statusText}`);
  return { bytes: new Uint8Array(await res.arrayBuffer()), name: label };
}

/** `null` means "a path on the local file system" (Node only). */
function toUrl(source: string | URL): URL | null {
  if (source instanceof URL) return source;
  if (isNode) return /^(https?|file):\/\//i.test(source) ? new URL(source) : null;
  // In a browser every string is a URL, relative ones against the page.
  return new URL(source, globalThis.location?.href);
}

function describe(source: ByteSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  return '<buffer>';
}

/** gzip streams start with the two bytes 0x1f 0x8b (RFC 1952). */
export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * How many decompressed bytes a format allows, judged from the first bytes out: `null` while
 * more are needed to tell (an IDX header is at most 1,024 bytes). Decompression stops once the
 * output passes it, so a small gzip file that claims a tiny array cannot inflate to gigabytes.
 */
export type OutputCap = (head: Uint8Array) => number | null;

/** Decompresses gzip: node:zlib in Node, `DecompressionStream` elsewhere; `cap` bounds the output. */
export async function gunzip(bytes: Uint8Array, op: string, name: string, cap?: OutputCap): Promise<Uint8Array> {
  if (!isNode) return gunzipWithStream(bytes, op, name, cap);
  const zlib = await import('node:zlib');
  const z = zlib.createGunzip();
  z.end(bytes);
  // Breaking out of the loop (over the cap) destroys the stream: nothing more is inflated.
  return collect(z as AsyncIterable<Uint8Array>, op, name, cap);
}

/** The browser path, exported so Node tests can run it too (Node >= 18 has DecompressionStream). */
export async function gunzipWithStream(bytes: Uint8Array, op: string, name: string, cap?: OutputCap): Promise<Uint8Array> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      // Runs when the consumer stops early too: cancelling stops the decompression.
      await reader.cancel().catch(() => {});
    }
  }
  return collect(chunks(), op, name, cap);
}

async function collect(chunks: AsyncIterable<Uint8Array>, op: string, name: string, cap: OutputCap | undefined): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let limit: number | null = null;
  try {
    for await (const chunk of chunks) {
      // A plain Uint8Array, not a Buffer (see tryReadBytes).
      const c = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      parts.push(c);
      total += c.byteLength;
      if (cap !== undefined && limit === null) limit = cap(total === c.byteLength ? c : concat(parts, total));
      if (limit !== null && total > limit) {
        throw new WebgradError(op, `${name}: decompresses to more than the ${limit} bytes its header implies ` +
          `(stopped after ${total} bytes; a corrupt or hostile file)`);
      }
    }
  } catch (e) {
    if (e instanceof WebgradError) throw e;
    throw new WebgradError(op, `${name}: gzip data is corrupt (${(e as Error).message})`);
  }
  return parts.length === 1 ? parts[0] : concat(parts, total);
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
