import { env } from 'cloudflare:workers';
import { describe, expect, test } from 'vitest';
import { createFixWebhookHooks } from '../../src/fix/ci/fix-webhook-hooks.ts';
import { FixRunStore } from '../../src/fix/fix-run-store.ts';
import { OutboxGitHubGateway } from '../../src/github/github-gateway.ts';
import { handleWebhookEvent } from '../../src/webhook/webhook-handlers.ts';
import { createClock } from '../support/clock.ts';
import { EXT_A, REPO_A, testConfig } from '../support/config.ts';
import { seedFingerprint } from '../support/fingerprints.ts';
import { GITHUB_TOKEN, githubTestbed } from '../support/github.ts';

/**
 * Learning from merges (issue 10, item 5) through the real webhook handler and hooks: a fix a
 * person merged becomes a repository-scoped pattern in production only; Homeostat's own
 * auto-merge and any merge outside production teach nothing.
 */

const clock = createClock();
const BEFORE = 'export function count(state) {\n  const n = state.notes.length;\n  return n;\n}\n';
const AFTER = BEFORE.replace('state.notes.length', 'state.notes?.length');
let seq = 0;

async function mergedFix(opts: { ciOutcome?: string } = {}) {
  seq++;
  const fp = `fp1:${seq.toString(16).padStart(4, '0')}${'5a'.repeat(14)}`;
  const head = `${seq.toString(16).padStart(4, '0')}${'b'.repeat(36)}`;
  await seedFingerprint(env.DB, {
    extensionId: EXT_A,
    fingerprint: fp,
    message: "Cannot read properties of undefined (reading 'length')",
  });
  const row = await env.DB.prepare(
    `INSERT INTO triage_attempts (repo, extension_id, fingerprint, n, run_id, started_at, branch,
       head_sha, pr_number, pr_state) VALUES (?1, ?2, ?3, 1, 'r', 0, 'b', ?4, ?5, 'open') RETURNING id`,
  )
    .bind(REPO_A.toLowerCase(), EXT_A, fp, head, 300 + seq)
    .first<{ id: number }>();
  const id = row?.id ?? -1;
  const runs = new FixRunStore(env.DB, clock.now);
  await runs.open(id, { repo: REPO_A, extensionId: EXT_A, fingerprint: fp }, 1, 'r', null);
  await runs.advance(id, ['proposing'], 'ci_green', {
    candidateSource: 'model:cheap/m',
    candidate: JSON.stringify({
      source: { kind: 'model' },
      changes: [{ path: 'src/count.js', before: BEFORE, after: AFTER }],
      summary: 'Guards a read of undefined',
    }),
    context: JSON.stringify({
      commitSha: 'c'.repeat(40),
      culprit: { path: 'src/count.js', line: 2, function: 'count' },
      editablePaths: ['src/count.js'],
      frames: 1,
    }),
    prUrl: `https://github.com/${REPO_A}/pull/${300 + seq}`,
    ...(opts.ciOutcome === undefined ? {} : { ciOutcome: opts.ciOutcome }),
  });
  return { head, pr: 300 + seq };
}

async function closeMerged(
  homeostatEnv: string,
  fix: { head: string; pr: number },
  mergedBy: { login: string; type: string },
) {
  const e: Env = { ...env, HOMEOSTAT_ENV: homeostatEnv };
  const config = testConfig();
  const repo = config.repositories[0];
  if (repo === undefined) throw new Error('no repository');
  const github = new OutboxGitHubGateway(env.DB, clock.now);
  return handleWebhookEvent(
    {
      db: env.DB,
      github,
      repo,
      now: clock.now,
      queue: undefined,
      fix: createFixWebhookHooks(e, config, { now: clock.now }, github, 'homeostat[bot]'),
    },
    'pull_request',
    `merge-${fix.pr}`,
    {
      action: 'closed',
      number: fix.pr,
      pull_request: {
        number: fix.pr,
        state: 'closed',
        merged: true,
        merge_commit_sha: 'f'.repeat(40),
        merged_by: mergedBy,
        head: { sha: fix.head, ref: 'homeostat/fix-x', repo: { full_name: REPO_A } },
      },
      repository: { full_name: REPO_A },
      sender: mergedBy,
    },
  );
}

