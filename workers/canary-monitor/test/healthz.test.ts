import { env, exports } from 'cloudflare:workers';
import { bundledConfig, HealthSchema } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { createCanaryApp } from '../src/app.ts';

const app = createCanaryApp(bundledConfig());

async function health(bindings: Partial<Env>) {
  const res = await app.request('/healthz', {}, { ...env, ...bindings });
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
      capabilities: { store: false, admin: false },
      database: { ok: true, schemaVersion: 2 },
    });
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
