import { env } from 'cloudflare:workers';
import type { FixQueueMessage, RepositoryConfig } from '@homeostat/shared';
import { beforeEach, describe, expect, test } from 'vitest';
import { createTriageApp } from '../../src/app.ts';
import type { Candidate, FixContext, RepoSnapshot } from '../../src/fix/fix.types.ts';
import { type PullRequestStage, processFixMessage } from '../../src/fix/fix-attempt.ts';
import type { FixStages, ModelStageOutcome } from '../../src/fix/fix-engine.ts';
import { FixRunStore } from '../../src/fix/fix-run-store.ts';
import { createClock } from '../support/clock.ts';
import { EXT_A, REPO_A, testConfig } from '../support/config.ts';
import { seedFingerprint } from '../support/fingerprints.ts';

/**
 * The fix attempt's orchestration with scripted stages (the stages themselves have their own
 * tests): which attempt starts, what a redelivery at each stage does, and that a model call or a
 * PR is never made twice for one attempt (issue 10, item 1).
 */

let seq = 0;
let prCount = 0;
function fingerprint(): string {
  seq++;
  return `fp1:${seq.toString(16).padStart(4, '0')}${'ab'.repeat(14)}`;
}

async function seedIssue(fp: string, cls = 'safe', number = 100 + seq): Promise<void> {
  await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
  await env.DB.prepare(
    `INSERT INTO triage_issues (repo, extension_id, fingerprint, state, issue_number, class,
       created_at, updated_at) VALUES (?1, ?2, ?3, 'open', ?4, ?5, 0, 0)`,
  )
    .bind(REPO_A.toLowerCase(), EXT_A, fp, number, cls)
    .run();
}

function context(fp: string): FixContext {
  return {
    repo: REPO_A,
    commitSha: 'a'.repeat(40),
    extensionId: EXT_A,
    fingerprint: fp,
    event: { type: 'TypeError', message: 'x', stack: null, surface: 'popup', version: '1.2.0' },
    evidence: {
      title: 't',
      culprit: null,
      events: 3,
      installs: 2,
      versions: ['1.2.0'],
      surfaces: ['popup'],
      firstSeen: 0,
      lastSeen: 0,
    },
    frames: [],
    culprit: { function: 'render', path: 'src/popup.js', line: 3, column: 5, via: 'source_roots' },
    files: {},
    windows: [],
    editablePaths: ['src/popup.js'],
  };
}

const change = { path: 'src/popup.js', before: 'a.b\n', after: 'a?.b\n' };

function modelCandidate(): Candidate {
  return {
    source: {
      kind: 'model',
      provider: 'cheap',
      model: 'm',
      callIds: [1],
      votes: 2,
      of: 3,
      costUsd: 0.01,
      inputTokens: 1000,
      outputTokens: 200,
    },
    changes: [change],
    summary: 'Guards a null read in src/popup.js',
  };
}

interface Script {
  pattern?: 'hit' | 'miss';
  model?: ModelStageOutcome | 'throw';
  guardrails?: 'pass' | 'reject';
  pr?: 'ok' | 'human_pushed' | 'throw';
}

