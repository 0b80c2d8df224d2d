import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PlaywrightReportSchema, testFailureEvents } from '@homeostat/shared';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { splitReport } from '../../scripts/lib/test-report-upload.ts';
import { REPO_ROOT } from '../../scripts/lib/workers.ts';
import { type SentryServer, startSentryServer } from '../emulators/sentry/sentry-server.ts';
import { type InProcessStack, startInProcessStack } from '../support/in-process-stack.ts';

/**
 * Issue 13, item 2, end to end on the local stack (one start for both importers):
 * - Sentry: triage's cron, with a config whose `sources.sentry` points at the Sentry emulator,
 *   pages the project's issues and feeds the latest events over the INGEST binding into the real
 *   pipeline; two users' events make the problem open, as two installs do.
 * - Playwright: `npm run report-tests` (a real child process) posts the real report fixture to
 *   `/v1/test-failures`; a test failing on two commits is an open problem on the `test` surface.
 * Every assertion is on what ingest stored in D1.
 */

const KEY = 'hs_pub_demo_local_key_0001';
const EXTENSION_ID = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const TOKEN = 'sntrys_e2e_token_0001';
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/playwright/report-1.65.1.json');

let dir: string;
let sentry: SentryServer;
let stack: InProcessStack;
let ticks = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'homeostat-e2e-importers-'));
  sentry = await startSentryServer({ token: TOKEN });
  const config = JSON.parse(await readFile(path.join(REPO_ROOT, 'homeostat.config.json'), 'utf8'));
  // Every client here is this machine: one network (the ingest tests cover the network gate).
  config.extensions[0].limits = { ...config.extensions[0].limits, minNetworks: 1 };
  config.sources = {
    sentry: [{ org: 'acme', project: 'notes', baseUrl: sentry.url, extension: EXTENSION_ID }],
  };
  const configFile = path.join(dir, 'homeostat.config.json');
  await writeFile(configFile, JSON.stringify(config));
  stack = await startInProcessStack({
    configFile,
    vars: { ingest: { FLUSH_INTERVAL_SECONDS: '1' }, triage: { SENTRY_AUTH_TOKEN: TOKEN } },
  });
});

