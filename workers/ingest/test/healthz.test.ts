import { env, exports } from 'cloudflare:workers';
import { bundledConfig, HealthSchema } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { createIngestApp } from '../src/app.ts';

const app = createIngestApp(bundledConfig());

describe('ingest /healthz', () => {
  test('reports name, version, mode and the applied schema', async ({ expect }) => {
    const res = await app.request('/healthz', {}, env);
    expect(res.status).toBe(200);
    const health = HealthSchema.parse(await res.json());
    expect(health).toMatchObject({
      name: 'ingest',
      mode: 'live',
      env: 'test',
      database: { ok: true, schemaVersion: 3 },
    });
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('is served by the deployed entry point', async ({ expect }) => {
    const res = await exports.default.fetch('https://ingest.test/healthz');
    expect(res.status).toBe(200);
    expect(HealthSchema.parse(await res.json()).name).toBe('ingest');
  });

  test('answers 503 when the database cannot be queried', async ({ expect }) => {
    // Fault injection the real binding cannot do: a D1 that fails every query.
    const brokenDb = {
      prepare: () => ({ first: () => Promise.reject(new Error('D1_ERROR: no such table')) }),
    };
    const res = await app.request('/healthz', {}, { ...env, DB: brokenDb });
    expect(res.status).toBe(503);
    expect(HealthSchema.parse(await res.json()).database).toEqual({
      ok: false,
      schemaVersion: null,
    });
  });

  test('a misconfigured HOMEOSTAT_ENV is a generic 500 that leaks nothing', async ({ expect }) => {
    const res = await app.request('/healthz', {}, { ...env, HOMEOSTAT_ENV: 'prod<script>' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(text).not.toContain('script');
  });

  test('unknown routes are a JSON 404', async ({ expect }) => {
    const res = await app.request('/v0/nothing-here', {}, env);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
