import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStoreEmulator, type StoreEmulator } from './store-emulator.ts';

/**
 * The Chrome Web Store emulator (store-emulator.ts) over real HTTP on 127.0.0.1, for the sandbox
 * (`npm run demo`, `npm run emulators`), where the store client runs in workerd or in the release
 * CLI and reaches the store by base URL. The OAuth token endpoint is served at `/token`.
 */
export interface StoreServer {
  emulator: StoreEmulator;
  /** `canary.storeApiBaseUrl` to configure. */
  baseUrl: string;
  /** `canary.oauthTokenUrl` to configure. */
  tokenUrl: string;
  close(): Promise<void>;
}

export async function startStoreServer(
  options: { host?: string; port?: number } = {},
): Promise<StoreServer> {
  const box: { emulator: StoreEmulator | null; origin: string } = { emulator: null, origin: '' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const emulator = box.emulator;
      if (emulator === null) {
        res.writeHead(503).end();
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string') headers.set(k, v);
      const method = req.method ?? 'GET';
      const request = new Request(`${box.origin}${req.url ?? '/'}`, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
      });
      emulator
        .fetch(request)
        .then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  box.origin = origin;
  box.emulator = createStoreEmulator({ baseUrl: origin, tokenUrl: `${origin}/token` });
  return {
    emulator: box.emulator,
    baseUrl: origin,
    tokenUrl: `${origin}/token`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
