import { env } from 'cloudflare:workers';
import { parseHomeostatConfig, RepoSlugSchema } from '@homeostat/shared';
import { describe, inject, test, vi } from 'vitest';
import { createTriageApp } from '../src/app.ts';
import { AttemptStore } from '../src/attempt-store.ts';
import { signGitHubPayload } from '../src/webhook/webhook-signature.ts';
import { createClock } from './support/clock.ts';
import { EXT_A, REPO_A, testConfig } from './support/config.ts';
import { GITHUB_TOKEN, githubTestbed } from './support/github.ts';
import {
  commentId,
  example,
  forRepo,
  homeostatIssue,
  SECRET,
  webhookBed as setup,
} from './support/webhook-bed.ts';

const examples = inject('webhookExamples');

async function issueRow(fingerprint: string) {
  return env.DB.prepare(
    'SELECT state, opted_out, opted_out_reason FROM triage_issues WHERE fingerprint = ?',
  )
    .bind(fingerprint)
    .first();
}

describe('POST /github/webhook: authenticity', () => {
  test('a missing, malformed or wrong signature is 401 and nothing is recorded', async ({
    expect,
  }) => {
    const h = await setup();
    const body = JSON.stringify(example('ping'));
    const delivery = crypto.randomUUID();
    for (const signature of [
      null,
      'sha1=abc',
      'sha256=zz',
      await signGitHubPayload('other-secret', body),
    ]) {
      const res = await h.post('ping', null, { raw: body, signature, delivery });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { code: 'webhook_signature_invalid', message: expect.any(String) },
      });
    }
    // A signature over a different body.
    const res = await h.post('ping', null, {
      raw: `${body} `,
      signature: await signGitHubPayload(SECRET, body),
      delivery,
    });
    expect(res.status).toBe(401);
    const seen = await env.DB.prepare(
      'SELECT count(*) AS n FROM triage_webhook_deliveries WHERE delivery_id = ?',
    )
      .bind(delivery)
      .first();
    expect(seen).toEqual({ n: 0 });
  });

  test('without a webhook secret every delivery is refused', async ({ expect }) => {
    const h = await setup({ GITHUB_WEBHOOK_SECRET: '' });
    const res = await h.post('ping', example('ping'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'webhooks_disabled' } });
  });

  test('an oversized body is refused before it is read', async ({ expect }) => {
    const h = await setup();
    const raw = JSON.stringify({ junk: 'x'.repeat(1024 * 1024) });
    const res = await h.post('ping', null, {
      raw,
      signature: await signGitHubPayload(SECRET, raw),
    });
    expect(res.status).toBe(413);
  });

  test('a duplicate delivery is acknowledged and not processed twice', async ({ expect }) => {
    const h = await setup();
    const issue = await homeostatIssue(h);
    const payload = forRepo(example('issues', 'labeled'), REPO_A, {
      issue: { ...(example('issues', 'labeled').issue as object), number: issue.number },
      label: { name: 'do-not-fix' },
    });
    const delivery = crypto.randomUUID();
    expect(await (await h.post('issues', payload, { delivery })).json()).toEqual({
      status: 'processed',
    });
    const res = await h.post('issues', payload, { delivery });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'duplicate' });
    const { results } = await env.DB.prepare(
      `SELECT action FROM triage_decisions WHERE fingerprint = ?`,
    )
      .bind(issue.fingerprint)
      .all();
    expect(results).toEqual([{ action: 'opt_out' }]);
  });
});

describe('POST /github/webhook: every real example payload', () => {
  test('is answered 2xx with a valid signature, and parses wherever triage reads it', async ({
    expect,
  }) => {
    // A config whose repositories are those of the examples, so handlers run on them for real.
    const slugs = [
      ...new Set(
        examples.flatMap((e) => {
          const name = (e.payload as { repository?: { full_name?: unknown } }).repository
            ?.full_name;
          return typeof name === 'string' && RepoSlugSchema.safeParse(name).success ? [name] : [];
        }),
      ),
    ];
    const config = parseHomeostatConfig({
      version: 1,
      extensions: [
        { id: EXT_A, name: 'x', ingestKeys: ['hs_pub_examples_key_000001'], repo: slugs[0] },
      ],
      repositories: slugs.map((slug) => ({ slug })),
      models: {},
      canary: {},
    });
    const clock = createClock();
    const bed = githubTestbed({ now: clock.now });
    const app = createTriageApp(config, {
      fetch: bed.clientFetch,
      now: clock.now,
      sleep: clock.sleep,
    });
    const bindings: Env = { ...env, GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN };
    const outcomes: Record<string, number> = {};
    const failures: string[] = [];
    expect(examples.length).toBeGreaterThan(300);
    for (const [i, { event, payload }] of examples.entries()) {
      const body = JSON.stringify(payload);
      const delivery = `example-${i}-${crypto.randomUUID()}`;
      const res = await app.request(
        '/github/webhook',
        {
          method: 'POST',
          headers: {
            'x-github-event': event,
            'x-github-delivery': delivery,
            'x-hub-signature-256': await signGitHubPayload(SECRET, body),
          },
          body,
        },
        bindings,
      );
      const status = ((await res.json()) as { status?: string }).status ?? 'none';
      if (res.status < 200 || res.status > 299 || status === 'invalid')
        failures.push(`${event}#${i}: ${res.status} ${status}`);
      outcomes[status] = (outcomes[status] ?? 0) + 1;
    }
    expect(failures).toEqual([]);
    expect(Object.keys(outcomes).sort()).toEqual(expect.arrayContaining(['ignored', 'pong']));
    expect(bed.violations).toEqual([]);
  }, 60_000);
});

