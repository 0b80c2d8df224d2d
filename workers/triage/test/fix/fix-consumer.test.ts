import { env } from 'cloudflare:workers';
import { describe, expect, inject, test, vi } from 'vitest';
import { OpenApiValidator } from '../../../../test/emulators/github/openapi-validator.ts';
import { step } from '../../../../test/emulators/model/model-emulator.ts';
import { correctFix, hostile } from '../../../../test/emulators/model/scripted-answers.ts';
import { recordMergeCall } from '../../src/fix/pr/pull-request-actions.ts';
import { listOutbox } from '../../src/outbox/outbox.ts';
import {
  type Bed,
  fixBed,
  MODEL_NAME,
  NULL_READ_LINE,
  nullReadStack,
  POPUP,
  POPUP_TEST,
  REPEAT_FIXED,
  REPEAT_LINE,
  repeatStack,
  UTIL,
} from './fix-consumer-bed.ts';

/**
 * The fix queue consumer wired to its real stages (issue 10, item 1 and "Done when"): the triage
 * consumer files the issue and sends the fix message; the fix consumer reads the emulated
 * repository, localizes the frame, runs the pattern library or the model (emulated), the
 * guardrails and the PR writer against the OpenAPI-validated GitHub emulator — or the dry-run
 * outbox. Every test redelivers and checks that nothing is made twice.
 */

const NULL_READ_FIXED = NULL_READ_LINE.replace('state.notes.length', 'state.notes?.length');
const UTIL_FIXED = UTIL.replace(REPEAT_LINE, REPEAT_FIXED);

const validator = new OpenApiValidator(inject('githubOpenApi'));

/** What the consumer logged with console.warn, kept out of the test output. */
function warnings() {
  const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
  return () => spy.mock.calls.map((c) => c.join(' '));
}

async function runOf(fingerprint: string) {
  return env.DB.prepare('SELECT * FROM fix_attempt_runs WHERE fingerprint = ?1 ORDER BY n')
    .bind(fingerprint)
    .all<Record<string, unknown>>()
    .then((r) => r.results);
}

async function attemptOf(fingerprint: string) {
  return env.DB.prepare(
    'SELECT n, result, branch, head_sha, pr_number, pr_state FROM triage_attempts WHERE fingerprint = ?1',
  )
    .bind(fingerprint)
    .all<Record<string, unknown>>()
    .then((r) => r.results);
}

async function inboxDeliveries(messageId: string) {
  const row = await env.DB.prepare(
    'SELECT queue, status, deliveries FROM queue_inbox WHERE message_id = ?1',
  )
    .bind(messageId)
    .first();
  return row;
}

