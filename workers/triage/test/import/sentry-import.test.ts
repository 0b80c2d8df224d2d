import { env } from 'cloudflare:workers';
import {
  type HomeostatConfig,
  type ImportBatch,
  type ImportBatchResult,
  SentrySourceSchema,
} from '@homeostat/shared';
import { describe, test } from 'vitest';
import {
  type EmulatedEventInput,
  SentryEmulator,
} from '../../../../test/emulators/sentry/sentry-emulator.ts';
import {
  checkSentryResponse,
  validatingSentryFetch,
} from '../../../../test/emulators/sentry/sentry-openapi-validator.ts';
import {
  type ImportSink,
  importSentryIssues,
  type SentryImportDeps,
} from '../../src/import/sentry-import.cron.ts';
import { sentryImportRuntime } from '../../src/import/sentry-import-runtime.ts';
import { createClock } from '../support/clock.ts';
import { EXT_A, testConfig } from '../support/config.ts';

const TOKEN = 'sntrys_test_token_0001';
const BASE = 'https://sentry.example';
const EXT = `chrome-extension://${EXT_A}`;

/** Ingest's answers as its dedupe gives them, unless a test scripts the next ones. */
class RecordingIngest implements ImportSink {
  readonly batches: ImportBatch[] = [];
  readonly scripted: ImportBatchResult[] = [];
  readonly #seen = new Set<string>();

  async ingestImported(batch: ImportBatch): Promise<ImportBatchResult> {
    this.batches.push(batch);
    const next = this.scripted.shift();
    if (next !== undefined) return next;
    return {
      status: 'ok',
      retryAfterSeconds: 0,
      results: batch.events.map(({ event }) => {
        const status = this.#seen.has(event.eventId) ? 'duplicate' : 'new';
        this.#seen.add(event.eventId);
        return { eventId: event.eventId, status, fingerprint: null };
      }),
    };
  }

  eventIds(): string[] {
    return this.batches.flatMap((b) => b.events.map((e) => e.event.eventId));
  }
}

let beds = 0;

function bed(
  source: { maxIssuesPerRun?: number; environment?: string } = {},
  emulator: { retryAfterOn429?: boolean; legacySearch?: boolean } = {},
) {
  beds++;
  const clock = createClock(Date.parse('2026-11-21T10:00:00.000Z') + beds * 3_600_000);
  const org = `acme-${beds}-${crypto.randomUUID().slice(0, 8)}`;
  const sentry = new SentryEmulator({ token: TOKEN, now: clock.now, ...emulator });
  const { fetch, violations } = validatingSentryFetch(sentry.fetch);
  const config: HomeostatConfig = {
    ...testConfig(),
    sources: {
      sentry: [
        SentrySourceSchema.parse({
          org,
          project: 'notes',
          baseUrl: BASE,
          extension: EXT_A,
          ...source,
        }),
      ],
    },
  };
  const ingest = new RecordingIngest();
  const deps: SentryImportDeps = {
    db: env.DB,
    config,
    secret: (name) => (name === 'SENTRY_AUTH_TOKEN' ? TOKEN : undefined),
    ingest,
    fetch,
    now: clock.now,
  };
  const event = (group: string, extra: Partial<EmulatedEventInput> = {}) => {
    clock.advance(1_000);
    return sentry.addEvent({
      org,
      project: 'notes',
      group,
      type: 'TypeError',
      value: `Cannot read properties of undefined (reading '${group}')`,
      frames: [
        { function: 'onAlarm', absPath: `${EXT}/background.js`, lineNo: 88, colNo: 5 },
        { function: group, absPath: `${EXT}/background.js`, lineNo: 42, colNo: 17 },
      ],
      release: 'notes@1.4.2',
      environment: 'production',
      user: { id: `user-${group}`, ip_address: '203.0.113.7', email: 'someone@example.com' },
      url: `${EXT}/popup.html`,
      ...extra,
    });
  };
  const tick = () => importSentryIssues(deps);
  const eventRequests = () => sentry.requests.filter((r) => r.path.includes('/events/')).length;
  const state = () =>
    env.DB.prepare(
      'SELECT cursor, resume_after, last_outcome, imported FROM import_sentry_sources WHERE source_key = ?',
    )
      .bind(`${BASE}|${org}|notes`)
      .first<{
        cursor: string | null;
        resume_after: number;
        last_outcome: string;
        imported: number;
      }>();
  return {
    clock,
    org,
    sentry,
    violations,
    config,
    ingest,
    deps,
    event,
    tick,
    eventRequests,
    state,
  };
}

