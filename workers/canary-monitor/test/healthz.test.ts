import { env, exports } from 'cloudflare:workers';
import { bundledConfig, HealthSchema } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { createCanaryApp } from '../src/app.ts';

const app = createCanaryApp(bundledConfig());
const ADMIN = 'admin-token-for-healthz';

/** /healthz as the operator sees it: with the admin token. */
async function health(bindings: Partial<Env>) {
  const res = await app.request(
    '/healthz',
    { headers: { authorization: `Bearer ${ADMIN}` } },
    { ...env, ADMIN_TOKEN: ADMIN, ...bindings },
  );
  return { status: res.status, body: HealthSchema.parse(await res.json()) };
}

describe('canary-monitor /healthz', () => {
  test('without store credentials it observes instead of failing', async ({ expect }) => {
    const res = await exports.default.fetch('https://canary.test/healthz');
    expect(res.status).toBe(200);
    expect(HealthSchema.parse(await res.json())).toMatchObject({
      name: 'canary-monitor',
      mode: 'observe',
      env: 'test',
      database: { ok: true, schemaVersion: 3 },
    });
  });

  test('anyone learns the mode; which credentials are set only with the admin token', async ({
    expect,
  }) => {
    const secrets = { CWS_SERVICE_ACCOUNT_KEY: '{"type":"service_account"}', ADMIN_TOKEN: ADMIN };
    for (const authorization of [undefined, 'Bearer wrong']) {
      const res = await app.request(
        '/healthz',
        authorization === undefined ? {} : { headers: { authorization } },
        { ...env, ...secrets },
      );
      expect(res.status).toBe(200);
      const body = HealthSchema.parse(await res.json());
      expect(body.mode).toBe('live');
      expect(body.capabilities).toEqual({});
    }
    const { body } = await health(secrets);
    expect(body.capabilities).toEqual({ store: true, admin: true, slack: false });
  });

  test('an OAuth client with a refresh token is live', async ({ expect }) => {
    const { status, body } = await health({
      CWS_CLIENT_ID: 'id',
      CWS_CLIENT_SECRET: 'secret',
      CWS_REFRESH_TOKEN: 'refresh',
    });
    expect(status).toBe(200);
    expect(body.mode).toBe('live');
  });

  test('an incomplete OAuth client stays in observe mode', async ({ expect }) => {
    const { body } = await health({ CWS_CLIENT_ID: 'id', CWS_CLIENT_SECRET: 'secret' });
    expect(body.mode).toBe('observe');
    expect(body.capabilities.store).toBe(false);
  });

  test('a service-account key alone is live', async ({ expect }) => {
    const { body } = await health({ CWS_SERVICE_ACCOUNT_KEY: '{"type":"service_account"}' });
    expect(body.mode).toBe('live');
  });
});