function scripted(script: Script) {
  const calls = { snapshot: 0, pattern: 0, model: 0, check: 0, pr: 0 };
  const snapshot: RepoSnapshot = {
    repo: REPO_A,
    commitSha: 'a'.repeat(40),
    paths: () => ['src/popup.js'],
    read: async () => ({ ok: false, reason: 'not_found' }),
  };
  const stages: FixStages = {
    openSnapshot: async () => {
      calls.snapshot++;
      return snapshot;
    },
    localize: async (input) => ({ ok: true, context: context(input.report.fingerprint) }),
    pattern: async () => {
      calls.pattern++;
      return script.pattern === 'hit'
        ? {
            ok: true,
            candidate: {
              source: {
                kind: 'pattern',
                patternId: 'builtin:optional-chain',
                confidence: 0.9,
                fuzzy: false,
              },
              changes: [change],
              summary: 'Optional chaining on the null read',
            },
          }
        : { ok: false, reason: 'no_matching_pattern' };
    },
    model: async () => {
      calls.model++;
      if (script.model === 'throw') throw new Error('worker died mid-call');
      return (
        script.model ?? { ok: false, reason: 'no_provider', calls: 0, costUsd: 0, malformed: [] }
      );
    },
    check: () => {
      calls.check++;
      return script.guardrails === 'reject'
        ? {
            ok: false,
            rejections: [{ reason: 'added_url', path: 'src/popup.js' }],
            stats: { files: 1, added: 1, removed: 1 },
          }
        : { ok: true, stats: { files: 1, added: 1, removed: 1 } };
    },
    recordVerdict: async () => {},
  };
  const pr: PullRequestStage = {
    write: async (input) => {
      calls.pr++;
      if (script.pr === 'throw') throw new Error('GitHub went away');
      if (script.pr === 'human_pushed')
        return { ok: false, reason: 'human_pushed', githubCalls: 1 };
      return {
        ok: true,
        branch: `homeostat/fix-${input.key.fingerprint.slice(4, 16)}`,
        headSha: 'c'.repeat(40),
        prNumber: 7 + prCount++,
        prUrl: 'https://github.com/octo-org/notes-extension/pull/7',
        githubCalls: 6,
      };
    },
  };
  return { stages, pr, calls };
}

function message(fp: string, attempt = 1, feedback?: string): FixQueueMessage {
  return {
    v: 1,
    kind: 'fix',
    fingerprintId: fp,
    extensionId: EXT_A,
    attempt,
    ...(feedback === undefined ? {} : { feedback }),
  };
}

const clock = createClock();
const config = testConfig();
const repo = config.repositories[0] as RepositoryConfig;
let runId = 'run-0';
beforeEach(async () => {
  runId = `run-${Math.random().toString(36).slice(2)}`;
  // Open PRs count against maxOpenPrs across the file's tests, which share one D1 database.
  await env.DB.batch([
    env.DB.prepare('DELETE FROM triage_attempts'),
    env.DB.prepare('DELETE FROM triage_attempt_state'),
    env.DB.prepare('DELETE FROM fix_attempt_runs'),
  ]);
});

function deps(s: ReturnType<typeof scripted>) {
  return { db: env.DB, config, stages: s.stages, pr: s.pr, now: clock.now, runId };
}

async function stageOf(fp: string) {
  const row = await new FixRunStore(env.DB, clock.now).latest({
    repo: repo.slug,
    extensionId: EXT_A,
    fingerprint: fp,
  });
  return row;
}

