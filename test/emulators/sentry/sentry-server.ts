import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SentryEmulator, type SentryEmulatorOptions } from './sentry-emulator.ts';
import { type SentryViolation, validatingSentryFetch } from './sentry-openapi-validator.ts';

/**
 * The Sentry emulator on a real port, for a local stack whose `sources.sentry[].baseUrl` points
 * here (http on loopback is allowed for exactly this). GET only, 127.0.0.1, an ephemeral port;
 * every exchange is checked against Sentry's OpenAPI description (`violations`).
 */
export interface SentryServer {
  url: string;
  emulator: SentryEmulator;
  violations: SentryViolation[];
  close(): Promise<void>;
}

export async function startSentryServer(options: SentryEmulatorOptions): Promise<SentryServer> {
  const emulator = new SentryEmulator(options);
  const { fetch, violations } = validatingSentryFetch(emulator.fetch);
  let base = '';
  const server = createServer((req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    fetch(new URL(req.url ?? '/', base), { method: req.method ?? 'GET', headers })
      .then(async (response) => {
        const body = Buffer.from(await response.arrayBuffer());
        const out: Record<string, string> = { 'content-length': String(body.byteLength) };
        response.headers.forEach((value, name) => {
          out[name] = value;
        });
        res.writeHead(response.status, out).end(body);
      })
      .catch(() => {
        // An emulator bug must not take the test process down; the client sees a 500.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'emulator error' }));
      });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    emulator,
    violations,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((err) => (err ? fail(err) : done()));
      }),
  };
}
