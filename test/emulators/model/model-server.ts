import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelEmulator } from './model-emulator.ts';

/**
 * The model emulator over real HTTP on 127.0.0.1 (an OS-chosen port), for the fix bench and the
 * end-to-end tests, where the code under test runs in another process (`npm start`'s workerd)
 * and reaches the provider by base URL. Same handler, same script, same request log.
 */

export interface ModelServer {
  emulator: ModelEmulator;
  /** `http://127.0.0.1:<port>/v1`: the provider `baseUrl` to configure. */
  baseUrl: string;
  close(): Promise<void>;
}

function toRequest(req: IncomingMessage, origin: string, body: Buffer, signal: AbortSignal) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  return new Request(`${origin}${req.url ?? '/'}`, {
    method,
    headers,
    signal,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
  });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(body);
}

export async function startModelServer(
  options: { apiKey?: string; now?: () => number; basePath?: string } = {},
): Promise<ModelServer> {
  const box: { emulator: ModelEmulator | null; origin: string } = { emulator: null, origin: '' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    // A client that gives up (its timeout) closes the connection: that aborts a `hang` step.
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) aborted.abort(new Error('client closed the connection'));
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const emulator = box.emulator;
      if (emulator === null) {
        res.writeHead(503).end();
        return;
      }
      const request = toRequest(req, box.origin, Buffer.concat(chunks), aborted.signal);
      emulator
        .fetch(request)
        .then((response) => send(res, response))
        // A scripted network error (or an aborted hang): drop the connection without an answer.
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  box.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const baseUrl = `${box.origin}${options.basePath ?? '/v1'}`;
  box.emulator = new ModelEmulator({
    baseUrl,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return {
    emulator: box.emulator,
    baseUrl,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