/** Git's blob id, computed here independently of the code under test: sha1("blob <len>\0…"). */
async function gitBlobId(content: string): Promise<string> {
  const bytes = new TextEncoder().encode(content);
  const header = new TextEncoder().encode(`blob ${bytes.byteLength}\0`);
  const all = new Uint8Array(header.byteLength + bytes.byteLength);
  all.set(header);
  all.set(bytes, header.byteLength);
  const digest = await crypto.subtle.digest('SHA-1', all);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The files a commit changed relative to its only parent, with their new contents. */
function changedFiles(bed: Bed, commitSha: string): Record<string, string> {
  const git = bed.github.git(bed.slug);
  const commit = git.commits.get(commitSha);
  if (commit === undefined) throw new Error(`no commit ${commitSha}`);
  const parent = git.commits.get(commit.parents[0] ?? '');
  if (parent === undefined) throw new Error('no parent');
  const before = git.flatten(parent.tree);
  const after = git.flatten(commit.tree);
  const paths = new Set([...before.keys(), ...after.keys()]);
  const out: Record<string, string> = {};
  for (const p of paths) {
    const a = after.get(p);
    if (a?.sha === before.get(p)?.sha) continue;
    out[p] = a === undefined ? '(deleted)' : new TextDecoder().decode(git.blobs.get(a.sha));
  }
  return out;
}

/** One fix message through triage: the issue it filed and the message it sent. */
async function triaged(bed: Bed, stack: string, culprit: string) {
  const r = await bed.report(stack, culprit);
  expect(r.triaged).toEqual({ acked: [`triage-${r.fingerprint}`], retried: [], delays: {} });
  expect(r.fixMessages).toEqual([
    { v: 1, kind: 'fix', fingerprintId: r.fingerprint, extensionId: bed.ext, attempt: 1 },
  ]);
  const decision = await env.DB.prepare(
    `SELECT action, allowed, reason FROM triage_decisions WHERE fingerprint = ?1`,
  )
    .bind(r.fingerprint)
    .all();
  expect(decision.results).toEqual([{ action: 'attempt', allowed: 1, reason: 'eligible' }]);
  const message = r.fixMessages[0];
  if (message === undefined) throw new Error('no fix message');
  return { fingerprint: r.fingerprint, message };
}

function liveIssueNumber(bed: Bed): number {
  const issues = bed.github.issues(bed.slug);
  expect(issues).toHaveLength(1);
  return issues[0]?.number ?? 0;
}

describe('the fix consumer with its real stages (live, GitHub and model emulated)', () => {
  test('pattern path: one branch, one commit changing only the culprit file, one draft PR, no model call', async () => {
    const bed = await fixBed();
    const { fingerprint, message } = await triaged(bed, nullReadStack(bed.ext), 'renderCount');
    const issue = liveIssueNumber(bed);
    const from = bed.github.requests.length;

    expect(await bed.fix([{ id: `fix-${fingerprint}`, body: message }])).toEqual({
      acked: [`fix-${fingerprint}`],
      retried: [],
      delays: {},
    });

    const branch = `homeostat/fix-${fingerprint.slice(4, 16)}`;
    expect(branch).toMatch(/^homeostat\/fix-[0-9a-f]{12}$/);
    const git = bed.github.git(bed.slug);
    const head = git.refs.get(`refs/heads/${branch}`) ?? '';
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(git.commits.get(head)?.parents).toEqual([bed.baseSha]);
    expect(git.refs.get('refs/heads/main')).toBe(bed.baseSha);
    expect(changedFiles(bed, head)).toEqual({
      'src/popup.js': POPUP.replace(NULL_READ_LINE, NULL_READ_FIXED),
    });

    const prs = bed.github.openPullsWithHead(bed.slug, branch);
    expect(prs).toHaveLength(1);
    const pr = bed.github.pull(bed.slug, prs[0] ?? 0);
    expect(pr).toMatchObject({ draft: true, base: 'main', headSha: head });
    // A pull request's title, body and labels are those of its issue (GitHub's model).
    const text = bed.github.issue(bed.slug, pr.number);
    expect(text.title).toBe(
      "Fix TypeError: Cannot read properties of undefined (reading 'length')",
    );
    expect(text.body).toContain(`Fixes #${issue}`);
    expect(text.body).toContain('builtin:property-read/v8');
    expect(text.labels).toEqual(
      expect.arrayContaining(['homeostat', 'homeostat:fix', 'from-homeostat', 'class:safe']),
    );

    // The Git Data sequence, each request once: blob → tree → commit → ref → PR → labels.
    expect(bed.writes(from)).toEqual([
      `POST /repos/${bed.slug}/git/blobs`,
      `POST /repos/${bed.slug}/git/trees`,
      `POST /repos/${bed.slug}/git/commits`,
      `POST /repos/${bed.slug}/git/refs`,
      `POST /repos/${bed.slug}/pulls`,
      `POST /repos/${bed.slug}/issues/${pr.number}/labels`,
    ]);
    expect(bed.model.requests).toHaveLength(0);
    expect(bed.violations).toEqual([]);

    expect(await runOf(fingerprint)).toEqual([
      expect.objectContaining({
        n: 1,
        stage: 'pr_written',
        reason: null,
        candidate_source: 'pattern:builtin:property-read/v8',
        branch,
        head_sha: head,
        pr_url: `https://github.com/${bed.slug}/pull/${pr.number}`,
        model_calls: 0,
        cost_usd: 0,
      }),
    ]);
    expect(await attemptOf(fingerprint)).toEqual([
      { n: 1, result: 'pending', branch, head_sha: head, pr_number: pr.number, pr_state: 'open' },
    ]);
  });

  test('redelivery of the fix message (same id, new id) and of the triage message changes nothing', async () => {
    const bed = await fixBed();
    const { fingerprint, message } = await triaged(bed, nullReadStack(bed.ext), 'renderCount');
    const id = `fix-${fingerprint}`;
    await bed.fix([{ id, body: message }]);
    const git = bed.github.git(bed.slug);
    const branch = `homeostat/fix-${fingerprint.slice(4, 16)}`;
    const state = () => ({
      requests: bed.github.requests.length,
      commits: git.commits.size,
      blobs: git.blobs.size,
      refs: [...git.refs.entries()],
      issues: bed.github.issues(bed.slug).length,
      pulls: bed.github.openPullsWithHead(bed.slug, branch),
      model: bed.model.requests.length,
    });
    expect(state().pulls).toHaveLength(1);
    const before = state();
    const run = await runOf(fingerprint);
    const attempt = await attemptOf(fingerprint);
    const requests = bed.github.requests.length;

    // The queue redelivers the same message (a lost ack) and the sweep or triage sends it anew.
    expect(await bed.fix([{ id, body: message, attempts: 2 }])).toMatchObject({ acked: [id] });
    expect(await bed.fix([{ id: `${id}-again`, body: message }])).toMatchObject({
      acked: [`${id}-again`],
    });
    // Both in one batch too: one run, two messages for the same attempt.
    await bed.fix([
      { id: `${id}-a`, body: message },
      { id: `${id}-b`, body: message },
    ]);
    expect(state()).toEqual(before);
    // A written attempt costs no GitHub request at all, not even a read.
    expect(bed.github.requests.length).toBe(requests);
    expect(bed.model.requests).toHaveLength(0);
    expect(await runOf(fingerprint)).toEqual(run);
    expect(await attemptOf(fingerprint)).toEqual(attempt);
    expect(await inboxDeliveries(id)).toEqual({
      queue: 'homeostat-fix',
      status: 'accepted',
      deliveries: 2,
    });

    // Triage again (a redelivered fingerprint message): the attempt is pending, no new fix message.
    const sent = bed.sent.length;
    const writes = bed.writes().length;
    expect(await bed.retriage(fingerprint)).toMatchObject({ acked: [`triage-${fingerprint}`] });
    expect(bed.sent).toHaveLength(sent);
    expect(bed.writes()).toHaveLength(writes);
    const decisions = await env.DB.prepare(
      'SELECT allowed, reason FROM triage_decisions WHERE fingerprint = ?1 ORDER BY id',
    )
      .bind(fingerprint)
      .all();
    // Triage's decision, the fix consumer's start of the attempt, and the redelivery's: the
    // attempt's backoff (24h) has begun, so nothing is sent.
    expect(decisions.results).toEqual([
      { allowed: 1, reason: 'eligible' },
      { allowed: 1, reason: 'eligible' },
      { allowed: 0, reason: 'cooldown' },
    ]);
    expect(bed.violations).toEqual([]);
  });

  test('a PR whose answer was lost: the message is retried, and the redelivery adopts the PR instead of opening another', async () => {
    const bed = await fixBed();
    const { fingerprint, message } = await triaged(bed, nullReadStack(bed.ext), 'renderCount');
    // GitHub opens the pull request, and the answer never arrives (a proxy's 502).
    bed.github.injectFault({ method: 'POST', path: /\/pulls$/, status: 502, afterHandling: true });
    const id = `fix-${fingerprint}`;
    const warned = warnings();
    const first = await bed.fix([{ id, body: message }]);
    expect(first).toMatchObject({ acked: [], retried: [id] });
    expect(warned()).toEqual([expect.stringMatching(/^fix: message retried/)]);
    expect(await runOf(fingerprint)).toEqual([expect.objectContaining({ stage: 'proposed' })]);

    const from = bed.github.requests.length;
    expect(await bed.fix([{ id, body: message, attempts: 2 }])).toMatchObject({ acked: [id] });
    const branch = `homeostat/fix-${fingerprint.slice(4, 16)}`;
    const prs = bed.github.openPullsWithHead(bed.slug, branch);
    expect(prs).toHaveLength(1);
    // No second blob, tree, commit, ref or pull: only the labels were still to do.
    expect(bed.writes(from)).toEqual([`POST /repos/${bed.slug}/issues/${prs[0]}/labels`]);
    const git = bed.github.git(bed.slug);
    const head = git.refs.get(`refs/heads/${branch}`) ?? '';
    expect(changedFiles(bed, head)).toEqual({
      'src/popup.js': POPUP.replace(NULL_READ_LINE, NULL_READ_FIXED),
    });
    expect(await runOf(fingerprint)).toEqual([
      expect.objectContaining({ stage: 'pr_written', head_sha: head }),
    ]);
    expect(await attemptOf(fingerprint)).toEqual([
      expect.objectContaining({ head_sha: head, pr_number: prs[0], pr_state: 'open' }),
    ]);
    expect(bed.model.requests).toHaveLength(0);
  });

  test('model path: no pattern fits a RangeError; the scripted fix becomes the PR, its cost is recorded, never paid twice', async () => {
    const bed = await fixBed({ visibility: 'private', privateCode: true });
    const { fingerprint, message } = await triaged(bed, repeatStack(bed.ext), 'padLabel');
    const issue = liveIssueNumber(bed);
    const answer = correctFix('src/util.js', REPEAT_LINE, REPEAT_FIXED);
    bed.model.script(
      step.answer([answer, answer, answer], { prompt_tokens: 1500, completion_tokens: 120 }),
    );
    const id = `fix-${fingerprint}`;
    expect(await bed.fix([{ id, body: message }])).toMatchObject({ acked: [id], retried: [] });

    expect(bed.model.requests).toHaveLength(1);
    expect(bed.model.requests[0]).toMatchObject({ method: 'POST', status: 200, step: 'answer' });
    expect(bed.model.requests[0]?.url).toBe('https://models.fixer.test/v1/chat/completions');
    expect(bed.model.received[0]).toMatchObject({ model: MODEL_NAME, n: 3 });
    expect(bed.model.pending).toBe(0);

    const branch = `homeostat/fix-${fingerprint.slice(4, 16)}`;
    const head = bed.github.git(bed.slug).refs.get(`refs/heads/${branch}`) ?? '';
    expect(changedFiles(bed, head)).toEqual({ 'src/util.js': UTIL_FIXED });
    const [prNumber] = bed.github.openPullsWithHead(bed.slug, branch);
    const pr = bed.github.pull(bed.slug, prNumber ?? 0);
    expect(pr.draft).toBe(true);
    const text = bed.github.issue(bed.slug, pr.number).body;
    expect(text).toContain(`Fixes #${issue}`);
    expect(text).toContain(`fixer/${MODEL_NAME}`);
    expect(text).toContain('1500 input and 120 output tokens');

    // (1500 · 1 + 120 · 4) / 1e6 USD
    const cost = 0.00198;
    const calls = await env.DB.prepare(
      `SELECT provider, model, status, choices, input_tokens, output_tokens, cost_usd, attempt
       FROM fix_model_calls WHERE fingerprint = ?1`,
    )
      .bind(fingerprint)
      .all();
    expect(calls.results).toEqual([
      {
        provider: 'fixer',
        model: MODEL_NAME,
        status: 'ok',
        choices: 3,
        input_tokens: 1500,
        output_tokens: 120,
        cost_usd: expect.closeTo(cost, 9),
        attempt: 1,
      },
    ]);
    expect(await runOf(fingerprint)).toEqual([
      expect.objectContaining({
        stage: 'pr_written',
        candidate_source: `model:fixer/${MODEL_NAME}`,
        input_tokens: 1500,
        output_tokens: 120,
        cost_usd: expect.closeTo(cost, 9),
        model_calls: 1,
        head_sha: head,
      }),
    ]);

    const writes = bed.writes().length;
    await bed.fix([{ id, body: message, attempts: 2 }]);
    await bed.fix([{ id: `${id}-new`, body: message }]);
    expect(bed.model.requests).toHaveLength(1);
    expect(bed.writes()).toHaveLength(writes);
    expect(
      (
        await env.DB.prepare('SELECT COUNT(*) AS n FROM fix_model_calls WHERE fingerprint = ?1')
          .bind(fingerprint)
          .first()
      )?.n,
    ).toBe(1);
    expect(bed.violations).toEqual([]);
  });

  test('a hostile model answer becomes no PR: every candidate is rejected and its verdict recorded', async () => {
    const bed = await fixBed({ visibility: 'public' });
    const { fingerprint, message } = await triaged(bed, repeatStack(bed.ext), 'padLabel');
    const testBlock = POPUP_TEST.slice(POPUP_TEST.indexOf("test('renderTitle")).trimEnd();
    bed.model.script(
      step.answer([
        hostile.addsUrl({ path: 'src/util.js', anchor: REPEAT_LINE }),
        hostile.evalCode({ path: 'src/util.js', anchor: REPEAT_LINE }),
        hostile.deletesTest('test/popup.test.js', testBlock),
      ]),
    );
    const from = bed.github.requests.length;
    const id = `fix-${fingerprint}`;
    const warned = warnings();
    expect(await bed.fix([{ id, body: message }])).toMatchObject({ acked: [id], retried: [] });
    expect(warned()).toEqual(['fix: attempt stopped all_rejected']);

    expect(bed.model.requests).toHaveLength(1);
    expect(bed.writes(from)).toEqual([]);
    expect(bed.github.git(bed.slug).refs.size).toBe(1);
    const [run] = await runOf(fingerprint);
    expect(run).toMatchObject({
      stage: 'no_candidate',
      reason: 'all_rejected',
      model_calls: 1,
      branch: null,
      head_sha: null,
    });
    const verdicts = await env.DB.prepare(
      `SELECT candidate_kind, candidate_ref, verdict, reasons FROM fix_guardrail_verdicts
       WHERE fingerprint = ?1 ORDER BY id`,
    )
      .bind(fingerprint)
      .all<{ candidate_kind: string; candidate_ref: string; verdict: string; reasons: string }>();
    expect(verdicts.results.map((v) => [v.candidate_kind, v.candidate_ref, v.verdict])).toEqual([
      ['model', `fixer/${MODEL_NAME}`, 'reject'],
      ['model', `fixer/${MODEL_NAME}`, 'reject'],
      ['model', `fixer/${MODEL_NAME}`, 'reject'],
    ]);
    const reasons = verdicts.results.map((v) =>
      (JSON.parse(v.reasons) as { reason: string }[]).map((r) => r.reason),
    );
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.arrayContaining(['added_url']),
        expect.arrayContaining(['dangerous_code']),
        expect.arrayContaining(['deleted_test']),
      ]),
    );
    expect(await attemptOf(fingerprint)).toEqual([
      expect.objectContaining({ n: 1, result: 'failure', head_sha: null, pr_number: null }),
    ]);

    // Redelivered: the stopped attempt stays stopped, no second call, no second verdict.
    await bed.fix([{ id, body: message, attempts: 2 }]);
    expect(bed.model.requests).toHaveLength(1);
    expect(
      (
        await env.DB.prepare(
          'SELECT COUNT(*) AS n FROM fix_guardrail_verdicts WHERE fingerprint = ?1',
        )
          .bind(fingerprint)
          .first()
      )?.n,
    ).toBe(3);
    expect(bed.violations).toEqual([]);
  });

  test('a private repository with only a non-private provider: no model request at all', async () => {
    const bed = await fixBed({ visibility: 'private', privateCode: false });
    const { fingerprint, message } = await triaged(bed, repeatStack(bed.ext), 'padLabel');
    const from = bed.github.requests.length;
    const id = `fix-${fingerprint}`;
    const warned = warnings();
    expect(await bed.fix([{ id, body: message }])).toMatchObject({ acked: [id], retried: [] });
    expect(warned()).toEqual(['fix: attempt stopped no_eligible_provider']);
    expect(bed.model.requests).toHaveLength(0);
    expect(bed.writes(from)).toEqual([]);
    expect(await runOf(fingerprint)).toEqual([
      expect.objectContaining({
        stage: 'no_candidate',
        reason: 'no_eligible_provider',
        model_calls: 0,
        cost_usd: 0,
      }),
    ]);
    expect(
      (
        await env.DB.prepare('SELECT COUNT(*) AS n FROM fix_model_calls WHERE fingerprint = ?1')
          .bind(fingerprint)
          .first()
      )?.n,
    ).toBe(0);
  });
});

