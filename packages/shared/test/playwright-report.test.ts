import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'vitest';
import type { z } from 'zod';
import {
  collectTestFailures,
  computeFingerprint,
  type PlaywrightReport,
  PlaywrightReportSchema,
  reportCommit,
  testFailureEvents,
} from '../src/index.ts';
import type { JSONReport } from '../src/playwright/playwright-json-report.types.ts';
import type { PlaywrightReportShape } from '../src/playwright/playwright-report.schema.ts';

// Compile-time: every report Playwright's published types describe is accepted by the schema.
const accepts: (report: JSONReport) => z.input<typeof PlaywrightReportShape> = (report) => report;
void accepts;

/** A real report: @playwright/test 1.65.1 on Chromium (test/fixtures/playwright/README.md). */
const FIXTURE = path.join(
  import.meta.dirname,
  '../../../test/fixtures/playwright/report-1.65.1.json',
);
const raw = JSON.parse(await readFile(FIXTURE, 'utf8')) as unknown;
const report: PlaywrightReport = PlaywrightReportSchema.parse(raw);
const EXT = 'chrome-extension://bjmpiohldfefflpimpnmmhfcgeogpico';

describe('Playwright JSON report', () => {
  test('the real report parses; only unexpected failures and timeouts count', ({ expect }) => {
    const failures = collectTestFailures(report);
    expect(failures.map((f) => [f.titlePath, f.status, f.retry])).toEqual([
      [['popup.spec.ts', 'popup', 'shows the tab count'], 'failed', 1],
      [['popup.spec.ts', 'popup', 'counts after sync'], 'failed', 1],
      [['popup.spec.ts', 'popup', 'waits forever'], 'timedOut', 1],
    ]);
    expect(reportCommit(report)).toBe('f948ad1ad894ed64175d1ed738fe1d439db4b12e');
  });

  test("an error thrown by the extension's page is that error, with its extension frames first", async ({
    expect,
  }) => {
    const { events, failures } = await testFailureEvents(report, 'abc1234');
    expect(failures).toBe(3);
    const [evaluate] = events;
    expect(evaluate?.surface).toBe('test');
    expect(evaluate?.error.type).toBe('TypeError');
    expect(evaluate?.error.message).toBe("Cannot read properties of undefined (reading 'length')");
    expect(evaluate?.error.stack?.split('\n')).toEqual([
      "TypeError: Cannot read properties of undefined (reading 'length')",
      `    at countTabs (${EXT}/popup.js:3:24)`,
      `    at renderCount (${EXT}/popup.js:8:57)`,
      '    at eval (eval at evaluate (:370:30), <anonymous>:1:14)',
      '    at UtilityScript.evaluate (<anonymous>:372:16)',
      '    at UtilityScript.<anonymous> (<anonymous>:1:44)',
      // The CI machine's path is gone: relative to the directory of playwright.config.ts.
      '    at tests/popup.spec.ts:18:18',
      '    at popup › shows the tab count (tests/popup.spec.ts:7:3)',
    ]);
    expect(evaluate?.tags).toEqual({ source: 'playwright', project: 'default', commit: 'abc1234' });
    expect(evaluate?.context).toMatchObject({
      source: 'playwright',
      test: {
        titlePath: ['popup.spec.ts', 'popup', 'shows the tab count'],
        file: 'tests/popup.spec.ts',
        line: 7,
        status: 'failed',
        retry: 1,
        commit: 'abc1234',
        playwright: '1.65.1',
      },
    });
    const fp = await computeFingerprint({
      ...(evaluate?.error ?? { type: '', message: '' }),
      surface: 'test',
    });
    expect(fp.culprit).toContain('popup.js');
  });

  test('assertion and timeout failures: ANSI colours gone, each test its own problem', async ({
    expect,
  }) => {
    const { events } = await testFailureEvents(report, null);
    const [, assertion, timeout] = events;
    expect(assertion?.error.type).toBe('Error');
    expect(assertion?.error.message).toBe('expect(received).toEqual(expected) // deep equality');
    expect(timeout?.error).toEqual({
      type: 'TestTimeout',
      message: 'Test timeout of 5000ms exceeded.',
      stack: [
        'TestTimeout: Test timeout of 5000ms exceeded.',
        '    at popup › waits forever (tests/popup.spec.ts:33:3)',
      ].join('\n'),
    });
    expect(JSON.stringify(events)).not.toContain('\u001b[');
    const fingerprints = await Promise.all(
      events.map(
        async (e) => (await computeFingerprint({ ...e.error, surface: e.surface })).fingerprint,
      ),
    );
    expect(new Set(fingerprints).size).toBe(3);
  });

  test('event ids are stable per report and test, and differ between runs', async ({ expect }) => {
    const first = await testFailureEvents(report, null);
    const again = await testFailureEvents(PlaywrightReportSchema.parse(raw), 'other');
    expect(again.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId));
    const rerun = structuredClone(raw) as { stats: { startTime: string } };
    rerun.stats.startTime = '2026-12-07T00:00:00.000Z';
    const next = await testFailureEvents(PlaywrightReportSchema.parse(rerun), null);
    expect(next.events[0]?.eventId).not.toBe(first.events[0]?.eventId);
    expect(first.events[0]?.eventId).toMatch(/^pw-[0-9a-f]{40}$/);
  });

  test('a deeply nested report is refused without walking it recursively', ({ expect }) => {
    let suite: Record<string, unknown> = { title: 't', file: 'f', line: 1, column: 1, specs: [] };
    for (let i = 0; i < 100_000; i++)
      suite = { title: 't', file: 'f', line: 1, column: 1, specs: [], suites: [suite] };
    const deep = { config: { rootDir: '/r' }, suites: [suite], stats: { startTime: 'x' } };
    const result = PlaywrightReportSchema.safeParse(deep);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('is nested too deeply');
  });

  test('a report without suites or stats is refused', ({ expect }) => {
    expect(
      PlaywrightReportSchema.safeParse({ config: { rootDir: '/r' }, stats: { startTime: 'x' } })
        .success,
    ).toBe(false);
    expect(
      PlaywrightReportSchema.safeParse({ config: { rootDir: '/r' }, suites: [] }).success,
    ).toBe(false);
  });
});
