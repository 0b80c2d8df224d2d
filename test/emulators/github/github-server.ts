import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorOptions, GitHubEmulator } from './github-emulator.ts';

/**
 * The GitHub emulator on a real port (issue 10, item 7): a Worker of the local stack (workerd)
 * is configured with this URL as `github.apiBaseUrl` and talks to it as it would to
 * api.github.com. 127.0.0.1 only, an ephemeral port. The emulator is built after the port is
 * known, so every URL it writes into its answers points back at this server.
 */

export interface GitHubServer {
  /** The API base URL, e.g. http://127.0.0.1:41234 (no trailing slash), plus `apiPath`. */
  url: string;
  emulator: GitHubEmulator;
  close(): Promise<void>;
}

/** GitHub's own limit for a request body is far above what the emulator needs. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer> | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.byteLength;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buf);
  }
  const all = Buffer.concat(chunks);
  const out = new Uint8Array(new ArrayBuffer(all.byteLength));
  out.set(all);
  return out;
}

async function serve(
  emulator: GitHubEmulator,
  base: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readBody(req);
  if (body === null) {
    res.writeHead(413, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Payload too large' }));
    return;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const request = new Request(new URL(req.url ?? '/', base), {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' || body.byteLength === 0 ? {} : { body }),
  });
  const response = await emulator.fetch(request);
  const out = new Uint8Array(await response.arrayBuffer());
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    outHeaders[name] = value;
  });
  outHeaders['content-length'] = String(out.byteLength);
  res.writeHead(response.status, outHeaders);
  res.end(out);
}

export async function startGitHubServer(
  options: Omit<EmulatorOptions, 'baseUrl'> & {
    /** Serve an emulator the test already holds (its URLs then name its own base URL). */
    emulator?: GitHubEmulator;
    /** A path prefix, as GitHub Enterprise Server has (`/api/v3`). */
    apiPath?: string;
  } = {},
): Promise<GitHubServer> {
  let emulator: GitHubEmulator | undefined = options.emulator;
  let base = '';
  const server = createServer((req, res) => {
    if (emulator === undefined) {
      res.writeHead(503).end();
      return;
    }
    serve(emulator, base, req, res).catch(() => {
      // An emulator bug must not take the test process down; the client sees a 500.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'emulator error' }));
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  const url = `${base}${options.apiPath ?? ''}`;
  emulator ??= new GitHubEmulator({ ...options, baseUrl: url });
  const ready = emulator;
  return {
    url,
    emulator: ready,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((err) => (err ? fail(err) : done()));
      }),
  };
}