async function learned(): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS n FROM fix_patterns WHERE provenance = 'learned' AND scope = ?1",
  )
    .bind(REPO_A.toLowerCase())
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe('learning from merged fixes', () => {
  test('outside production a human merge teaches nothing', async () => {
    await closeMerged('test', await mergedFix(), { login: 'octocat', type: 'User' });
    expect(await learned()).toBe(0);
  });

  test("Homeostat's own auto-merge is never learned from, even in production", async () => {
    const fix = await mergedFix({ ciOutcome: 'success: test (auto-merge)' });
    // A token that belongs to a user account: only the gate's marker tells the merge apart.
    await closeMerged('production', fix, { login: 'release-bot-user', type: 'User' });
    expect(await learned()).toBe(0);
  });

  test('in production a human merge becomes a repository pattern with its PR as provenance', async () => {
    await closeMerged('production', await mergedFix(), { login: 'octocat', type: 'User' });
    const rows = await env.DB.prepare(
      "SELECT source_pr_url, learned_env, state FROM fix_patterns WHERE provenance = 'learned'",
    ).all();
    expect(rows.results).toEqual([
      {
        source_pr_url: expect.stringContaining(`/${REPO_A}/pull/`),
        learned_env: 'production',
        state: 'active',
      },
    ]);
  });
});

// Another property than the Homeostat PR above: a learned pattern is keyed by its signature.
const HUMAN_BEFORE =
  'export function count(state) {\n  const n = state.tags.size;\n  return n;\n}\n';
const HUMAN_AFTER = HUMAN_BEFORE.replace('state.tags.size', 'state.tags?.size ?? 0');

describe("learning from a person's own PR that closes a Homeostat issue", () => {
  async function humanFix(homeostatEnv: string) {
    seq++;
    const bed = githubTestbed({ now: clock.now });
    await bed.emulator.addRepo(REPO_A, { files: { 'src/count.js': HUMAN_BEFORE } });
    // The seeded sample's event id comes from the fingerprint's tail: keep the tails distinct.
    const fp = `fp1:${'6b'.repeat(14)}${seq.toString(16).padStart(4, '0')}`;
    await seedFingerprint(env.DB, {
      extensionId: EXT_A,
      fingerprint: fp,
      message: "Cannot read properties of undefined (reading 'size')",
      stack:
        "TypeError: Cannot read properties of undefined (reading 'size')\n" +
        `    at count (chrome-extension://${EXT_A}/src/count.js:2:25)`,
    });
    const issueNumber = 700 + seq;
    await env.DB.prepare(
      `INSERT INTO triage_issues (repo, extension_id, fingerprint, state, issue_number, class,
         created_at, updated_at) VALUES (?1, ?2, ?3, 'open', ?4, 'safe', 0, 0)`,
    )
      .bind(REPO_A.toLowerCase(), EXT_A, fp, issueNumber)
      .run();
    await bed.emulator.humanPushes(REPO_A, 'fix-count', { 'src/count.js': HUMAN_AFTER });
    const pr = bed.emulator.humanOpensPr(REPO_A, {
      head: 'fix-count',
      title: 'Guard the count',
      body: `Fixes #${issueNumber}`,
    });
    const mergeSha = await bed.emulator.humanMerges(REPO_A, pr, 'octocat', 'squash');
    const e: Env = { ...env, HOMEOSTAT_ENV: homeostatEnv, GITHUB_TOKEN };
    const config = testConfig();
    const repo = config.repositories[0];
    if (repo === undefined) throw new Error('no repository');
    const github = new OutboxGitHubGateway(env.DB, clock.now);
    const deps = { now: clock.now, fetch: bed.clientFetch };
    const result = await handleWebhookEvent(
      {
        db: env.DB,
        github,
        repo,
        now: clock.now,
        queue: undefined,
        fix: createFixWebhookHooks(e, config, deps, github, 'homeostat[bot]'),
      },
      'pull_request',
      `human-merge-${seq}`,
      {
        action: 'closed',
        number: pr,
        pull_request: {
          number: pr,
          state: 'closed',
          merged: true,
          merge_commit_sha: mergeSha,
          merged_by: { login: 'octocat', type: 'User' },
          body: `Fixes #${issueNumber}`,
          html_url: `https://github.com/${REPO_A}/pull/${pr}`,
          head: { sha: mergeSha, ref: 'fix-count' },
        },
        repository: { full_name: REPO_A },
        sender: { login: 'octocat', type: 'User' },
      },
    );
    return { result, pr, bed };
  }

  async function learnedFrom(pr: number) {
    return env.DB.prepare(
      "SELECT learned_env FROM fix_patterns WHERE provenance = 'learned' AND source_pr_url LIKE ?1",
    )
      .bind(`%/pull/${pr}`)
      .all();
  }

  test('outside production nothing is read or learned', async () => {
    const { result, pr, bed } = await humanFix('test');
    expect(result.detail).toContain('human fix of #');
    expect((await learnedFrom(pr)).results).toEqual([]);
    expect(bed.emulator.requests.filter((r) => r.path.includes('/git/'))).toEqual([]);
  });

  test('in production the change it made to the localized files becomes a pattern', async () => {
    const { pr, bed } = await humanFix('production');
    expect((await learnedFrom(pr)).results).toEqual([{ learned_env: 'production' }]);
    expect(bed.violations).toEqual([]);
  });
});
