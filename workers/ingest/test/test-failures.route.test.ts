import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, test } from 'vitest';
import report from '../../../test/fixtures/playwright/report-1.65.1.json' with { type: 'json' };
import { forgetExtensionLeases } from '../src/extension-lease.ts';
import type { TestFailuresResponse } from '../src/test-failures/test-failures.route.ts';
import { createApp, randomExtensionId, testConfig } from './ingest-test-kit.ts';

beforeEach(() => forgetExtensionLeases());

const FIXTURE_COMMIT = 'f948ad1ad894ed64175d1ed738fe1d439db4b12e';
let runs = 0;

/** The real report as a new CI run: its own start time, so its own event ids. */
function newRun(): typeof report {
  const copy = structuredClone(report);
  runs++;
  copy.stats.startTime = new Date(Date.UTC(2026, 11, 1, 0, runs)).toISOString();
  return copy;
}

function setup() {
  const extensionId = randomExtensionId();
  const app = createApp(testConfig({ id: extensionId }));
  const post = async (body: unknown, query = '', headers: Record<string, string> = {}) => {
    const res = await app.post(`/v1/test-failures${query}`, body, { headers });
    return { res, body: (await res.json()) as TestFailuresResponse };
  };
  const flush = async (fingerprints: (string | null)[]) => {
    for (const fp of new Set(fingerprints)) {
      if (fp !== null)
        await runDurableObjectAlarm(env.FINGERPRINTS.getByName(`${extensionId}:${fp}`));
    }
  };
  return { extensionId, app, post, flush };
}

describe('POST /v1/test-failures', () => {
  test('a real Playwright report: one new event per failed test, the commit from its metadata', async ({
    expect,
  }) => {
    const { post } = setup();
    const { res, body } = await post(newRun());
    expect(res.status).toBe(202);
    expect(body.failures).toBe(3);
    expect(body.accepted).toBe(3);
    expect(body.commit).toBe(FIXTURE_COMMIT);
    expect(body.results.map((r) => r.status)).toEqual(['new', 'new', 'new']);
    expect(new Set(body.results.map((r) => r.fingerprint)).size).toBe(3);
  });

  test('posting the same report again changes nothing: every event is a duplicate', async ({
    expect,
  }) => {
    const { post } = setup();
    const run = newRun();
    const first = await post(run);
    const again = await post(run);
    expect(again.body.results.map((r) => r.status)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(again.body.results.map((r) => r.fingerprint)).toEqual(
      first.body.results.map((r) => r.fingerprint),
    );
  });

  test('a failure seen on two commits becomes an open problem on the test surface, scrubbed', async ({
    expect,
  }) => {
    const { post, flush, extensionId } = setup();
    const a = await post(newRun(), '?sha=1111111111111111111111111111111111111111&version=1.4.2', {
      'cf-connecting-ip': '198.51.100.7',
    });
    const b = await post(newRun(), '', {
      'x-homeostat-commit': '2222222222222222222222222222222222222222',
      'cf-connecting-ip': '203.0.113.9',
    });
    expect(a.body.commit).toBe('1111111111111111111111111111111111111111');
    expect(b.body.commit).toBe('2222222222222222222222222222222222222222');
    expect(b.body.results.map((r) => r.status)).toEqual(['known', 'known', 'known']);
    const fingerprint = a.body.results[0]?.fingerprint ?? null;
    await flush(a.body.results.map((r) => r.fingerprint));
    const row = await env.DB.prepare(
      'SELECT state, installs, error_type, culprit FROM fingerprints WHERE extension_id = ? AND fingerprint = ?',
    )
      .bind(extensionId, fingerprint)
      .first();
    expect(row).toMatchObject({ state: 'open', installs: 2, error_type: 'TypeError' });
    expect(String(row?.culprit)).toContain('popup.js');
    const sample = await env.DB.prepare(
      'SELECT surface, version, event FROM samples WHERE extension_id = ? AND fingerprint = ? ORDER BY occurred_at LIMIT 1',
    )
      .bind(extensionId, fingerprint)
      .first<{ surface: string; version: string; event: string }>();
    expect(sample?.surface).toBe('test');
    expect(['1.4.2', '0']).toContain(sample?.version);
    const stored = JSON.parse(sample?.event ?? '{}');
    expect(stored.context.test.titlePath).toEqual([
      'popup.spec.ts',
      'popup',
      'shows the tab count',
    ]);
    // The report's commit author (personal data) never reaches storage.
    expect(sample?.event).not.toContain('fixture.author@example.com');
  });

  test('a report without failures is accepted with nothing to send', async ({ expect }) => {
    const { post } = setup();
    const green = newRun();
    green.suites = [];
    const { res, body } = await post(green);
    expect(res.status).toBe(202);
    expect(body).toEqual({ accepted: 0, failures: 0, commit: FIXTURE_COMMIT, results: [] });
  });

  test.for([
    ['a bad ?sha=', '?sha=not-a-sha', 'sha'],
    ['a bad ?version=', '?version=1.2.3.4.5', 'version'],
  ] as const)('400 for %s, naming the field', async ([, query, path], { expect }) => {
    const { res, body } = await setup().post(newRun(), query);
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ error: { code: 'invalid_request', issues: [{ path }] } });
  });

  test('400 for a body that is not a Playwright report, without echoing it', async ({ expect }) => {
    const { res, body } = await setup().post({ suites: 'SECRET-VALUE', stats: {} });
    expect(res.status).toBe(400);
    const text = JSON.stringify(body);
    expect(text).toContain('suites');
    expect(text).not.toContain('SECRET-VALUE');
  });

  test('401 without the ingest key, 413 above 256 KiB', async ({ expect }) => {
    const { app } = setup();
    expect((await app.post('/v1/test-failures', newRun(), { key: null })).status).toBe(401);
    const big = newRun();
    big.config.metadata = {
      ...big.config.metadata,
      padding: 'x'.repeat(300 * 1024),
    } as typeof big.config.metadata;
    expect((await app.post('/v1/test-failures', big)).status).toBe(413);
  });
});
