import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { addDirectoryRepo } from './directory-repo.ts';
import { LocalCi } from './local-ci.ts';
import { commitThroughApi, nodeTestbed } from './node-testbed.ts';
import type { EmulatorEvent } from './webhook-payloads.ts';

// The emulator's CI (issue 10, item 7): a pull request on a tiny fixture repository runs the
// repository's real `npm test` command (`node --test`) on the head commit, and the result comes
// back as GitHub Actions reports it — a check run with annotations at the failing lines, its
// suite and workflow run — with the webhooks GitHub sends on the way.

const SLUG = 'octo-org/sum';
const BUGGY = 'export function sum(a, b) {\n  return a - b;\n}\n';
const WRONG = 'export function sum(a, b) {\n  return a * b;\n}\n';
const FIXED = 'export function sum(a, b) {\n  return a + b;\n}\n';
// Line 6 holds the failing assertion: the annotation must point there.
const TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sum } from '../src/sum.js';

test('adds two numbers', () => {
  assert.equal(sum(1, 2), 3);
});

test('runs on the Node that runs the CI', () => {
  assert.equal(process.execPath, ${JSON.stringify(process.execPath)});
});
`;

let fixture: string;

beforeAll(async () => {
  fixture = await mkdtemp(join(tmpdir(), 'homeostat-ci-fixture-'));
  await mkdir(join(fixture, 'src'));
  await mkdir(join(fixture, 'test'));
  await writeFile(
    join(fixture, 'package.json'),
    JSON.stringify({
      name: 'sum',
      private: true,
      type: 'module',
      scripts: { test: 'node --test' },
    }),
  );
  await writeFile(join(fixture, 'src', 'sum.js'), BUGGY);
  await writeFile(join(fixture, 'test', 'sum.test.js'), TEST);
});

afterAll(async () => {
  await rm(fixture, { recursive: true, force: true });
});

function ciEvents(events: EmulatorEvent[], sha: string): string[] {
  return events.flatMap((e) => {
    const p = e.payload as Record<string, { head_sha?: string } | string>;
    const head =
      e.name === 'check_run'
        ? (p.check_run as { head_sha: string }).head_sha
        : e.name === 'check_suite'
          ? (p.check_suite as { head_sha: string }).head_sha
          : e.name === 'workflow_run'
            ? (p.workflow_run as { head_sha: string }).head_sha
            : e.name === 'status'
              ? String(p.sha)
              : null;
    return head === sha ? [`${e.name}.${String(p.action ?? (p.state as string))}`] : [];
  });
}

async function fixtureRepo() {
  const bed = await nodeTestbed();
  const { sha } = await addDirectoryRepo(bed.emulator, SLUG, fixture);
  return { ...bed, base: sha };
}

describe('local CI', () => {
  test('a red pull request gets a failing check with an annotation; the fixing push turns it green', async ({
    expect,
  }) => {
    const { emulator, call, events, violations, base } = await fixtureRepo();
    const ci = new LocalCi(emulator).start();
    const wrong = await commitThroughApi(call, SLUG, base, { 'src/sum.js': WRONG }, 'Fix sum');
    await call('POST', `/repos/${SLUG}/git/refs`, {
      ref: 'refs/heads/homeostat/fix-sum',
      sha: wrong,
    });
    const pr = await call('POST', `/repos/${SLUG}/pulls`, {
      title: 'Fix sum',
      head: 'homeostat/fix-sum',
      base: 'main',
      draft: true,
    });
    await ci.idle();
    const [red] = emulator.checkRuns(SLUG, wrong);
    expect(red).toMatchObject({
      name: 'test',
      status: 'completed',
      conclusion: 'failure',
      title: '1 of 2 tests failed',
      app: { login: 'github-actions[bot]' },
    });
    expect(red?.annotations).toEqual([
      expect.objectContaining({
        path: 'test/sum.test.js',
        startLine: 6,
        endLine: 6,
        level: 'failure',
        title: 'adds two numbers',
        message: expect.stringContaining('2 !== 3'),
      }),
    ]);
    expect(red?.summary).toContain('`test/sum.test.js:6` adds two numbers');
    expect(red?.text).toContain('not ok 1 - adds two numbers');
    // The fixer reads it back through the API, as from GitHub.
    const runs = await call('GET', `/repos/${SLUG}/commits/${wrong}/check-runs`);
    expect(runs.check_runs[0]).toMatchObject({
      name: 'test',
      conclusion: 'failure',
      output: { title: '1 of 2 tests failed', annotations_count: 1 },
      app: { slug: 'github-actions' },
      pull_requests: [{ number: pr.number }],
    });
    const annotations = await call(
      'GET',
      `/repos/${SLUG}/check-runs/${runs.check_runs[0].id}/annotations`,
    );
    expect(annotations[0]).toMatchObject({ path: 'test/sum.test.js', start_line: 6 });
    expect(ciEvents(events, wrong)).toEqual([
      'workflow_run.requested',
      'check_run.created',
      'check_run.completed',
      'check_suite.completed',
      'workflow_run.completed',
    ]);

    const fixed = await commitThroughApi(call, SLUG, wrong, { 'src/sum.js': FIXED }, 'Retry');
    await call('PATCH', `/repos/${SLUG}/git/refs/heads/homeostat/fix-sum`, { sha: fixed });
    await ci.idle();
    // The push and the synchronize it causes run the tests once.
    expect(ci.runs.map((r) => [r.headSha, r.conclusion, r.trigger])).toEqual([
      [wrong, 'failure', 'pull_request'],
      [fixed, 'success', 'push'],
    ]);
    expect(emulator.checkRuns(SLUG, fixed)).toEqual([
      expect.objectContaining({ conclusion: 'success', title: '2 tests passed', annotations: [] }),
    ]);
    const green = events.find(
      (e) =>
        e.name === 'check_run' &&
        e.payload.action === 'completed' &&
        (e.payload.check_run as { head_sha: string }).head_sha === fixed,
    );
    expect(green?.payload.check_run).toMatchObject({
      conclusion: 'success',
      pull_requests: [{ number: pr.number, head: { sha: fixed } }],
    });
    expect(find(events, 'workflow_run', fixed)).toMatchObject({
      action: 'completed',
      workflow_run: { conclusion: 'success', event: 'push', name: 'CI' },
    });
    expect(violations).toEqual([]);
    ci.stop();
  });

  test('runs one at a time; a superseded head still gets its result, without the pull request', async ({
    expect,
  }) => {
    const { emulator, events, base } = await fixtureRepo();
    const ci = new LocalCi(emulator, { commitStatus: true }).start();
    const first = await emulator.humanPushes(SLUG, 'fix', { 'src/sum.js': WRONG });
    const number = emulator.humanOpensPr(SLUG, { head: 'fix', title: 'Fix' });
    // Two pushes before the first run finished: the runner takes them in order.
    const second = await emulator.humanPushes(SLUG, 'fix', { 'src/sum.js': BUGGY });
    const third = await emulator.humanPushes(SLUG, 'fix', { 'src/sum.js': FIXED });
    // Queued at once, as GitHub shows waiting jobs, while the first holds the only runner.
    await Promise.resolve();
    const statuses = emulator.checkRuns(SLUG).map((r) => r.status);
    expect(statuses.slice(1)).toEqual(['queued', 'queued']);
    expect(['queued', 'in_progress']).toContain(statuses[0]);
    await ci.idle();
    expect(ci.runs.map((r) => r.conclusion)).toEqual(['failure', 'failure', 'success']);
    expect(ci.runs.map((r) => r.headSha)).toEqual([first, second, third]);
    for (const [i, run] of ci.runs.entries()) {
      const next = ci.runs[i + 1];
      if (next !== undefined) expect(next.startedAt).toBeGreaterThanOrEqual(run.finishedAt);
      expect(run.checkRunId).toBe(emulator.checkRuns(SLUG, run.headSha)[0]?.id);
    }
    const completed = (sha: string) =>
      events.find(
        (e) =>
          e.name === 'check_run' &&
          e.payload.action === 'completed' &&
          (e.payload.check_run as { head_sha: string }).head_sha === sha,
      )?.payload.check_run as { pull_requests: { number: number }[] };
    expect(completed(first).pull_requests).toEqual([]);
    expect(completed(second).pull_requests).toEqual([]);
    expect(completed(third).pull_requests.map((p) => p.number)).toEqual([number]);
    expect(ciEvents(events, third)).toEqual([
      'workflow_run.requested',
      'check_run.created',
      'status.pending',
      'check_run.completed',
      'check_suite.completed',
      'workflow_run.completed',
      'status.success',
    ]);
    expect(emulator.commitStatuses(SLUG, first).map((s) => s.state)).toEqual([
      'pending',
      'failure',
    ]);
    // Nothing ran for the default branch: no pull request had it as head.
    expect(emulator.checkRuns(SLUG, base)).toEqual([]);
    ci.stop();
  });

  test('a run that outlives its time limit is killed and reported timed_out', async ({
    expect,
  }) => {
    const { emulator } = await fixtureRepo();
    const ci = new LocalCi(emulator, { timeoutMs: 500 }).start();
    const hang = JSON.stringify({
      type: 'module',
      scripts: { test: 'node -e "setInterval(() => {}, 1000)"' },
    });
    await emulator.humanPushes(SLUG, 'hang', { 'package.json': hang });
    emulator.humanOpensPr(SLUG, { head: 'hang', title: 'Hang' });
    await ci.idle();
    expect(ci.runs[0]).toMatchObject({ conclusion: 'timed_out', title: 'Timed out after 0.5 s' });
    expect(emulator.checkRuns(SLUG)[0]).toMatchObject({ conclusion: 'timed_out' });
  });

  test('a repository without a test script fails as `npm test` would', async ({ expect }) => {
    const { emulator } = await fixtureRepo();
    const ci = new LocalCi(emulator, { checkName: 'unit' }).start();
    await emulator.humanPushes(SLUG, 'no-tests', { 'package.json': '{"name":"sum"}' });
    emulator.humanOpensPr(SLUG, { head: 'no-tests', title: 'No tests' });
    await ci.idle();
    expect(emulator.checkRuns(SLUG)[0]).toMatchObject({
      name: 'unit',
      conclusion: 'failure',
      title: 'No test script in package.json',
    });
  });
});

function find(events: EmulatorEvent[], name: string, sha: string) {
  return events
    .filter(
      (e) =>
        e.name === name &&
        (e.payload.workflow_run as { head_sha?: string } | undefined)?.head_sha === sha,
    )
    .at(-1)?.payload;
}
