import { env, exports } from 'cloudflare:workers';
import { bundledConfig } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { tokenCredentials } from '../src/github/github-auth.ts';
import { GitHubClient } from '../src/github/github-client.ts';
import { LiveGitHubGateway } from '../src/github/github-gateway.ts';
import { listOutbox } from '../src/outbox/outbox.ts';
import { postReleaseComment } from '../src/release/release-comment.ts';
import { createClock } from './support/clock.ts';
import { API_BASE, REPO_A, testConfig } from './support/config.ts';
import { GITHUB_TOKEN, githubTestbed } from './support/github.ts';

let releases = 0;
function releaseKey(): string {
  releases++;
  return `notes@1.${releases}.0-${crypto.randomUUID().slice(0, 6)}`;
}

async function live() {
  const clock = createClock();
  const bed = githubTestbed({ now: clock.now, baseUrl: API_BASE });
  await bed.emulator.addRepo(REPO_A, {
    firstIssueNumber: 5_000_000 + Math.floor(Math.random() * 1e6) * 10,
  });
  const github = new LiveGitHubGateway(
    new GitHubClient({
      baseUrl: API_BASE,
      credentials: tokenCredentials(GITHUB_TOKEN),
      fetch: bed.clientFetch,
      now: clock.now,
      sleep: clock.sleep,
    }),
  );
  const deps = { db: env.DB, github, config: testConfig(), now: clock.now };
  return { ...bed, clock, deps };
}

describe('TriageRpc.postReleaseComment', () => {
  test('finds or creates one release issue per key and comments on it once per content', async ({
    expect,
  }) => {
    const h = await live();
    const key = releaseKey();
    const first = await postReleaseComment(h.deps, {
      repo: REPO_A,
      releaseKey: key,
      title: 'Stage 5%',
      body: 'Promoted to 5 %.',
    });
    expect(first).toEqual({ status: 'sent', issueNumber: expect.any(Number) });
    const again = await postReleaseComment(h.deps, {
      repo: REPO_A,
      releaseKey: key,
      title: 'Stage 5%',
      body: 'Promoted to 5 %.',
    });
    expect(again).toEqual(first);
    const next = await postReleaseComment(h.deps, {
      repo: 'Octo-Org/Notes-Extension',
      releaseKey: key,
      title: 'Stage 10%',
      body: 'Promoted to 10 %.',
    });
    expect(next).toEqual(first);
    const issues = h.emulator.issues(REPO_A);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.labels).toEqual(['homeostat', 'release']);
    expect(issues[0]?.title).toBe('[release] Stage 5%');
    expect(issues[0]?.body).toContain(`\`${key}\``);
    const comments = h.emulator.comments(REPO_A, first.issueNumber ?? 0);
    expect(comments.map((c) => c.body.split('\n')[1])).toEqual(['**Stage 5%**', '**Stage 10%**']);
    // Another release gets its own issue.
    const other = await postReleaseComment(h.deps, {
      repo: REPO_A,
      releaseKey: releaseKey(),
      title: 'x',
      body: 'y',
    });
    expect(other.issueNumber).not.toBe(first.issueNumber);
    expect(h.violations).toEqual([]);
  });

  test('title and body are escaped as untrusted text', async ({ expect }) => {
    const h = await live();
    const r = await postReleaseComment(h.deps, {
      repo: REPO_A,
      releaseKey: releaseKey(),
      title: 'Halted @octocat',
      body: 'Top error: ![x](https://evil.example/p.png) <img src=x> fixes #12\n```',
    });
    const [comment] = h.emulator.comments(REPO_A, r.issueNumber ?? 0);
    const text = comment?.body.replace(/^<!-- homeostat:release-comment:[0-9a-f]+ -->\n/, '') ?? '';
    expect(text).not.toMatch(/@octocat|https:\/\/|<img|#12|(?<!\\)`|(?<!\\)\]\(/);
    expect(h.emulator.issues(REPO_A)[0]?.title).toBe('[release] Halted ＠octocat');
  });

  test('an interrupted creation is adopted, not repeated', async ({ expect }) => {
    const h = await live();
    const key = releaseKey();
    const r = await postReleaseComment(h.deps, {
      repo: REPO_A,
      releaseKey: key,
      title: 't',
      body: 'one',
    });
    // Forget the record, as if the consumer died after GitHub created the issue.
    await env.DB.prepare(
      `UPDATE triage_release_issues SET issue_number = NULL, state = 'creating', claim_token = 'dead',
         claimed_at = 1 WHERE release_key = ?`,
    )
      .bind(key)
      .run();
    const again = await postReleaseComment(h.deps, {
      repo: REPO_A,
      releaseKey: key,
      title: 't',
      body: 'two',
    });
    expect(again.issueNumber).toBe(r.issueNumber);
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
  });

  test('concurrent first comments for one release create one issue', async ({ expect }) => {
    const h = await live();
    const key = releaseKey();
    const results = await Promise.allSettled(
      ['a', 'b', 'c'].map((body) =>
        postReleaseComment(h.deps, { repo: REPO_A, releaseKey: key, title: 't', body }),
      ),
    );
    expect(h.emulator.issues(REPO_A)).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({ code: 'issue_claim_busy', retryable: true });
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
  });

  test('bad input and unknown repositories are refused', async ({ expect }) => {
    const h = await live();
    await expect(
      postReleaseComment(h.deps, { repo: 'nope', releaseKey: 'k', title: 't', body: 'b' }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(
      postReleaseComment(h.deps, { repo: 'someone/else', releaseKey: 'k', title: 't', body: 'b' }),
    ).rejects.toMatchObject({ code: 'unknown_repository' });
    expect(h.emulator.requests).toEqual([]);
  });

  test('through the exported entrypoint without credentials both writes go to the outbox', async ({
    expect,
  }) => {
    const repo = bundledConfig().repositories[0]?.slug ?? '';
    const key = releaseKey();
    const result = await exports.TriageRpc.postReleaseComment({
      repo,
      releaseKey: key,
      title: 'Stage 5%',
      body: 'ok',
    });
    expect(result).toEqual({ status: 'recorded' });
    const again = await exports.TriageRpc.postReleaseComment({
      repo,
      releaseKey: key,
      title: 'Stage 5%',
      body: 'ok',
    });
    expect(again).toEqual({ status: 'recorded' });
    const entries = (await listOutbox(env.DB, { limit: 1000 })).filter((e) => e.key.includes(key));
    expect(entries.map((e) => [e.purpose, e.method, e.path])).toEqual([
      ['create_issue', 'POST', `/repos/${repo}/issues`],
      ['create_comment', 'POST', `/repos/${repo}/issues/{issue_number}/comments`],
    ]);
    expect(entries[1]?.dependsOn).toBe(entries[0]?.key);
    expect(entries[0]?.body).toMatchObject({ labels: ['homeostat', 'release'] });
  });
});