afterAll(async () => {
  await stack?.dispose();
  await sentry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cronTick(): Promise<void> {
  ticks++;
  const triage = await stack.miniflare.getWorker('homeostat-triage');
  await triage.scheduled({
    cron: '*/10 * * * *',
    scheduledTime: new Date(Date.UTC(2026, 0, 1, 0, ticks * 10)),
  });
}

function fingerprintState(errorType: string) {
  return stack.until(async () => {
    const [row] = await stack.query<{ state: string; installs: number; culprit: string }>(
      `SELECT state, installs, culprit FROM fingerprints
       WHERE extension_id = ? AND error_type = ? AND state = 'open'`,
      EXTENSION_ID,
      errorType,
    );
    return row;
  });
}

async function reportTests(file: string, sha: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'npm',
    [
      'run',
      '--silent',
      'report-tests',
      '--',
      file,
      '--url',
      stack.urls.ingest,
      '--key',
      KEY,
      '--sha',
      sha,
    ],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
  return stdout;
}

describe('importers on the local stack', () => {
  test("triage's cron imports a Sentry issue's latest events into ingest; two users make it open", async ({
    expect,
  }) => {
    const event = (user: string) =>
      sentry.emulator.addEvent({
        org: 'acme',
        project: 'notes',
        group: 'quota',
        type: 'QuotaExceededError',
        value: 'The quota has been exceeded.',
        frames: [
          {
            function: 'onMessage',
            absPath: `chrome-extension://${EXTENSION_ID}/background.js`,
            lineNo: 7,
            colNo: 3,
          },
          {
            function: 'saveDraft',
            absPath: `chrome-extension://${EXTENSION_ID}/background.js`,
            lineNo: 31,
            colNo: 9,
          },
        ],
        release: 'demo-extension@1.0.0',
        user: { id: user, ip_address: user === 'u1' ? '198.51.100.7' : '203.0.113.9' },
      });
    event('u1');
    await cronTick();
    event('u2');
    await cronTick();
    const row = await fingerprintState('QuotaExceededError');
    expect(row).toMatchObject({ state: 'open', installs: 2 });
    expect(row.culprit).toContain('saveDraft');
    const [source] = await stack.query<{ last_outcome: string; imported: number }>(
      'SELECT last_outcome, imported FROM import_sentry_sources',
    );
    expect(source).toEqual({ last_outcome: 'pass_complete', imported: 2 });
    expect(sentry.violations).toEqual([]);
  });

  test('npm run report-tests posts a real Playwright report; a failure on two commits is an open problem', async ({
    expect,
  }) => {
    const first = await reportTests(FIXTURE, 'a'.repeat(40));
    expect(first).toContain('3 failed test(s) sent in 1 request(s)');
    expect(first).toContain('3 new, 0 known, 0 duplicate, 0 rate-limited');
    expect(await reportTests(FIXTURE, 'a'.repeat(40))).toContain('0 new, 0 known, 3 duplicate');

    // The same tests, run again on the next commit.
    const rerun = JSON.parse(await readFile(FIXTURE, 'utf8'));
    rerun.stats.startTime = '2026-12-07T09:00:00.000Z';
    const rerunFile = path.join(dir, 'rerun.json');
    await writeFile(rerunFile, JSON.stringify(rerun));
    expect(await reportTests(rerunFile, 'b'.repeat(40))).toContain('0 new, 3 known');

    const row = await fingerprintState('TypeError');
    expect(row).toMatchObject({ state: 'open', installs: 2 });
    expect(row.culprit).toContain('popup.js');
    const surfaces = await stack.query<{ surface: string }>(
      'SELECT DISTINCT surface FROM fingerprint_versions WHERE extension_id = ? AND surface = ?',
      EXTENSION_ID,
      'test',
    );
    expect(surfaces).toEqual([{ surface: 'test' }]);
  });
});

describe('report-tests splits a large report into parts ingest takes', () => {
  test('120 failures: parts of at most 50 and 256 KiB, without stdout or authors, same event ids', async ({
    expect,
  }) => {
    const report = JSON.parse(await readFile(FIXTURE, 'utf8'));
    const [file] = report.suites;
    const failing = file.suites[0].specs[0];
    file.suites[0].specs = Array.from({ length: 120 }, (_, i) => ({
      ...structuredClone(failing),
      id: `spec-${i}`,
      title: `case ${i}`,
      tests: failing.tests.map((t: { results: { stdout: unknown[] }[] }) => ({
        ...t,
        results: t.results.map((r) => ({ ...r, stdout: [{ text: 'x'.repeat(4_000) }] })),
      })),
    }));
    const whole = PlaywrightReportSchema.parse(report);
    const parts = splitReport(whole);
    const counts = parts.map((p) => (JSON.stringify(p).match(/"title":"case \d+"/g) ?? []).length);
    expect(counts.every((n) => n > 0 && n <= 50)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(120);
    for (const part of parts) {
      expect(JSON.stringify(part).length).toBeLessThan(256 * 1024);
      expect(PlaywrightReportSchema.safeParse(part).success).toBe(true);
      expect(JSON.stringify(part)).not.toContain('fixture.author@example.com');
      expect(JSON.stringify(part)).not.toContain('xxxx');
    }
    const ids = (r: typeof whole) =>
      testFailureEvents(r, null).then((e) => e.events.map((x) => x.eventId));
    const fromParts = (await Promise.all(parts.map(ids))).flat();
    const fromWhole = (await testFailureEvents(whole, null)).events.map((x) => x.eventId);
    // The whole report sends only its first 50; the parts send all 120, the first 50 alike.
    expect(fromParts).toHaveLength(120);
    expect(fromParts.slice(0, 50)).toEqual(fromWhole);
  });
});
