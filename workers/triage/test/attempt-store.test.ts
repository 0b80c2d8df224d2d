import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { AttemptStore, backoffMs } from '../src/attempt-store.ts';
import type { IssueKey } from '../src/issue/issue-store.ts';
import { createClock } from './support/clock.ts';
import { EXT_A, REPO_A, REPO_B, testConfig } from './support/config.ts';
import { freshFingerprint } from './support/fingerprints.ts';

const config = testConfig();
const repoA = config.repositories.find((r) => r.slug === REPO_A);
const repoB = config.repositories.find((r) => r.slug === REPO_B);
if (repoA === undefined || repoB === undefined) throw new Error('test config lacks repositories');
const HOUR = 3_600_000;
const open = { optedOut: false, autoFixable: true, issueOpen: true };

function keyFor(repo = REPO_A): IssueKey {
  return { repo, extensionId: EXT_A, fingerprint: freshFingerprint() };
}

async function decisions(key: IssueKey) {
  const { results } = await env.DB.prepare(
    'SELECT action, allowed, reason, detail FROM triage_decisions WHERE fingerprint = ? ORDER BY id',
  )
    .bind(key.fingerprint)
    .all<{ action: string; allowed: number; reason: string; detail: string }>();
  return results;
}

describe('attempt store', () => {
  test('backoff is 24h · 2ⁿ⁻¹ and the 4th attempt is refused (controlled clock)', async ({
    expect,
  }) => {
    expect([1, 2, 3].map(backoffMs)).toEqual([24 * HOUR, 48 * HOUR, 96 * HOUR]);
    const clock = createClock();
    const store = new AttemptStore(env.DB, clock.now);
    const key = keyFor();
    const starts: number[] = [];
    for (const wait of [24 * HOUR, 48 * HOUR]) {
      const { decision, attemptId, n } = await store.begin(key, repoA, {
        ...open,
        runId: `run-${clock.now()}`,
      });
      expect(decision.allowed).toBe(true);
      starts.push(n ?? -1);
      await store.finish(attemptId ?? -1, 'failure');
      clock.advance(wait - 1);
      const early = await store.evaluate(key, repoA, { ...open, runId: 'r' });
      expect(early).toMatchObject({ allowed: false, reason: 'cooldown' });
      expect(early.detail.backoffUntil).toBe(new Date(clock.now() + 1).toISOString());
      clock.advance(1);
      expect((await store.evaluate(key, repoA, { ...open, runId: 'r' })).reason).toBe('eligible');
    }
    const third = await store.begin(key, repoA, { ...open, runId: 'run-3' });
    expect(third.n).toBe(3);
    expect((await store.state(key)).backoffUntil).toBe(clock.now() + 96 * HOUR);
    await store.finish(third.attemptId ?? -1, 'failure');
    clock.advance(365 * 24 * HOUR);
    const fourth = await store.begin(key, repoA, { ...open, runId: 'run-4' });
    expect(fourth).toMatchObject({
      attemptId: null,
      decision: { allowed: false, reason: 'max_attempts' },
    });
    expect(starts).toEqual([1, 2]);
    expect((await decisions(key)).map((d) => [d.allowed, d.reason])).toEqual([
      [1, 'eligible'],
      [1, 'eligible'],
      [1, 'eligible'],
      [0, 'max_attempts'],
    ]);
  });

  test('a pending attempt blocks another; a repository may lower maxAttempts', async ({
    expect,
  }) => {
    const clock = createClock();
    const store = new AttemptStore(env.DB, clock.now);
    const key = keyFor(REPO_B);
    const first = await store.begin(key, repoB, { ...open, runId: 'a' });
    clock.advance(30 * 24 * HOUR);
    expect((await store.begin(key, repoB, { ...open, runId: 'b' })).decision.reason).toBe(
      'attempt_pending',
    );
    await store.finish(first.attemptId ?? -1, 'failure');
    const second = await store.begin(key, repoB, { ...open, runId: 'c' });
    expect(second.n).toBe(2);
    await store.finish(second.attemptId ?? -1, 'failure');
    clock.advance(30 * 24 * HOUR);
    // repoB allows 2 attempts (repoA, the default, 3).
    expect((await store.evaluate(key, repoB, { ...open, runId: 'd' })).reason).toBe('max_attempts');
    expect((await store.evaluate(key, repoA, { ...open, runId: 'd' })).reason).toBe('eligible');
  });

  test('/homeostat retry lifts the cooldown and grants one attempt past the maximum', async ({
    expect,
  }) => {
    const clock = createClock();
    const store = new AttemptStore(env.DB, clock.now);
    const key = keyFor();
    for (let i = 0; i < 3; i++) {
      const a = await store.begin(key, repoA, { ...open, runId: `r${i}` });
      await store.finish(a.attemptId ?? -1, 'failure');
      clock.advance(200 * HOUR);
    }
    expect((await store.evaluate(key, repoA, { ...open, runId: 'x' })).reason).toBe('max_attempts');
    await store.grantRetry(key, repoA);
    const fourth = await store.begin(key, repoA, { ...open, runId: 'x' });
    expect(fourth.n).toBe(4);
    await store.finish(fourth.attemptId ?? -1, 'failure');
    expect((await store.evaluate(key, repoA, { ...open, runId: 'y' })).reason).toBe('max_attempts');
  });

  test('a run starts at most maxPrsPerRun attempts per repository', async ({ expect }) => {
    const store = new AttemptStore(env.DB, createClock().now);
    const runId = `run-${crypto.randomUUID()}`;
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push((await store.begin(keyFor(), repoA, { ...open, runId })).decision.reason);
    }
    expect(results).toEqual(['eligible', 'eligible', 'run_budget']);
    expect(
      (await store.begin(keyFor(), repoA, { ...open, runId: `${runId}-next` })).decision.allowed,
    ).toBe(true);
  });

  test('open pull requests are capped per repository', async ({ expect }) => {
    const store = new AttemptStore(env.DB, createClock().now);
    const repo = {
      ...repoA,
      slug: `octo-org/cap-${crypto.randomUUID().slice(0, 8)}`,
      maxOpenPrs: 2,
    };
    for (let i = 0; i < 2; i++) {
      const a = await store.begin(keyFor(repo.slug), repo, { ...open, runId: `cap-${i}` });
      await store.attachPullRequest(a.attemptId ?? -1, {
        branch: `homeostat/x${i}`,
        headSha: `sha${i}`,
        prNumber: i + 1,
        prState: 'open',
      });
    }
    const denied = await store.begin(keyFor(repo.slug), repo, { ...open, runId: 'cap-2' });
    expect(denied.decision).toMatchObject({
      allowed: false,
      reason: 'open_pr_cap',
      detail: { openPrs: 2, maxOpenPrs: 2 },
    });
    expect(await store.findByHeadSha(repo.slug, 'sha1')).toMatchObject({ pr_number: 2 });
  });

  test('two consumers starting the same attempt at once start it once', async ({ expect }) => {
    const store = new AttemptStore(env.DB, createClock().now);
    const key = keyFor();
    const both = await Promise.all([
      store.begin(key, repoA, { ...open, runId: 'p1' }),
      store.begin(key, repoA, { ...open, runId: 'p2' }),
    ]);
    expect(both.filter((b) => b.attemptId !== null)).toHaveLength(1);
    expect((await store.state(key)).attempts).toBe(1);
  });

  test('opt-out, human review and closed issues are refused first, and say so', async ({
    expect,
  }) => {
    const store = new AttemptStore(env.DB, createClock().now);
    const key = keyFor();
    expect(
      (await store.begin(key, repoA, { ...open, runId: 'o', optedOut: true })).decision.reason,
    ).toBe('opted_out');
    expect(
      (await store.begin(key, repoA, { ...open, runId: 'o', autoFixable: false })).decision.reason,
    ).toBe('human_review');
    expect(
      (await store.begin(key, repoA, { ...open, runId: 'o', issueOpen: false })).decision.reason,
    ).toBe('issue_closed');
    expect((await decisions(key)).map((d) => d.reason)).toEqual([
      'opted_out',
      'human_review',
      'issue_closed',
    ]);
  });
});
