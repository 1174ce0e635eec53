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

/** Decompresses gzip: node:zlib in Node, `DecompressionStream` elsewhere. */
export async function gunzip(bytes: Uint8Array, op: string, name: string): Promise<Uint8Array> {
  if (!isNode) return gunzipWithStream(bytes, op, name);
  const zlib = await import('node:zlib');
  const out = await new Promise<Uint8Array>((resolve, reject) =>
    zlib.gunzip(bytes, (err, res) => (err ? reject(err) : resolve(res))),
  ).catch((e: Error) => {
    throw new WebgradError(op, `${name}: gzip data is corrupt (${e.message})`);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The browser path, exported so Node tests can run it too (Node >= 18 has DecompressionStream). */
export async function gunzipWithStream(bytes: Uint8Array, op: string, name: string): Promise<Uint8Array> {
  try {
    const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    const stream = input.pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new WebgradError(op, `${name}: gzip data is corrupt (${(e as Error).message})`);
  }
}
