import { env } from 'cloudflare:workers';
import type { RepositoryConfig } from '@homeostat/shared';
import { beforeEach, describe, expect, test } from 'vitest';
import { AttemptStore } from '../../src/attempt-store.ts';
import { gateAttempt, type PrActions } from '../../src/fix/ci/ci-gate.ts';
import { FixRunStore } from '../../src/fix/fix-run-store.ts';
import { handleWebhookEvent } from '../../src/webhook/webhook-handlers.ts';
import { createClock } from '../support/clock.ts';
import { EXT_A, REPO_A, testConfig } from '../support/config.ts';

/**
 * CI gating on the exact head SHA (issue 10, items 3 and 4): the gate reads the CI events
 * recorded for an attempt and acts once, by compare-and-set on the attempt's run stage.
 */

const clock = createClock();
const HEAD = 'd'.repeat(40);
const OLD_HEAD = 'e'.repeat(40);

function recordingActions(mergeOutcome: 'ok' | 'head_changed' = 'ok') {
  const calls: string[] = [];
  const actions: PrActions = {
    markReadyForReview: async (_repo, pr) => {
      calls.push(`ready #${pr}`);
      return true;
    },
    merge: async (_repo, pr, sha) => {
      calls.push(`merge #${pr} @${sha.slice(0, 4)}`);
      return mergeOutcome === 'ok'
        ? { ok: true, mergeSha: 'f'.repeat(40) }
        : { ok: false, reason: 'head_changed' };
    },
    requestReview: async (_repo, pr) => {
      calls.push(`review #${pr}`);
    },
    addLabels: async (_repo, n, labels) => {
      calls.push(`label #${n} ${labels.join(',')}`);
    },
    comment: async (_repo, n, body) => {
      calls.push(`comment #${n} ${body.slice(0, 40)}`);
    },
  };
  return { actions, calls };
}

let seq = 0;
async function seedAttempt(
  opts: { cls?: string; n?: number; maxed?: boolean } = {},
): Promise<{ attemptId: number; fp: string }> {
  seq++;
  const fp = `fp1:${seq.toString(16).padStart(4, '0')}${'cd'.repeat(14)}`;
  const n = opts.n ?? 1;
  await env.DB.prepare(
    `INSERT INTO triage_issues (repo, extension_id, fingerprint, state, issue_number, class,
       created_at, updated_at) VALUES (?1, ?2, ?3, 'open', ?4, ?5, 0, 0)`,
  )
    .bind(REPO_A.toLowerCase(), EXT_A, fp, 500 + seq, opts.cls ?? 'safe')
    .run();
  const attempt = await env.DB.prepare(
    `INSERT INTO triage_attempts (repo, extension_id, fingerprint, n, run_id, started_at, branch,
       head_sha, pr_number, pr_state) VALUES (?1, ?2, ?3, ?4, 'r', 0, 'b', ?5, ?6, 'open') RETURNING id`,
  )
    .bind(REPO_A.toLowerCase(), EXT_A, fp, n, HEAD, 900 + seq)
    .first<{ id: number }>();
  const attemptId = attempt?.id ?? -1;
  await env.DB.prepare(
    `INSERT INTO triage_attempt_state (repo, extension_id, fingerprint, attempts, last_result,
       last_attempt_at, backoff_until, updated_at) VALUES (?1, ?2, ?3, ?4, 'pending', 0, 0, 0)`,
  )
    .bind(REPO_A.toLowerCase(), EXT_A, fp, n)
    .run();
  const runs = new FixRunStore(env.DB, clock.now);
  await runs.open(attemptId, { repo: REPO_A, extensionId: EXT_A, fingerprint: fp }, n, 'r', null);
  await runs.advance(attemptId, ['proposing'], 'pr_written', {
    candidateSource: 'pattern:builtin:optional-chain',
  });
  return { attemptId, fp };
}

let delivery = 0;
async function ciEvent(
  attemptId: number,
  e: { event?: string; name: string; status?: string; conclusion?: string | null; sha?: string },
) {
  delivery++;
  await env.DB.prepare(
    `INSERT INTO triage_ci_events (delivery_id, attempt_id, event, action, head_sha, name, status,
       conclusion, pr_number, received_at) VALUES (?1, ?2, ?3, 'completed', ?4, ?5, ?6, ?7, NULL, ?8)`,
  )
    .bind(
      `d-${delivery}`,
      attemptId,
      e.event ?? 'check_run',
      e.sha ?? HEAD,
      e.name,
      e.status ?? 'completed',
      e.conclusion ?? null,
      delivery,
    )
    .run();
}

