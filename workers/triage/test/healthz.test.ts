import { env, exports } from 'cloudflare:workers';
import { bundledConfig, HealthSchema } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { createTriageApp } from '../src/app.ts';

const app = createTriageApp(bundledConfig());
const ADMIN = 'admin-token-for-healthz';

/** /healthz as the operator sees it: with the admin token. */
async function health(bindings: Partial<Env>) {
  const res = await app.request(
    '/healthz',
    { headers: { authorization: `Bearer ${ADMIN}` } },
    { ...env, ADMIN_TOKEN: ADMIN, ...bindings },
  );
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  return HealthSchema.parse(await res.json());
}

describe('triage /healthz', () => {
  test('without credentials it runs in dry-run mode instead of failing', async ({ expect }) => {
    const res = await exports.default.fetch('https://triage.test/healthz');
    expect(res.status).toBe(200);
    expect(HealthSchema.parse(await res.json())).toMatchObject({
      name: 'triage',
      mode: 'dry-run',
      env: 'test',
      database: { ok: true, schemaVersion: 3 },
    });
  });

  test('anyone learns the mode; which credentials are set only with the admin token', async ({
    expect,
  }) => {
    const secrets = { GITHUB_TOKEN: 'github_pat_x', MODEL_API_KEY: 'k', ADMIN_TOKEN: ADMIN };
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${ADMIN}`]) {
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
    const h = await health(secrets);
    expect(h.capabilities).toEqual({ github: true, model: true, webhooks: false, admin: true });
  });

  test('a GitHub token switches it to live', async ({ expect }) => {
    const h = await health({ GITHUB_TOKEN: 'github_pat_for_tests' });
    expect(h.mode).toBe('live');
    expect(h.capabilities).toMatchObject({ github: true, model: false });
  });

  test('a blank secret counts as absent', async ({ expect }) => {
    const h = await health({ GITHUB_TOKEN: '   ', MODEL_API_KEY: '' });
    expect(h.mode).toBe('dry-run');
    expect(h.capabilities).toMatchObject({ github: false, model: false });
  });

  test('each optional secret turns on only its own capability', async ({ expect }) => {
    const h = await health({ MODEL_API_KEY: 'k', GITHUB_WEBHOOK_SECRET: 's' });
    expect(h.mode).toBe('dry-run');
    expect(h.capabilities).toEqual({ github: false, model: true, webhooks: true, admin: true });
  });
});