describe('Sentry importer', () => {
  test('pages through unresolved error issues across ticks, one latest event each, Sentry ids kept', async ({
    expect,
  }) => {
    const b = bed({ maxIssuesPerRun: 2 });
    const first = b.event('alpha');
    b.event('alpha');
    const alphaLatest = b.event('alpha');
    const beta = b.event('beta');
    const gamma = b.event('gamma');
    b.sentry.resolve(b.event('resolved').issueId);
    b.event('slow-db', { category: 'performance' });

    const reports = [];
    for (let i = 0; i < 4; i++) reports.push((await b.tick())[0]?.outcome);
    expect(reports).toEqual(['partial', 'pass_complete', 'pass_complete', 'pass_complete']);
    // Most recently seen first; only the latest event of each issue; never the resolved one.
    expect(b.ingest.eventIds()).toEqual([gamma.eventId, beta.eventId, alphaLatest.eventId]);
    expect(b.ingest.eventIds()).not.toContain(first.eventId);
    const sent = b.ingest.batches[0]?.events[0];
    expect(b.ingest.batches.every((x) => x.extensionId === EXT_A)).toBe(true);
    expect(sent?.version).toBe('1.4.2');
    expect(sent?.clientAddress).toBe('203.0.113.7');
    expect(sent?.event.surface).toBe('popup');
    expect(JSON.stringify(b.ingest.batches)).not.toContain('someone@example.com');
    expect(sent?.event.context).toMatchObject({
      sentry: { project: 'notes', issueId: gamma.issueId },
    });

    const list = b.sentry.requests.find((r) => r.path.endsWith('/issues/'));
    expect(list?.query).toMatchObject({
      project: ['notes'],
      query: ['is:unresolved issue.category:error'],
      sort: ['date'],
      limit: ['2'],
    });
    expect(b.violations).toEqual([]);
    expect(await b.state()).toMatchObject({
      cursor: null,
      last_outcome: 'pass_complete',
      imported: 3,
    });
  });

  test('an issue with nothing new is not fetched again; a new event is; a lost record resends as a duplicate', async ({
    expect,
  }) => {
    const b = bed();
    b.event('alpha');
    b.event('beta');
    await b.tick();
    expect(b.eventRequests()).toBe(2);

    await b.tick();
    expect(b.eventRequests()).toBe(2);

    const again = b.event('beta');
    const [report] = await b.tick();
    expect(b.eventRequests()).toBe(3);
    expect(b.ingest.eventIds().at(-1)).toBe(again.eventId);
    expect(report).toMatchObject({ outcome: 'pass_complete', imported: 1 });

    // Had the D1 write after ingest's answer been lost, the same events go again: duplicates.
    await env.DB.prepare('DELETE FROM import_sentry_issues WHERE source_key LIKE ?')
      .bind(`%|${b.org}|%`)
      .run();
    const [resent] = await b.tick();
    expect(resent).toMatchObject({ outcome: 'pass_complete', imported: 0 });
    expect(b.violations).toEqual([]);
  });

  test("a window whose remaining count reaches 0 pauses the source until Sentry's reset", async ({
    expect,
  }) => {
    const b = bed();
    b.sentry.setRateLimit({ limit: 2, windowSeconds: 60 });
    for (const g of ['a', 'b', 'c', 'd']) b.event(g);
    const [first] = await b.tick();
    expect(first).toMatchObject({ outcome: 'rate_limited', imported: 2, requests: 3 });
    const paused = await b.state();
    expect(paused?.resume_after).toBeGreaterThan(b.clock.now());
    expect(paused?.resume_after).toBeLessThanOrEqual(b.clock.now() + 60_000);

    const before = b.sentry.requests.length;
    expect((await b.tick())[0]?.outcome).toBe('waiting');
    expect(b.sentry.requests.length).toBe(before);

    b.clock.advance((paused?.resume_after ?? 0) - b.clock.now());
    const [resumed] = await b.tick();
    expect(resumed).toMatchObject({ outcome: 'rate_limited', imported: 2 });
    expect(new Set(b.ingest.eventIds()).size).toBe(4);
    // Nothing ever ran into a 429.
    expect(b.sentry.requests).toHaveLength(6);
  });

  test.for([
    ['without Retry-After (sentry.io): at the reset', false],
    ['with Retry-After (a proxy in front of self-hosted): after it', true],
  ] as const)('a 429 %s', async ([, retryAfterOn429], { expect }) => {
    const b = bed({}, { retryAfterOn429 });
    b.event('a');
    b.sentry.setRateLimit({ limit: 1, windowSeconds: 30 });
    // Another client of the same token used up the window.
    await b.sentry.fetch(
      new Request(`${BASE}/api/0/organizations/${b.org}/issues/`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      }),
    );
    const [report] = await b.tick();
    expect(report).toMatchObject({ outcome: 'rate_limited', requests: 1 });
    const state = await b.state();
    expect(state?.resume_after).toBe(Math.floor(b.clock.now() / 30_000) * 30_000 + 30_000);
    expect(state?.cursor).toBeNull();
    expect(b.ingest.batches).toHaveLength(0);
    expect(b.violations).toEqual([]);
  });

  test('a Sentry without issue categories: asked again without the category, errors only', async ({
    expect,
  }) => {
    const b = bed({}, { legacySearch: true });
    const error = b.event('a');
    b.event('slow-db', { category: 'performance' });
    const [report] = await b.tick();
    expect(report).toMatchObject({ outcome: 'pass_complete', imported: 1, requests: 3 });
    expect(b.ingest.eventIds()).toEqual([error.eventId]);
    expect(b.sentry.requests.map((r) => r.query.query?.[0])).toEqual([
      'is:unresolved issue.category:error',
      'is:unresolved',
      undefined,
    ]);
    expect(b.violations).toEqual([]);
  });

  test('a call that never answers ends at its deadline; the source waits five minutes', async ({
    expect,
  }) => {
    const b = bed();
    b.event('a');
    b.sentry.failNext('hang');
    const [report] = await importSentryIssues({ ...b.deps, timeoutMs: 30 });
    expect(report?.outcome).toBe('unavailable');
    expect((await b.state())?.resume_after).toBe(b.clock.now() + 5 * 60_000);
  });

  test('a wrong token is unauthorized and waits an hour; no token configured does nothing', async ({
    expect,
  }) => {
    const b = bed();
    b.event('a');
    const [wrong] = await importSentryIssues({ ...b.deps, secret: () => 'sntrys_revoked' });
    expect(wrong?.outcome).toBe('unauthorized');
    expect((await b.state())?.resume_after).toBe(b.clock.now() + 60 * 60_000);

    const c = bed();
    c.event('a');
    const [none] = await importSentryIssues({ ...c.deps, secret: () => undefined });
    expect(none?.outcome).toBe('no_token');
    expect(c.sentry.requests).toHaveLength(0);
    expect(await c.state()).toBeNull();
  });

  test('ingest unavailable or over its limits: nothing is marked, the same events go again later', async ({
    expect,
  }) => {
    const b = bed();
    const a = b.event('a');
    const c = b.event('c');
    b.ingest.scripted.push({ status: 'unavailable', retryAfterSeconds: 5 });
    const [down] = await b.tick();
    expect(down?.outcome).toBe('ingest_unavailable');
    expect((await b.state())?.resume_after).toBe(b.clock.now() + 5_000);

    b.clock.advance(5_000);
    b.ingest.scripted.push({
      status: 'ok',
      retryAfterSeconds: 30,
      results: [
        { eventId: c.eventId, status: 'new', fingerprint: 'fp1:00' },
        { eventId: a.eventId, status: 'rate_limited', fingerprint: null },
      ],
    });
    const [limited] = await b.tick();
    expect(limited).toMatchObject({ outcome: 'ingest_limited', imported: 1 });
    expect((await b.state())?.resume_after).toBe(b.clock.now() + 30_000);

    b.clock.advance(30_000);
    const [after] = await b.tick();
    expect(after?.outcome).toBe('pass_complete');
    // Only the rate-limited one was fetched and sent again.
    expect(b.ingest.eventIds()).toEqual([c.eventId, a.eventId, c.eventId, a.eventId, a.eventId]);
  });

  test('a batch ingest refuses (a config out of step) pauses the source for an hour', async ({
    expect,
  }) => {
    const b = bed();
    b.event('a');
    b.ingest.scripted.push({ status: 'unknown_extension' });
    expect((await b.tick())[0]?.outcome).toBe('ingest_refused');
    expect((await b.state())?.resume_after).toBe(b.clock.now() + 60 * 60_000);
  });

  test("the deployed wiring: the INGEST service binding's IngestRpc receives the batch", async ({
    expect,
  }) => {
    const b = bed();
    const a = b.event('wired');
    const runtime = sentryImportRuntime({ ...env, SENTRY_AUTH_TOKEN: TOKEN }, b.config);
    const [report] = await importSentryIssues({
      ...runtime,
      fetch: b.deps.fetch,
      now: b.clock.now,
    });
    expect(report).toMatchObject({ outcome: 'pass_complete', imported: 1 });
    const sent = (
      await (env.INGEST as unknown as { sent(): Promise<ImportBatch[]> }).sent()
    ).flatMap((batch) => batch.events.map((e) => e.event.eventId));
    expect(sent).toContain(a.eventId);
  });

  test("the emulator is held to Sentry's description: a malformed answer is a violation", ({
    expect,
  }) => {
    const url = new URL(`${BASE}/api/0/organizations/acme/issues/`);
    expect(checkSentryResponse('GET', url, 200, [{ shortId: 'X-1' }])).not.toEqual([]);
    expect(checkSentryResponse('GET', url, 200, [])).toEqual([]);
    expect(checkSentryResponse('GET', url, 418, {})).not.toEqual([]);
  });
});
