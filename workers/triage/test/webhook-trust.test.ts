import { env } from 'cloudflare:workers';
import { describe, test, vi } from 'vitest';
import { AttemptStore } from '../src/attempt-store.ts';
import { findCommand } from '../src/webhook/command-parser.ts';
import { DELIVERY_LEASE_MS } from '../src/webhook/delivery-store.ts';
import { REPO_A, testConfig } from './support/config.ts';
import { decodeEntities, renderGfm } from './support/gfm.ts';
import {
  commentId,
  example,
  forRepo,
  homeostatIssue,
  type WebhookBed,
  webhookBed,
} from './support/webhook-bed.ts';

// Issue 11, item 3: GitHub trust boundaries of the webhook.

function commentPayload(
  issueNumber: number,
  options: { login: string; body: string; id?: number; association?: string; type?: string },
) {
  const base = example('issue_comment', 'created');
  return forRepo(base, REPO_A, {
    issue: { ...(base.issue as object), number: issueNumber },
    comment: {
      ...(base.comment as object),
      id: options.id ?? commentId(),
      body: options.body,
      author_association: options.association ?? 'OWNER',
    },
    sender: { ...(base.sender as object), login: options.login, type: options.type ?? 'User' },
  });
}

async function decisions(fingerprint: string) {
  const { results } = await env.DB.prepare(
    'SELECT action, reason, detail FROM triage_decisions WHERE fingerprint = ? ORDER BY id',
  )
    .bind(fingerprint)
    .all<{ action: string; reason: string; detail: string }>();
  return results;
}

async function optedOut(fingerprint: string) {
  const row = await env.DB.prepare('SELECT opted_out FROM triage_issues WHERE fingerprint = ?')
    .bind(fingerprint)
    .first<{ opted_out: number }>();
  return row?.opted_out;
}

const PERMISSION_PATH = /\/collaborators\/[^/]+\/permission$/;

function permissionCalls(h: WebhookBed): number {
  return h.emulator.requests.filter((r) => PERMISSION_PATH.test(r.path)).length;
}

describe('/homeostat commands: who may give them', () => {
  test('GitHub decides: write, maintain and admin are obeyed; read, triage, none, bots are not, whatever the association says', async ({
    expect,
  }) => {
    const h = await webhookBed();
    const cases = [
      { role: 'read', association: 'OWNER', obeyed: false },
      { role: 'triage', association: 'MEMBER', obeyed: false },
      { role: null, association: 'COLLABORATOR', obeyed: false },
      { role: 'write', association: 'NONE', obeyed: true },
      { role: 'maintain', association: 'CONTRIBUTOR', obeyed: true },
      { role: 'admin', association: 'NONE', obeyed: true },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const issue = await homeostatIssue(h);
      const login = `person-${i}`;
      if (c.role !== null) h.emulator.setCollaborator(REPO_A, login, c.role);
      const res = await h.post(
        'issue_comment',
        commentPayload(issue.number, {
          login,
          body: '/homeostat stop',
          association: c.association,
        }),
      );
      expect(await res.json()).toEqual({ status: 'processed' });
      expect(await optedOut(issue.fingerprint), `${c.role}`).toBe(c.obeyed ? 1 : 0);
      const [decision] = await decisions(issue.fingerprint);
      expect(decision?.reason).toBe(c.obeyed ? 'stopped' : 'untrusted_commenter');
    }
    // A bot with admin rights is still not a person: refused without asking GitHub.
    const issue = await homeostatIssue(h);
    h.emulator.setCollaborator(REPO_A, 'ci-bot', 'admin');
    const before = permissionCalls(h);
    await h.post(
      'issue_comment',
      commentPayload(issue.number, { login: 'ci-bot', body: '/homeostat stop', type: 'Bot' }),
    );
    expect(await optedOut(issue.fingerprint)).toBe(0);
    expect(permissionCalls(h)).toBe(before);
    expect(h.violations).toEqual([]);
  });

  test('GitHub unreachable: not obeyed, the delivery fails, and its redelivery is obeyed', async ({
    expect,
  }) => {
    const h = await webhookBed();
    const issue = await homeostatIssue(h);
    h.emulator.setCollaborator(REPO_A, 'maint', 'maintain');
    // The client tries an idempotent read 4 times before giving up.
    h.emulator.injectFault({ method: 'GET', path: PERMISSION_PATH, status: 503, times: 4 });
    const payload = commentPayload(issue.number, { login: 'maint', body: '/homeostat stop' });
    const delivery = crypto.randomUUID();
    const res = await h.post('issue_comment', payload, { delivery });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: 'github_unavailable' } });
    expect(await optedOut(issue.fingerprint)).toBe(0);
    expect(await decisions(issue.fingerprint)).toEqual([]);
    const row = await env.DB.prepare(
      'SELECT outcome FROM triage_webhook_deliveries WHERE delivery_id = ?',
    )
      .bind(delivery)
      .first();
    expect(row).toEqual({ outcome: 'failed' });
    // GitHub is back; "Redeliver" sends the same delivery again.
    const again = await h.post('issue_comment', payload, { delivery });
    expect(await again.json()).toEqual({ status: 'processed' });
    expect(await optedOut(issue.fingerprint)).toBe(1);
  });

  test('without GitHub credentials (dry-run) no command can be verified, so none is obeyed', async ({
    expect,
  }) => {
    const h = await webhookBed({ GITHUB_TOKEN: '' });
    const issue = await homeostatIssue(h);
    h.emulator.setCollaborator(REPO_A, 'admin-1', 'admin');
    await h.post(
      'issue_comment',
      commentPayload(issue.number, { login: 'admin-1', body: '/homeostat stop' }),
    );
    expect(await optedOut(issue.fingerprint)).toBe(0);
    const [decision] = await decisions(issue.fingerprint);
    expect(decision?.reason).toBe('untrusted_commenter');
    expect(JSON.parse(decision?.detail ?? '{}')).toMatchObject({ check: 'unverifiable' });
  });
});