async function attemptRow(attemptId: number) {
  const row = await env.DB.prepare('SELECT * FROM triage_attempts WHERE id = ?1')
    .bind(attemptId)
    .first<{
      repo: string;
      extension_id: string;
      fingerprint: string;
      n: number;
      head_sha: string;
      pr_number: number;
      id: number;
      result: string;
      pr_state: string;
    }>();
  if (row === null) throw new Error('no attempt');
  return row;
}

function repoWith(overrides: Partial<RepositoryConfig>): RepositoryConfig {
  const base = testConfig().repositories[0] as RepositoryConfig;
  return { ...base, requiredChecks: ['test', 'lint'], ...overrides };
}

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare('DELETE FROM triage_attempts'),
    env.DB.prepare('DELETE FROM triage_attempt_state'),
    env.DB.prepare('DELETE FROM fix_attempt_runs'),
  ]);
});

describe('gateAttempt', () => {
  test('waits while a required check has not finished on the head SHA', async () => {
    const { attemptId } = await seedAttempt();
    const { actions, calls } = recordingActions();
    await ciEvent(attemptId, { name: 'test', conclusion: 'success' });
    await ciEvent(attemptId, { name: 'lint', status: 'in_progress' });
    const repo = repoWith({ autoMerge: true });
    expect(
      await gateAttempt({ db: env.DB, repo, actions, now: clock.now }, await attemptRow(attemptId)),
    ).toBe('pending');
    expect(calls).toEqual([]);
  });

  test('green on the head SHA, safe class, autoMerge: ready, then merged with the SHA pinned — once', async () => {
    const { attemptId } = await seedAttempt();
    const { actions, calls } = recordingActions();
    await ciEvent(attemptId, { name: 'test', conclusion: 'success' });
    await ciEvent(attemptId, { name: 'lint', conclusion: 'success' });
    const repo = repoWith({ autoMerge: true });
    const ctx = { db: env.DB, repo, actions, now: clock.now };
    expect(await gateAttempt(ctx, await attemptRow(attemptId))).toBe('merged');
    expect(await gateAttempt(ctx, await attemptRow(attemptId))).toBe('already_decided');
    expect(calls.map((c) => c.replace(/#\d+/, '#N'))).toEqual(['ready #N', 'merge #N @dddd']);
    const run = await new FixRunStore(env.DB, clock.now).get(attemptId);
    expect(run).toMatchObject({ stage: 'merged', merge_sha: 'f'.repeat(40) });
    expect(await attemptRow(attemptId)).toMatchObject({ result: 'success', pr_state: 'merged' });
  });

  test('results for an older head SHA do not count', async () => {
    const { attemptId } = await seedAttempt();
    const { actions, calls } = recordingActions();
    await ciEvent(attemptId, { name: 'test', conclusion: 'success', sha: OLD_HEAD });
    await ciEvent(attemptId, { name: 'lint', conclusion: 'success', sha: OLD_HEAD });
    const repo = repoWith({ autoMerge: true });
    expect(
      await gateAttempt({ db: env.DB, repo, actions, now: clock.now }, await attemptRow(attemptId)),
    ).toBe('pending');
    expect(calls).toEqual([]);
  });

  test('a merge GitHub refuses because the head moved leaves the PR unmerged', async () => {
    const { attemptId } = await seedAttempt();
    const { actions } = recordingActions('head_changed');
    await ciEvent(attemptId, { name: 'test', conclusion: 'success' });
    await ciEvent(attemptId, { name: 'lint', conclusion: 'success' });
    const repo = repoWith({ autoMerge: true });
    expect(
      await gateAttempt({ db: env.DB, repo, actions, now: clock.now }, await attemptRow(attemptId)),
    ).toBe('merge_refused');
    expect(await attemptRow(attemptId)).toMatchObject({ result: 'pending', pr_state: 'open' });
  });

  test('needs-validation: ready, review requested and labelled, never merged', async () => {
    const { attemptId } = await seedAttempt({ cls: 'needs-validation' });
    const { actions, calls } = recordingActions();
    await ciEvent(attemptId, { name: 'test', conclusion: 'success' });
    await ciEvent(attemptId, { name: 'lint', conclusion: 'neutral' });
    const repo = repoWith({ autoMerge: true });
    expect(
      await gateAttempt({ db: env.DB, repo, actions, now: clock.now }, await attemptRow(attemptId)),
    ).toBe('review_requested');
    expect(calls.map((c) => c.replace(/#\d+/, '#N'))).toEqual([
      'ready #N',
      'review #N',
      'label #N needs-human-review',
    ]);
  });

  test('red: a scrubbed summary of the failing check is kept for the next attempt', async () => {
    const { attemptId } = await seedAttempt();
    const { actions, calls } = recordingActions();
    await env.DB.prepare(
      `INSERT INTO fix_ci_failures (delivery_id, attempt_id, head_sha, name, conclusion, title, summary, annotations, received_at)
       VALUES ('f-1', ?1, ?2, 'test', 'failure', '1 test failed', 'expected null, got jane.doe@example.com', 'test/popup.test.js:12: assertion failed', 1)`,
    )
      .bind(attemptId, HEAD)
      .run();
    await ciEvent(attemptId, { name: 'test', conclusion: 'failure' });
    const repo = repoWith({ autoMerge: true });
    const outcomes: boolean[] = [];
    const result = await gateAttempt(
      {
        db: env.DB,
        repo,
        actions,
        now: clock.now,
        onPatternOutcome: async (_source, success) => {
          outcomes.push(success);
        },
      },
      await attemptRow(attemptId),
    );
    expect(result).toBe('failed_retry_scheduled');
    expect(calls).toEqual([]);
    expect(outcomes).toEqual([false]);
    const run = await new FixRunStore(env.DB, clock.now).get(attemptId);
    expect(run?.stage).toBe('ci_red');
    expect(run?.ci_summary).toContain('check "test": failure');
    expect(run?.ci_summary).toContain('test/popup.test.js:12: assertion failed');
    expect(run?.ci_summary).not.toContain('jane.doe@example.com');
    expect(await attemptRow(attemptId)).toMatchObject({ result: 'failure' });
  });

  test('red on the last attempt: the issue and PR need a human, and Homeostat says so', async () => {
    const { attemptId } = await seedAttempt({ n: 3 });
    const { actions, calls } = recordingActions();
    await ciEvent(attemptId, { name: 'lint', conclusion: 'timed_out' });
    const repo = repoWith({});
    expect(
      await gateAttempt({ db: env.DB, repo, actions, now: clock.now }, await attemptRow(attemptId)),
    ).toBe('failed_final');
    expect(calls.map((c) => c.replace(/#\d+/, '#N'))).toEqual([
      'label #N needs-human-review',
      'label #N needs-human-review',
      "comment #N Homeostat's fix attempt 3 of 3 failed it",
    ]);
  });
});

describe('CI webhooks reach the gate', () => {
  test('a check_run completed on the head runs the gate; a redelivery acts no more', async () => {
    const { attemptId } = await seedAttempt();
    const { actions, calls } = recordingActions();
    const repo = repoWith({ requiredChecks: ['test'], autoMerge: true });
    const payload = {
      action: 'completed',
      check_run: {
        id: 1,
        name: 'test',
        head_sha: HEAD,
        status: 'completed',
        conclusion: 'success',
        output: { title: 'ok', summary: 'all passed' },
      },
      repository: { full_name: REPO_A },
    };
    const ctx = {
      db: env.DB,
      github: undefined as never,
      repo,
      now: clock.now,
      queue: undefined,
      fix: { actions, ourLogin: 'homeostat[bot]' },
    };
    const first = await handleWebhookEvent(ctx, 'check_run', 'deliv-1', payload);
    expect(first.detail).toContain('gate merged');
    const second = await handleWebhookEvent(ctx, 'check_run', 'deliv-2', payload);
    expect(second.detail).toContain('gate already_decided');
    expect(calls.filter((c) => c.startsWith('merge'))).toHaveLength(1);
    expect(
      await new AttemptStore(env.DB, clock.now).state({
        repo: REPO_A,
        extensionId: EXT_A,
        fingerprint: (await attemptRow(attemptId)).fingerprint,
      }),
    ).toMatchObject({ lastResult: 'success' });
  });

  test('a failed check_run keeps its first annotations for the next attempt', async () => {
    const { attemptId } = await seedAttempt();
    const { actions } = recordingActions();
    const repo = repoWith({ requiredChecks: ['test'] });
    const asked: number[] = [];
    const ctx = {
      db: env.DB,
      github: undefined as never,
      repo,
      now: clock.now,
      queue: undefined,
      fix: {
        actions,
        ourLogin: null,
        annotations: async (_repo: string, id: number) => {
          asked.push(id);
          return 'test/popup.test.js:6: Expected values to be strictly equal';
        },
      },
    };
    const result = await handleWebhookEvent(ctx, 'check_run', 'deliv-annotated', {
      action: 'completed',
      check_run: {
        id: 77,
        name: 'test',
        head_sha: HEAD,
        status: 'completed',
        conclusion: 'failure',
        output: { title: '1 failing', summary: 'see annotations', annotations_count: 1 },
      },
      repository: { full_name: REPO_A },
    });
    expect(result.detail).toContain('gate failed_retry_scheduled');
    expect(asked).toEqual([77]);
    const run = await new FixRunStore(env.DB, clock.now).get(attemptId);
    expect(run?.ci_summary).toContain('test/popup.test.js:6: Expected values to be strictly equal');
  });
});
