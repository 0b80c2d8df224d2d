import { env } from 'cloudflare:workers';
import { describe, inject, test } from 'vitest';
import { createTriageApp } from '../src/app.ts';
import { parseIssueMetadata } from '../src/issue/issue-template.ts';
import { signGitHubPayload } from '../src/webhook/webhook-signature.ts';
import { EXT_A, EXT_B, REPO_A, REPO_B } from './support/config.ts';
import { freshFingerprint, recordRegression, seedFingerprint } from './support/fingerprints.ts';
import { messageId, triageHarness } from './support/harness.ts';
import { fingerprintMessage } from './support/queue.ts';

const ISSUES = /^\/repos\/[^/]+\/[^/]+\/issues$/;
const HOUR = 3_600_000;

function short(fp: string): string {
  return fp.slice(4, 12);
}

describe('one GitHub issue per fingerprint (live)', () => {
  test('a new fingerprint becomes one well-formed issue', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, {
      extensionId: EXT_A,
      fingerprint: fp,
      events: 7,
      installs: 4,
      versions: [
        { version: '1.2.0', surface: 'popup', events: 3 },
        { version: '1.3.0', surface: 'options', events: 4 },
      ],
      breadcrumbs: [
        { timestamp: Date.parse('2026-11-21T08:59:00Z'), category: 'ui.click', message: 'save' },
      ],
    });
    const r = await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    expect(r.acked).toHaveLength(1);
    const [issue, ...more] = h.emulator.issues(REPO_A);
    expect(more).toEqual([]);
    expect(issue?.title).toBe(
      "[notes] TypeError: Cannot read properties of undefined (reading 'id')",
    );
    expect(issue?.labels.sort()).toEqual(
      [
        'homeostat',
        'extension:notes',
        'surface:options',
        'surface:popup',
        `fingerprint:${short(fp)}`,
        'class:safe',
      ].sort(),
    );
    const body = issue?.body ?? '';
    expect(body).toContain('| Events | 7 |');
    expect(body).toContain('| Installs affected | 4 |');
    expect(body).toMatch(/\| `1\.3\.0` \| 4 \|[\s\S]*\| `1\.2\.0` \| 3 \|/);
    // The extension's own frame is marked; the built-in is not.
    expect(body).toContain(`▶     at render (chrome-extension://${EXT_A}/src/popup.js:10:5)`);
    expect(body).toContain('      at JSON.parse (<anonymous>)');
    expect(body).toContain('In-app files: `src/popup.js`');
    expect(body).toContain('[ui.click] info: save');
    expect(body).toContain('"attempts": 0');
    expect(parseIssueMetadata(body)).toEqual({
      v: 1,
      fingerprint: fp,
      extension: EXT_A,
      versions: expect.arrayContaining(['1.2.0', '1.3.0']),
      class: 'safe',
    });
    expect(h.violations).toEqual([]);
  });

  test('redelivered and repeated messages leave one issue', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    const id = messageId();
    await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp) }]);
    await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp), attempts: 2 }]);
    await h.deliver([
      { id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') },
      { id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') },
    ]);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    expect(
      h.emulator.requests.filter((r) => r.method === 'POST' && ISSUES.test(r.path)),
    ).toHaveLength(1);
    expect(h.violations).toEqual([]);
  });

  test('concurrent messages for one fingerprint create one issue; the loser retries and updates', async ({
    expect,
  }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    const [a, b] = await Promise.all([
      h.deliver([{ id: messageId('a'), body: fingerprintMessage(EXT_A, fp) }]),
      h.deliver([{ id: messageId('b'), body: fingerprintMessage(EXT_A, fp) }]),
    ]);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    const results = [a, b];
    const losers = results.filter((r) => r.retried.length === 1);
    // Either the second consumer saw the finished issue (both acked) or the claim in flight.
    expect(results.every((r) => r.acked.length + r.retried.length === 1)).toBe(true);
    for (const loser of losers) {
      const id = loser.retried[0] ?? '';
      expect(loser.delays[id]).toBeGreaterThanOrEqual(1);
      const again = await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp), attempts: 2 }]);
      expect(again.acked).toEqual([id]);
    }
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    expect(h.violations).toEqual([]);
  });

  test('a claim in flight makes a second consumer back off instead of creating', async ({
    expect,
  }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    await env.DB.prepare(
      `INSERT INTO triage_issues (repo, extension_id, fingerprint, state, claim_token, claimed_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, 'creating', 'other-consumer', ?4, ?4, ?4)`,
    )
      .bind(REPO_A, EXT_A, fp, h.clock.now() - 10_000)
      .run();
    const id = messageId();
    const r = await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp) }]);
    expect(r.retried).toEqual([id]);
    expect(r.delays[id]).toBe(110); // the rest of the 120 s lease
    expect(h.emulator.issues(REPO_A)).toEqual([]);
  });

  test('a create whose answer was lost is adopted, not repeated', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    // GitHub files the issue, but the consumer only sees a 502 (a timeout on the way back).
    h.emulator.injectFault({ method: 'POST', path: ISSUES, status: 502, afterHandling: true });
    const id = messageId();
    const first = await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp) }]);
    expect(first.retried).toEqual([id]);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    const second = await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp), attempts: 2 }]);
    expect(second.acked).toEqual([id]);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    const row = await env.DB.prepare(
      'SELECT issue_number, state FROM triage_issues WHERE fingerprint = ?',
    )
      .bind(fp)
      .first();
    expect(row).toEqual({ issue_number: h.emulator.issues(REPO_A)[0]?.number, state: 'open' });
    expect(h.violations).toEqual([]);
  });

  test('a crashed consumer’s expired claim is taken over and its issue adopted', async ({
    expect,
  }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    // Run once to learn what the crashed consumer would have filed, then forget the record.
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    await env.DB.prepare(
      `UPDATE triage_issues SET issue_number = NULL, state = 'creating', claim_token = 'dead',
         claimed_at = ?2 WHERE fingerprint = ?1`,
    )
      .bind(fp, h.clock.now() - 10 * 60_000)
      .run();
    const r = await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    expect(r.acked).toHaveLength(1);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
  });

  test('later messages update the issue at a bounded rate', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 3 });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    const patches = () => h.emulator.requests.filter((r) => r.method === 'PATCH').length;
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 50 });
    h.clock.advance(30 * 60_000);
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') }]);
    expect(patches()).toBe(0);
    h.clock.advance(31 * 60_000);
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') }]);
    expect(patches()).toBe(1);
    expect(h.emulator.issues(REPO_A)[0]?.body).toContain('| Events | 50 |');
    // Nothing new: no write even when the interval has passed.
    h.clock.advance(2 * HOUR);
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') }]);
    expect(patches()).toBe(1);
    expect(h.violations).toEqual([]);
  });

  test('a regression reopens the closed issue with one comment naming the versions', async ({
    expect,
  }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    const number = h.emulator.issues(REPO_A)[0]?.number ?? 0;
    h.emulator.humanCloses(REPO_A, number);
    await seedFingerprint(env.DB, {
      extensionId: EXT_A,
      fingerprint: fp,
      state: 'regressed',
      fixedInVersion: '1.2.0',
      versions: [
        { version: '1.2.0', surface: 'popup', events: 3 },
        { version: '1.4.1', surface: 'popup', events: 2 },
      ],
    });
    const at = h.clock.now();
    await recordRegression(env.DB, EXT_A, fp, '1.4.1', at);
    const id = messageId();
    await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp, 'regression') }]);
    expect(h.emulator.issue(REPO_A, number)).toMatchObject({
      state: 'open',
      stateReason: 'reopened',
    });
    const comments = h.emulator.comments(REPO_A, number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('seen again in version `1.4.1`');
    expect(comments[0]?.body).toContain('considered fixed in `1.2.0`');
    // The same regression delivered again changes nothing.
    await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp, 'regression'), attempts: 2 }]);
    expect(h.emulator.comments(REPO_A, number)).toHaveLength(1);
    expect(h.violations).toEqual([]);
  });

  test('a closed issue without a regression is left alone and the fingerprint marked resolved', async ({
    expect,
  }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 3 });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    const number = h.emulator.issues(REPO_A)[0]?.number ?? 0;
    h.emulator.humanCloses(REPO_A, number);
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 9 });
    h.clock.advance(2 * HOUR);
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') }]);
    expect(h.emulator.issue(REPO_A, number).state).toBe('closed');
    expect(h.emulator.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    const resolution = await env.DB.prepare(
      'SELECT source FROM fingerprint_resolutions WHERE fingerprint = ?',
    )
      .bind(fp)
      .first();
    expect(resolution).toEqual({ source: 'issue_closed' });
  });

  test('the do-not-fix label on GitHub stops every further write', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 3 });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    const number = h.emulator.issues(REPO_A)[0]?.number ?? 0;
    h.emulator.humanLabels(REPO_A, number, 'do-not-fix');
    await seedFingerprint(env.DB, {
      extensionId: EXT_A,
      fingerprint: fp,
      events: 99,
      state: 'regressed',
    });
    h.clock.advance(5 * HOUR);
    const writes = () => h.emulator.requests.filter((r) => r.method !== 'GET').length;
    const before = writes();
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'regression') }]);
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') }]);
    expect(writes()).toBe(before);
    const decision = await env.DB.prepare(
      `SELECT reason FROM triage_decisions WHERE fingerprint = ? ORDER BY id DESC LIMIT 1`,
    )
      .bind(fp)
      .first();
    expect(decision).toEqual({ reason: 'opted_out' });
  });

  test('/homeostat stop from a maintainer stops every further write', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 3 });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    const number = h.emulator.issues(REPO_A)[0]?.number ?? 0;
    // The maintainer's comment arrives as a real issue_comment delivery; GitHub knows the role.
    h.emulator.setCollaborator(REPO_A, 'Codertocat', 'maintain');
    const sample = inject('webhookExamples').find(
      (e) => e.event === 'issue_comment' && (e.payload as { action?: string }).action === 'created',
    )?.payload as { issue: object; comment: object; repository: object };
    const payload = JSON.stringify({
      ...sample,
      repository: { ...sample.repository, full_name: REPO_A },
      issue: { ...sample.issue, number },
      comment: { ...sample.comment, body: '/homeostat stop', author_association: 'COLLABORATOR' },
    });
    const app = createTriageApp(h.config, {
      fetch: h.clientFetch,
      now: h.clock.now,
      sleep: h.clock.sleep,
    });
    const res = await app.request(
      '/github/webhook',
      {
        method: 'POST',
        headers: {
          'x-github-event': 'issue_comment',
          'x-github-delivery': crypto.randomUUID(),
          'x-hub-signature-256': await signGitHubPayload('s3cret', payload),
        },
        body: payload,
      },
      { ...h.bindings, GITHUB_WEBHOOK_SECRET: 's3cret' },
    );
    expect(await res.json()).toEqual({ status: 'processed' });
    const writes = () => h.emulator.requests.filter((r) => r.method !== 'GET').length;
    const before = writes();
    await seedFingerprint(env.DB, {
      extensionId: EXT_A,
      fingerprint: fp,
      events: 80,
      state: 'regressed',
    });
    h.clock.advance(5 * HOUR);
    await h.deliver([
      { id: messageId(), body: fingerprintMessage(EXT_A, fp, 'regression') },
      { id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') },
    ]);
    expect(writes()).toBe(before);
    expect(h.emulator.issue(REPO_A, number).labels).toContain('do-not-fix');
    expect(h.violations).toEqual([]);
  });

  test('each extension files into its own repository with that repository’s labels', async ({
    expect,
  }) => {
    const h = await triageHarness();
    const fa = freshFingerprint();
    const fb = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fa });
    await seedFingerprint(env.DB, {
      extensionId: EXT_B,
      fingerprint: fb,
      type: 'Error',
      message: 'palette.export failed',
      stack: `Error: palette.export failed\n    at save (chrome-extension://${EXT_B}/lib/io.js:3:1)`,
    });
    await h.deliver([
      { id: messageId(), body: fingerprintMessage(EXT_A, fa) },
      { id: messageId(), body: fingerprintMessage(EXT_B, fb) },
    ]);
    expect(h.emulator.issues(REPO_A).map((i) => i.title)).toEqual([
      "[notes] TypeError: Cannot read properties of undefined (reading 'id')",
    ]);
    const [b] = h.emulator.issues(REPO_B);
    expect(b?.title).toBe('[palette] Error: palette.export failed');
    // REPO_B's base label, extra label, and its own critical rule.
    expect(b?.labels).toEqual(
      expect.arrayContaining([
        'auto-triage',
        'from-homeostat',
        'class:critical',
        'needs-human-review',
      ]),
    );
    expect(b?.labels).not.toContain('homeostat');
    expect(b?.body).toContain('In-app files: `extension/lib/io.js`');
    expect(h.violations).toEqual([]);
  });

  test('attacker-controlled text cannot inject Markdown, HTML, mentions or links', async ({
    expect,
  }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    const message = '@octocat ![x](https://evil.example/p.png) <script>x</script> fixes #1 ```';
    await seedFingerprint(env.DB, {
      extensionId: EXT_A,
      fingerprint: fp,
      type: 'Error',
      message,
      culprit: '[a](https://evil.example) `x`',
      stack: `Error: x\n\`\`\`\`\n# heading <b>\n    at a (chrome-extension://${EXT_A}/src/a.js:1:1)`,
      breadcrumbs: [{ timestamp: 1, category: 'nav', message: '```\n@admin https://evil.example' }],
    });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    const [issue] = h.emulator.issues(REPO_A);
    expect(issue?.title).toBe(
      '[notes] Error: ＠octocat ![x](hxxps[:]//evil.example/p.png) <script>x</script> fixes ＃1 ```',
    );
    // Outside code spans and fenced blocks nothing of the payload is left.
    const body = issue?.body ?? '';
    let prose = body;
    for (;;) {
      const open = /^(`{3,})[^\n]*\n/m.exec(prose);
      if (open === null) break;
      const fence = open[1] ?? '```';
      const close = prose.indexOf(`\n${fence}\n`, open.index + open[0].length - 1);
      expect(close).toBeGreaterThan(-1);
      prose = prose.slice(0, open.index) + prose.slice(close + fence.length + 2);
    }
    prose = prose.replace(/(`+)(?:(?!\1).)+?\1/g, '');
    expect(prose).not.toMatch(/evil|octocat|@admin|<script|<b>|# heading/);
    expect(parseIssueMetadata(body)?.fingerprint).toBe(fp);
    expect(h.violations).toEqual([]);
  });

  test('a message for an unknown extension is dropped, not retried', async ({ expect }) => {
    const h = await triageHarness();
    const id = messageId();
    const r = await h.deliver([
      { id, body: fingerprintMessage('zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', freshFingerprint()) },
    ]);
    expect(r.acked).toEqual([id]);
  });

  test('a fingerprint ingest has not flushed yet is retried after a delay', async ({ expect }) => {
    const h = await triageHarness();
    const id = messageId();
    const r = await h.deliver([{ id, body: fingerprintMessage(EXT_A, freshFingerprint()) }]);
    expect(r.retried).toEqual([id]);
    expect(r.delays[id]).toBe(30);
  });

  test('a GitHub outage retries the message; nothing is half done', async ({ expect }) => {
    const h = await triageHarness();
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    h.emulator.injectFault({ method: 'GET', status: 503, times: 4 });
    const id = messageId();
    const r = await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp) }]);
    expect(r.retried).toEqual([id]);
    expect(h.clock.sleeps).toEqual([1_000, 2_000, 4_000]);
    expect(h.emulator.issues(REPO_A)).toEqual([]);
    const again = await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp), attempts: 2 }]);
    expect(again.acked).toEqual([id]);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
  });
});