describe('/homeostat commands: once per comment, only as plain text', () => {
  test('the same signed comment under a new delivery id is not obeyed twice', async ({
    expect,
  }) => {
    const h = await webhookBed();
    const issue = await homeostatIssue(h);
    h.emulator.setCollaborator(REPO_A, 'writer', 'write');
    const send = vi.spyOn(h.env.TRIAGE_QUEUE, 'send');
    const payload = commentPayload(issue.number, { login: 'writer', body: '/homeostat retry' });
    expect(await (await h.post('issue_comment', payload)).json()).toEqual({ status: 'processed' });
    expect(await (await h.post('issue_comment', payload)).json()).toEqual({ status: 'ignored' });
    expect(send).toHaveBeenCalledTimes(1);
    const retries = (await decisions(issue.fingerprint)).filter((d) => d.action === 'retry');
    expect(retries).toHaveLength(1);
    const state = await new AttemptStore(env.DB, h.clock.now).state(issue.key);
    expect(state.extraAttempts).toBeLessThanOrEqual(1);
  });

  test('a command in a code block, a quote or HTML is not taken; a plain line is', ({ expect }) => {
    const inert = [
      '```\n/homeostat stop\n```',
      '~~~\n/homeostat stop\n~~~',
      '````md\n```\n/homeostat stop\n````',
      '    /homeostat stop',
      'text\n\n\t/homeostat stop',
      '> /homeostat stop',
      '> quoted text\n/homeostat stop',
      '> > nested\n> /homeostat stop',
      '- item\n  ```\n  /homeostat stop\n  ```',
      '> ```\n> /homeostat stop\n> ```',
      '<!--\n/homeostat stop\n-->',
      'text <!--\n/homeostat stop\n-->',
      'a `span\n/homeostat stop` b',
      '<pre>\n/homeostat stop\n</pre>',
      '`/homeostat stop`',
      'please run /homeostat stop',
      '/homeostatstop',
      '# /homeostat stop',
      '| a |\n|---|\n| /homeostat stop |',
    ];
    for (const body of inert) expect(findCommand(body), body).toBeNull();
    // Shown as text, but inside raw HTML: not taken either (when in doubt, not taken).
    for (const body of ['<details>\n/homeostat stop\n</details>', '\\/homeostat stop']) {
      expect(findCommand(body), body).toBeNull();
    }
    const spoken: [string, 'stop' | 'retry'][] = [
      ['/homeostat stop', 'stop'],
      ['Thanks!\n/homeostat stop please', 'stop'],
      ['  /HOMEOSTAT Retry', 'retry'],
      ['```\ncode\n```\n\n/homeostat retry', 'retry'],
      ['> quote\n\n/homeostat stop', 'stop'],
      ['- item\n\n  /homeostat stop', 'stop'],
      ['/homeostat retry\r\n', 'retry'],
    ];
    for (const [body, command] of spoken) expect(findCommand(body), body).toBe(command);
    // Every inert body renders (by GitHub's grammar) with the command nowhere in plain text.
    for (const body of inert) {
      const html = renderGfm(body)
        .replace(/<(pre|code|blockquote|h1|td|th)>[\s\S]*?<\/\1>/g, '')
        .replace(/<!--[\s\S]*?-->/g, '');
      expect(decodeEntities(html), body).not.toMatch(/(^|>|\n)\/homeostat (stop|retry)/);
    }
  });
});

