import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { productionDeps } from '../src/canary-deps.ts';
import { createHarness, healthy } from './support/canary-harness.ts';

describe('production dependencies from bindings', () => {
  test('store credentials select live mode and a client for the configured item', ({ expect }) => {
    const h = createHarness();
    const extension = h.config.extensions[0];
    if (extension === undefined) throw new Error('no extension');
    expect(productionDeps(env, h.config).storeFor(extension)).toBeNull();
    const oauth = productionDeps(
      { ...env, CWS_CLIENT_ID: 'id', CWS_CLIENT_SECRET: 'secret', CWS_REFRESH_TOKEN: 'refresh' },
      h.config,
    );
    expect(oauth.storeCredentials).toBe(true);
    expect(oauth.storeFor(extension)?.itemName).toBe(`publishers/pub-1/items/${h.extensionId}`);
  });

  test('a malformed service-account key is a typed error the tick turns into one alert', async ({
    expect,
  }) => {
    const h = createHarness();
    const bad = productionDeps({ ...env, CWS_SERVICE_ACCOUNT_KEY: '{"type":"nope"}' }, h.config);
    const extension = h.config.extensions[0];
    if (extension === undefined) throw new Error('no extension');
    expect(() => bad.storeFor(extension)).toThrow(
      expect.objectContaining({ code: 'store_credentials_invalid' }),
    );
    // Through the cron: the live rollout holds with an alert instead of failing the tick.
    h.publishCanary();
    await h.seed(20, healthy);
    await h.register();
    h.wrapStore((client) => bad.storeFor(extension) ?? client);
    for (let i = 0; i < 3; i++) await h.tick();
    const r = await h.rollout();
    expect(r).toMatchObject({ state: 'PREFLIGHT', open_alert: 'store_credentials_invalid' });
    expect((await h.notifications()).length).toBe(1);
  });
});