describe('POST /github/webhook: what triage does with events', () => {
  test('the do-not-fix label opts out; removing it opts back in', async ({ expect }) => {
    const h = await setup();
    const issue = await homeostatIssue(h);
    const base = example('issues', 'labeled');
    const labeled = forRepo(base, REPO_A, {
      issue: { ...(base.issue as object), number: issue.number },
      label: { name: 'Do-Not-Fix' },
    });
    await h.post('issues', labeled);
    expect(await issueRow(issue.fingerprint)).toMatchObject({
      opted_out: 1,
      opted_out_reason: 'label',
    });
    const other = forRepo(base, REPO_A, {
      issue: { ...(base.issue as object), number: issue.number },
      label: { name: 'bug' },
    });
    expect(await (await h.post('issues', other)).json()).toEqual({ status: 'ignored' });
    await h.post('issues', { ...labeled, action: 'unlabeled' });
    expect(await issueRow(issue.fingerprint)).toMatchObject({ opted_out: 0 });
  });

  test('closed by a human marks the fingerprint resolved for ingest; a bot closing does not', async ({
    expect,
  }) => {
    const h = await setup();
    const issue = await homeostatIssue(h);
    const base = example('issues', 'opened');
    const byBot = forRepo(base, REPO_A, {
      action: 'closed',
      issue: { ...(base.issue as object), number: issue.number, state: 'closed' },
      sender: { ...(base.sender as object), login: 'ci[bot]', type: 'Bot' },
    });
    expect(await (await h.post('issues', byBot)).json()).toEqual({ status: 'ignored' });
    const byHuman = { ...byBot, sender: base.sender };
    expect(await (await h.post('issues', byHuman)).json()).toEqual({ status: 'processed' });
    expect(await issueRow(issue.fingerprint)).toMatchObject({ state: 'closed' });
    const resolution = await env.DB.prepare(
      'SELECT extension_id, source, fixed_in_version FROM fingerprint_resolutions WHERE fingerprint = ?',
    )
      .bind(issue.fingerprint)
      .first();
    expect(resolution).toEqual({
      extension_id: EXT_A,
      source: 'issue_closed',
      fixed_in_version: null,
    });
    // Ingest is told at once (issue 14, item 3), and only of the human's close.
    const ingest = env.INGEST as unknown as {
      resolutionsPushed(): Promise<{ extensionId: string; fingerprint: string }[]>;
    };
    const pushed = (await ingest.resolutionsPushed()).filter(
      (p) => p.fingerprint === issue.fingerprint,
    );
    expect(pushed).toEqual([{ extensionId: EXT_A, fingerprint: issue.fingerprint }]);
  });

  test('/homeostat stop from a maintainer opts out and labels the issue; from anyone else it is refused', async ({
    expect,
  }) => {
    const h = await setup();
    const issue = await homeostatIssue(h);
    h.emulator.setCollaborator(REPO_A, 'maintainer-1', 'maintain');
    h.emulator.setCollaborator(REPO_A, 'reader-1', 'read');
    const base = example('issue_comment', 'created');
    const comment = (login: string, association: string, body: string) =>
      forRepo(base, REPO_A, {
        issue: { ...(base.issue as object), number: issue.number },
        comment: {
          ...(base.comment as object),
          id: commentId(),
          body,
          author_association: association,
        },
        sender: { ...(base.sender as object), login },
      });
    expect(
      await (await h.post('issue_comment', comment('drive-by', 'NONE', '/homeostat stop'))).json(),
    ).toEqual({
      status: 'processed',
    });
    expect(await issueRow(issue.fingerprint)).toMatchObject({ opted_out: 0 });
    // The association says OWNER; GitHub says read: GitHub is asked, not the payload.
    await h.post('issue_comment', comment('reader-1', 'OWNER', 'please\n/homeostat stop'));
    expect(await issueRow(issue.fingerprint)).toMatchObject({ opted_out: 0 });
    await h.post('issue_comment', comment('maintainer-1', 'NONE', 'Thanks!\n/homeostat stop'));
    expect(await issueRow(issue.fingerprint)).toMatchObject({
      opted_out: 1,
      opted_out_reason: 'command',
    });
    expect(h.emulator.issue(REPO_A, issue.number).labels).toContain('do-not-fix');
    const { results } = await env.DB.prepare(
      `SELECT reason FROM triage_decisions WHERE fingerprint = ? ORDER BY id`,
    )
      .bind(issue.fingerprint)
      .all();
    expect(results.map((r) => r.reason)).toEqual([
      'untrusted_commenter',
      'untrusted_commenter',
      'stopped',
    ]);
    expect(h.violations).toEqual([]);
  });

  test('/homeostat retry lifts the cooldown and re-enqueues the fingerprint', async ({
    expect,
  }) => {
    const h = await setup();
    const issue = await homeostatIssue(h);
    const store = new AttemptStore(env.DB, h.clock.now);
    const repo = testConfig().repositories[0];
    if (repo === undefined) throw new Error('no repo');
    const a = await store.begin(issue.key, repo, {
      runId: 'r',
      optedOut: false,
      autoFixable: true,
      issueOpen: true,
    });
    await store.finish(a.attemptId ?? -1, 'failure');
    expect(
      (
        await store.evaluate(issue.key, repo, {
          runId: 's',
          optedOut: false,
          autoFixable: true,
          issueOpen: true,
        })
      ).reason,
    ).toBe('cooldown');
    const send = vi.spyOn(h.env.TRIAGE_QUEUE, 'send');
    h.emulator.setCollaborator(REPO_A, 'writer-1', 'write');
    const base = example('issue_comment', 'created');
    await h.post(
      'issue_comment',
      forRepo(base, REPO_A, {
        issue: { ...(base.issue as object), number: issue.number },
        comment: {
          ...(base.comment as object),
          id: commentId(),
          body: '/homeostat retry',
          author_association: 'MEMBER',
        },
        sender: { ...(base.sender as object), login: 'writer-1' },
      }),
    );
    expect(
      (
        await store.evaluate(issue.key, repo, {
          runId: 's',
          optedOut: false,
          autoFixable: true,
          issueOpen: true,
        })
      ).reason,
    ).toBe('eligible');
    expect(send).toHaveBeenCalledWith({
      v: 1,
      kind: 'fingerprint',
      fingerprintId: issue.fingerprint,
      extensionId: EXT_A,
      reason: 'retry',
      at: new Date(h.clock.now()).toISOString(),
    });
  });

  test('CI events are recorded against the attempt with that head SHA, others ignored', async ({
    expect,
  }) => {
    const h = await setup();
    const issue = await homeostatIssue(h);
    const store = new AttemptStore(env.DB, h.clock.now);
    const repo = testConfig().repositories[0];
    if (repo === undefined) throw new Error('no repo');
    const a = await store.begin(issue.key, repo, {
      runId: `ci-${issue.number}`,
      optedOut: false,
      autoFixable: true,
      issueOpen: true,
    });
    const headSha = crypto.randomUUID().replace(/-/g, '').padEnd(40, '0');
    await store.attachPullRequest(a.attemptId ?? -1, {
      branch: 'homeostat/x',
      headSha,
      prNumber: 77_000 + issue.number,
      prState: 'open',
    });
    const run = example('check_run', 'completed');
    const checkRun = forRepo(run, REPO_A, {
      check_run: {
        ...(run.check_run as object),
        head_sha: headSha,
        name: 'test',
        conclusion: 'success',
        status: 'completed',
      },
    });
    expect(await (await h.post('check_run', checkRun)).json()).toEqual({ status: 'processed' });
    const stale = forRepo(run, REPO_A, {
      check_run: { ...(run.check_run as object), head_sha: 'f'.repeat(40) },
    });
    expect(await (await h.post('check_run', stale)).json()).toEqual({ status: 'ignored' });
    const suite = example('check_suite', 'completed');
    await h.post(
      'check_suite',
      forRepo(suite, REPO_A, {
        check_suite: { ...(suite.check_suite as object), head_sha: headSha },
      }),
    );
    const wf = example('workflow_run');
    await h.post(
      'workflow_run',
      forRepo(wf, REPO_A, { workflow_run: { ...(wf.workflow_run as object), head_sha: headSha } }),
    );
    const pr = example('pull_request', 'closed');
    await h.post(
      'pull_request',
      forRepo(pr, REPO_A, {
        pull_request: {
          ...(pr.pull_request as object),
          number: 77_000 + issue.number,
          merged: true,
          head: {
            ...(pr.pull_request as { head: object }).head,
            sha: headSha,
            repo: { full_name: REPO_A },
          },
        },
      }),
    );
    const { results } = await env.DB.prepare(
      'SELECT event, name, conclusion FROM triage_ci_events WHERE attempt_id = ? ORDER BY received_at, event',
    )
      .bind(a.attemptId)
      .all();
    expect(results.map((r) => r.event).sort()).toEqual([
      'check_run',
      'check_suite',
      'pull_request',
      'workflow_run',
    ]);
    expect(results).toContainEqual({ event: 'check_run', name: 'test', conclusion: 'success' });
    const state = await env.DB.prepare('SELECT pr_state FROM triage_attempts WHERE id = ?')
      .bind(a.attemptId)
      .first();
    expect(state).toEqual({ pr_state: 'merged' });
  });

  test('events for repositories not in the config are ignored with 2xx', async ({ expect }) => {
    const h = await setup();
    const res = await h.post('issues', forRepo(example('issues', 'opened'), 'someone/else'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ignored' });
  });
});