describe('pull_request events speak only for the attempt their PR is', () => {
  async function attemptWithPr(h: WebhookBed) {
    const issue = await homeostatIssue(h);
    const store = new AttemptStore(env.DB, h.clock.now);
    const repo = testConfig().repositories[0];
    if (repo === undefined) throw new Error('no repo');
    const a = await store.begin(issue.key, repo, {
      runId: `pr-${issue.number}`,
      optedOut: false,
      autoFixable: true,
      issueOpen: true,
    });
    const headSha = crypto.randomUUID().replace(/-/g, '').padEnd(40, '0');
    const prNumber = 50_000 + issue.number;
    await store.attachPullRequest(a.attemptId ?? -1, {
      branch: 'homeostat/fix',
      headSha,
      prNumber,
      prState: 'open',
    });
    return { attemptId: a.attemptId, headSha, prNumber };
  }

  function closed(prNumber: number, headSha: string, headRepo: string | null) {
    const pr = example('pull_request', 'closed');
    const head = (pr.pull_request as { head: Record<string, unknown> }).head;
    return forRepo(pr, REPO_A, {
      number: prNumber,
      pull_request: {
        ...(pr.pull_request as object),
        number: prNumber,
        merged: true,
        head: {
          ...head,
          sha: headSha,
          repo: headRepo === null ? null : { ...(head.repo as object), full_name: headRepo },
        },
      },
    });
  }

  async function prState(attemptId: number | null) {
    return (
      await env.DB.prepare('SELECT pr_state FROM triage_attempts WHERE id = ?')
        .bind(attemptId)
        .first<{ pr_state: string }>()
    )?.pr_state;
  }

  test('another PR with the bot head SHA, or one from a fork, changes nothing; the attempt own PR does', async ({
    expect,
  }) => {
    const h = await webhookBed();
    const a = await attemptWithPr(h);
    await h.post('pull_request', closed(a.prNumber + 1, a.headSha, REPO_A));
    expect(await prState(a.attemptId)).toBe('open');
    await h.post('pull_request', closed(a.prNumber, a.headSha, 'mallory/notes-extension'));
    expect(await prState(a.attemptId)).toBe('open');
    await h.post('pull_request', closed(a.prNumber, a.headSha, null));
    expect(await prState(a.attemptId)).toBe('open');
    await h.post('pull_request', closed(a.prNumber, a.headSha, REPO_A.toUpperCase()));
    expect(await prState(a.attemptId)).toBe('merged');
  });
});

describe('deliveries whose invocation died', () => {
  test('a delivery stuck in processing is answered duplicate within the lease and processed after it', async ({
    expect,
  }) => {
    const h = await webhookBed();
    const issue = await homeostatIssue(h);
    h.emulator.setCollaborator(REPO_A, 'admin-2', 'admin');
    const delivery = crypto.randomUUID();
    // The first invocation claimed the delivery and died.
    await env.DB.prepare(
      `INSERT INTO triage_webhook_deliveries (delivery_id, event, action, repo, outcome, received_at)
       VALUES (?1, 'issue_comment', 'created', ?2, 'processing', ?3)`,
    )
      .bind(delivery, REPO_A.toLowerCase(), h.clock.now())
      .run();
    const payload = commentPayload(issue.number, { login: 'admin-2', body: '/homeostat stop' });
    h.clock.advance(DELIVERY_LEASE_MS - 1_000);
    expect(await (await h.post('issue_comment', payload, { delivery })).json()).toEqual({
      status: 'duplicate',
    });
    h.clock.advance(2_000);
    expect(await (await h.post('issue_comment', payload, { delivery })).json()).toEqual({
      status: 'processed',
    });
    expect(await optedOut(issue.fingerprint)).toBe(1);
  });
});
