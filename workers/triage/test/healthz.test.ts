import { env, exports } from 'cloudflare:workers';
import { bundledConfig, HealthSchema } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { createTriageApp } from '../src/app.ts';

const app = createTriageApp(bundledConfig());

async function health(bindings: Partial<Env>) {
  const res = await app.request('/healthz', {}, { ...env, ...bindings });
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
      capabilities: { github: false, model: false, webhooks: false, admin: false },
      database: { ok: true, schemaVersion: 2 },
    });
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
    const h = await health({ MODEL_API_KEY: 'k', GITHUB_WEBHOOK_SECRET: 's', ADMIN_TOKEN: 'a' });
    expect(h.mode).toBe('dry-run');
    expect(h.capabilities).toEqual({ github: false, model: true, webhooks: true, admin: true });
  });
});