describe('processFixMessage', () => {
  test('a pattern fix that passes the guardrails becomes one PR; a redelivery makes none', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const s = scripted({ pattern: 'hit' });
    const first = await processFixMessage(deps(s), message(fp));
    expect(first).toMatchObject({ kind: 'pr_written' });
    const again = await processFixMessage(deps(s), message(fp));
    expect(again).toEqual({ kind: 'already_done', stage: 'pr_written' });
    expect(s.calls).toMatchObject({ pattern: 1, model: 0, pr: 1 });
    const run = await stageOf(fp);
    expect(run).toMatchObject({
      stage: 'pr_written',
      candidate_source: 'pattern:builtin:optional-chain',
      pr_url: 'https://github.com/octo-org/notes-extension/pull/7',
      github_calls: 6,
    });
    const attempt = await env.DB.prepare(
      'SELECT n, head_sha, pr_number, pr_state, result FROM triage_attempts WHERE fingerprint = ?1',
    )
      .bind(fp)
      .first();
    expect(attempt).toEqual({
      n: 1,
      head_sha: 'c'.repeat(40),
      pr_number: expect.any(Number),
      pr_state: 'open',
      result: 'pending',
    });
  });

  test('no pattern → the model; its candidate and cost are recorded with the run', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const s = scripted({
      pattern: 'miss',
      model: { ok: true, candidates: [modelCandidate()], malformed: [], calls: 1, costUsd: 0.01 },
    });
    expect(await processFixMessage(deps(s), message(fp))).toMatchObject({ kind: 'pr_written' });
    expect(await stageOf(fp)).toMatchObject({
      stage: 'pr_written',
      candidate_source: 'model:cheap/m',
      input_tokens: 1000,
      output_tokens: 200,
      cost_usd: 0.01,
      model_calls: 1,
    });
  });

  test('a delivery that died during the model call is never retried into a second call', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const dying = scripted({ pattern: 'miss', model: 'throw' });
    await expect(processFixMessage(deps(dying), message(fp))).rejects.toThrow('worker died');
    expect(dying.calls.model).toBe(1);
    const healthy = scripted({
      pattern: 'miss',
      model: { ok: true, candidates: [modelCandidate()], malformed: [], calls: 1, costUsd: 0.01 },
    });
    const outcome = await processFixMessage(deps(healthy), message(fp));
    expect(outcome).toEqual({
      kind: 'stopped',
      stage: 'abandoned',
      reason: 'interrupted_model_call',
    });
    expect(healthy.calls.model).toBe(0);
    expect(healthy.calls.pr).toBe(0);
  });

  test('a PR write that failed resumes from the stored candidate without new candidates', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const failing = scripted({
      pattern: 'miss',
      model: { ok: true, candidates: [modelCandidate()], malformed: [], calls: 1, costUsd: 0.01 },
      pr: 'throw',
    });
    await expect(processFixMessage(deps(failing), message(fp))).rejects.toThrow('GitHub');
    const resumed = scripted({ pattern: 'miss' });
    expect(await processFixMessage(deps(resumed), message(fp))).toMatchObject({
      kind: 'pr_written',
    });
    expect(resumed.calls).toMatchObject({ snapshot: 0, pattern: 0, model: 0, pr: 1 });
  });

  test('every candidate rejected by the guardrails: no PR, the attempt fails with the verdicts', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const s = scripted({
      pattern: 'miss',
      model: { ok: true, candidates: [modelCandidate()], malformed: [], calls: 1, costUsd: 0.02 },
      guardrails: 'reject',
    });
    expect(await processFixMessage(deps(s), message(fp))).toEqual({
      kind: 'stopped',
      stage: 'no_candidate',
      reason: 'all_rejected',
    });
    expect(s.calls.pr).toBe(0);
    const run = await stageOf(fp);
    expect(run?.reason).toBe('all_rejected');
    expect(JSON.parse(run?.verdicts ?? '[]')).toEqual([
      { source: 'model:cheap/m', ok: false, reasons: ['added_url'] },
    ]);
    const attempt = await env.DB.prepare(
      'SELECT result FROM triage_attempts WHERE fingerprint = ?1',
    )
      .bind(fp)
      .first();
    expect(attempt).toEqual({ result: 'failure' });
  });

  test('a critical problem never reaches a candidate or a PR', async () => {
    const fp = fingerprint();
    await seedIssue(fp, 'critical');
    const s = scripted({ pattern: 'hit' });
    const outcome = await processFixMessage(deps(s), message(fp));
    expect(outcome).toMatchObject({ kind: 'skipped', reason: 'human_review' });
    expect(s.calls).toMatchObject({ snapshot: 0, pattern: 0, model: 0, pr: 0 });
  });

  test('only the next attempt starts: a stale or skipped-ahead attempt number is acked', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const s = scripted({ pattern: 'hit' });
    expect(await processFixMessage(deps(s), message(fp, 2))).toEqual({
      kind: 'skipped',
      reason: 'stale',
    });
    expect(s.calls.pattern).toBe(0);
  });

  test('a retry after CI refused a pattern fix goes to the model, not to the same pattern', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const first = scripted({ pattern: 'hit' });
    await processFixMessage(deps(first), message(fp));
    const run1 = await stageOf(fp);
    await env.DB.prepare("UPDATE fix_attempt_runs SET stage = 'ci_red' WHERE attempt_id = ?1")
      .bind(run1?.attempt_id ?? -1)
      .run();
    await env.DB.prepare(
      "UPDATE triage_attempts SET result = 'failure', pr_state = 'open' WHERE fingerprint = ?1",
    )
      .bind(fp)
      .run();
    await env.DB.prepare(
      "UPDATE triage_attempt_state SET last_result = 'failure', backoff_until = 0 WHERE fingerprint = ?1",
    )
      .bind(fp)
      .run();
    const second = scripted({
      pattern: 'hit',
      model: { ok: true, candidates: [modelCandidate()], malformed: [], calls: 1, costUsd: 0.01 },
    });
    runId = 'run-retry';
    expect(
      await processFixMessage(deps(second), message(fp, 2, 'check "test": failure')),
    ).toMatchObject({
      kind: 'pr_written',
    });
    expect(second.calls).toMatchObject({ pattern: 1, model: 1 });
    expect((await stageOf(fp))?.candidate_source).toBe('model:cheap/m');
  });

  test('maxOpenPrs is honoured: the next fingerprint waits while the repository has its cap', async () => {
    for (let i = 0; i < repo.maxOpenPrs; i++) {
      const fp = fingerprint();
      await seedIssue(fp);
      runId = `run-cap-${i}`; // a fresh run each time: maxPrsPerRun is not what is tested here
      expect(
        await processFixMessage(deps(scripted({ pattern: 'hit' })), message(fp)),
      ).toMatchObject({
        kind: 'pr_written',
      });
    }
    const fp = fingerprint();
    await seedIssue(fp);
    runId = 'run-cap-last';
    const s = scripted({ pattern: 'hit' });
    expect(await processFixMessage(deps(s), message(fp))).toEqual({
      kind: 'skipped',
      reason: 'open_pr_cap',
    });
    expect(s.calls.pattern).toBe(0);
  });

  test('maxPrsPerRun is honoured within one run', async () => {
    const results = [];
    for (let i = 0; i <= repo.maxPrsPerRun; i++) {
      const fp = fingerprint();
      await seedIssue(fp);
      results.push((await processFixMessage(deps(scripted({ pattern: 'hit' })), message(fp))).kind);
    }
    expect(results).toEqual([...Array(repo.maxPrsPerRun).fill('pr_written'), 'skipped']);
  });

  test('every attempt is a line of /admin/runs.jsonl: ids, source, verdicts, cost, PR, times', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const s = scripted({
      pattern: 'miss',
      model: { ok: true, candidates: [modelCandidate()], malformed: [], calls: 1, costUsd: 0.01 },
    });
    await processFixMessage(deps(s), message(fp));
    const app = createTriageApp(config, { now: clock.now });
    const res = await app.request(
      '/admin/runs.jsonl',
      { headers: { authorization: 'Bearer run-records-admin' } },
      { ...env, ADMIN_TOKEN: 'run-records-admin' },
    );
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const line = lines.find((l) => l.kind === 'fix_attempt' && l.fingerprint === fp);
    expect(line).toMatchObject({
      attempt: 1,
      stage: 'pr_written',
      candidateSource: 'model:cheap/m',
      verdicts: [{ source: 'model:cheap/m', ok: true, reasons: [] }],
      inputTokens: 1000,
      outputTokens: 200,
      costUsd: 0.01,
      modelCalls: 1,
      githubCalls: 6,
      prUrl: expect.stringContaining('/pull/'),
    });
    expect(Object.keys(line.timingsMs)).toEqual(
      expect.arrayContaining(['localize_ms', 'pattern_ms', 'model_ms', 'pr_ms']),
    );
    expect(JSON.stringify(line)).not.toContain('a?.b'); // ids and codes, never code or event text
  });

  test('a branch a human pushed to is abandoned, not overwritten', async () => {
    const fp = fingerprint();
    await seedIssue(fp);
    const s = scripted({ pattern: 'hit', pr: 'human_pushed' });
    expect(await processFixMessage(deps(s), message(fp))).toEqual({
      kind: 'stopped',
      stage: 'abandoned',
      reason: 'human_pushed',
    });
  });
});