describe('the fix consumer in dry-run mode (no GITHUB_TOKEN)', () => {
  test('the outbox holds the exact branch, tree with git blob ids, commit, PR text, labels and merge call, once', async () => {
    const bed = await fixBed({ mode: 'dry-run' });
    const { fingerprint, message } = await triaged(bed, nullReadStack(bed.ext), 'renderCount');
    const repoKey = bed.slug.toLowerCase();
    const outbox = async () => listOutbox(env.DB, { limit: 1000, repo: repoKey });
    const [issueEntry, ...rest] = await outbox();
    expect(rest).toEqual([]);
    expect(issueEntry).toMatchObject({ method: 'POST', path: `/repos/${bed.slug}/issues` });

    const id = `fix-${fingerprint}`;
    expect(await bed.fix([{ id, body: message }])).toMatchObject({ acked: [id], retried: [] });
    // Reads only: dry-run never writes to GitHub.
    expect(bed.writes()).toEqual([]);
    expect(bed.model.requests).toHaveLength(0);

    const entries = (await outbox()).filter((e) => e.purpose.startsWith('fix_'));
    expect(entries.map((e) => `${e.purpose} ${e.method} ${e.path}`)).toEqual([
      `fix_create_blob POST /repos/${bed.slug}/git/blobs`,
      `fix_create_tree POST /repos/${bed.slug}/git/trees`,
      `fix_create_commit POST /repos/${bed.slug}/git/commits`,
      `fix_create_branch POST /repos/${bed.slug}/git/refs`,
      `fix_create_pull POST /repos/${bed.slug}/pulls`,
      `fix_add_labels POST /repos/${bed.slug}/issues/{pull_number}/labels`,
    ]);
    const [blob, tree, commit, ref, pull, labels] = entries;
    const fixed = POPUP.replace(NULL_READ_LINE, NULL_READ_FIXED);
    expect(blob?.body).toEqual({ content: fixed, encoding: 'utf-8' });
    expect(tree?.body).toEqual({
      base_tree: '{base_tree}',
      tree: [{ path: 'src/popup.js', mode: '100644', type: 'blob', sha: await gitBlobId(fixed) }],
    });
    // The id git itself gives that content (the emulator stores objects as git does).
    const stored = await bed.github.git(bed.slug).putBlob(new TextEncoder().encode(fixed));
    expect(await gitBlobId(fixed)).toBe(stored);
    expect(commit).toMatchObject({
      dependsOn: tree?.key,
      body: {
        tree: '{tree_sha}',
        parents: [bed.baseSha],
        message: expect.stringMatching(
          /^fix: TypeError: Cannot read properties of undefined \(reading 'length'\)\n\n/,
        ),
      },
    });
    const branch = `homeostat/fix-${fingerprint.slice(4, 16)}`;
    expect(ref).toMatchObject({
      dependsOn: commit?.key,
      body: { ref: `refs/heads/${branch}`, sha: '{commit_sha}' },
    });
    expect(pull).toMatchObject({
      dependsOn: issueEntry?.key,
      body: {
        head: branch,
        base: 'main',
        draft: true,
        title: "Fix TypeError: Cannot read properties of undefined (reading 'length')",
      },
    });
    const body = (pull?.body as { body?: string } | undefined)?.body ?? '';
    expect(body).toContain('Fixes #{issue_number}');
    expect(body).toContain('builtin:property-read/v8');
    expect(labels).toMatchObject({
      dependsOn: pull?.key,
      body: {
        labels: expect.arrayContaining([
          'homeostat',
          'homeostat:fix',
          'from-homeostat',
          'class:safe',
        ]),
      },
    });

    const [run] = await runOf(fingerprint);
    expect(run).toMatchObject({
      stage: 'pr_written',
      branch,
      head_sha: `outbox:${commit?.key}`,
      pr_url: null,
      github_calls: 0,
    });

    // The merge call CI gating would make, with the head pinned: the commit the outbox would make.
    const headSha = String(run?.head_sha);
    const pr = { kind: 'pending' as const, key: pull?.key ?? '' };
    expect(
      await recordMergeCall(env.DB, { repo: bed.slug, pr, sha: headSha }, bed.clock.now()),
    ).toMatchObject({ outcome: 'recorded' });
    const merge = (await outbox()).filter((e) => e.purpose === 'fix_merge');
    expect(merge).toEqual([
      expect.objectContaining({
        method: 'PUT',
        path: `/repos/${bed.slug}/pulls/{pull_number}/merge`,
        dependsOn: pull?.key,
        body: { sha: headSha, merge_method: 'squash' },
      }),
    ]);

    // Redelivery of the fix message and of the merge records nothing twice.
    const count = (await outbox()).length;
    await bed.fix([{ id, body: message, attempts: 2 }]);
    await bed.fix([{ id: `${id}-new`, body: message }]);
    await recordMergeCall(env.DB, { repo: bed.slug, pr, sha: headSha }, bed.clock.now());
    expect(await outbox()).toHaveLength(count);
    expect(bed.writes()).toEqual([]);
    // Every recorded request is one GitHub would accept, placeholders standing for numbers.
    const recorded = (await outbox()).flatMap(
      (e) =>
        validator.checkRequest(
          e.method,
          e.path.replace('{pull_number}', '7').replace('{issue_number}', '7'),
          new URLSearchParams(),
          e.body ?? undefined,
        ).violations,
    );
    expect(recorded).toEqual([]);
    expect(bed.violations).toEqual([]);
  });
});

describe('the fix dead-letter queue', () => {
  test('a dead fix message is recorded once and acknowledged', async () => {
    const bed = await fixBed();
    const body = { v: 1, kind: 'fix', fingerprintId: 'fp1:dead', extensionId: bed.ext, attempt: 1 };
    const id = `dead-${bed.ext}`;
    expect(await bed.deadLetters([{ id, body, attempts: 4 }])).toEqual({
      acked: [id],
      retried: [],
      delays: {},
    });
    expect(await bed.deadLetters([{ id, body, attempts: 5 }])).toMatchObject({ acked: [id] });
    const rows = await env.DB.prepare(
      'SELECT queue, body, attempts, received_at FROM dead_letters WHERE message_id = ?1',
    )
      .bind(id)
      .all();
    expect(rows.results).toEqual([
      {
        queue: 'homeostat-fix-dlq',
        body: JSON.stringify(body),
        attempts: 4,
        received_at: bed.clock.now(),
      },
    ]);
    // Nothing else happened: the DLQ never runs a fix.
    expect(bed.github.requests).toHaveLength(0);
    expect(bed.model.requests).toHaveLength(0);
  });
});
