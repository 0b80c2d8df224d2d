import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { AttemptStore } from '../../src/attempt-store.ts';
import { FixPullRequestStore } from '../../src/fix/pr/fix-pr-store.ts';
import { LiveGitDataGateway } from '../../src/fix/pr/git-data-gateway.ts';
import { writeFixPullRequest } from '../../src/fix/pr/pull-request-writer.ts';
import { tokenCredentials } from '../../src/github/github-auth.ts';
import { GitHubClient } from '../../src/github/github-client.ts';
import { API_BASE } from '../support/config.ts';
import { GITHUB_TOKEN } from '../support/github.ts';
import { liveBed, prInput, prRow } from './pr-support.ts';

/**
 * A GitHub answer that comes back after a newer decision never lands on top of it (issue 11,
 * item 4). The test holds one request of the PR writer open, makes the newer decision while it
 * waits (a webhook closing the PR, a newer attempt writing), then lets GitHub answer.
 */

type Bed = Awaited<ReturnType<typeof liveBed>>;

/** The bed's PR writer deps, with one request (the first matching `match`) held until released. */
function holding(bed: Bed, match: (req: Request) => boolean) {
  let arrived = () => {};
  let release = () => {};
  const seen = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let armed = true;
  const git = new LiveGitDataGateway(
    new GitHubClient({
      baseUrl: API_BASE,
      credentials: tokenCredentials(GITHUB_TOKEN),
      fetch: async (input, init) => {
        const req = new Request(input, init);
        if (armed && match(req)) {
          armed = false;
          arrived();
          await released;
        }
        return bed.fetch(req);
      },
      now: bed.clock.now,
      sleep: bed.clock.sleep,
    }),
  );
  return { deps: { db: env.DB, git, now: bed.clock.now }, arrived: seen, release };
}

const isPullWrite = (method: string) => (req: Request) =>
  req.method === method && /\/pulls(\/\d+)?$/.test(new URL(req.url).pathname);

describe('late GitHub answers to the PR writer', () => {
  test('a PR closed while its update was in flight stays closed; the writer stops', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const first = prInput(bed.repo, bed.baseSha, { attemptId: null });
    const created = await writeFixPullRequest(bed.deps, first);
    if (created.outcome !== 'created' || created.prNumber === null) throw new Error('no PR');
    const pr = created.prNumber;

    const held = holding(bed, isPullWrite('PATCH'));
    const writing = writeFixPullRequest(held.deps, { ...first, attempt: 2 });
    await held.arrived;
    // The newer decision: a person closes the PR and the webhook records it.
    bed.emulator.humanClosesPr(bed.repo.slug, pr);
    await new FixPullRequestStore(env.DB, bed.clock.now).setPullState(bed.repo.slug, pr, 'closed');
    held.release();

    expect(await writing).toMatchObject({ outcome: 'superseded' });
    expect(await prRow(first, 'live')).toMatchObject({
      pr_state: 'closed',
      pr_number: pr,
      written_attempt: 1,
    });
  });

  test('an older attempt answered late writes nothing over the newer attempt’s PR', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const one = prInput(bed.repo, bed.baseSha);
    // Attempt 1's "open the PR" hangs in GitHub; attempt 2 writes the PR meanwhile.
    const held = holding(bed, isPullWrite('POST'));
    const writingOne = writeFixPullRequest(held.deps, one);
    await held.arrived;
    const two = await writeFixPullRequest(bed.deps, { ...one, attempt: 2 });
    expect(two.outcome).toBe('created');
    const twoNumber = two.outcome === 'created' ? (two.prNumber ?? 0) : 0;
    // A PR's body lives on its issue (GitHub's PRs are issues).
    const twoBody = bed.emulator.issue(bed.repo.slug, twoNumber).body;
    expect(twoBody).toContain('"attempt":2');
    const mark = bed.seen().length;
    held.release();

    expect(await writingOne).toMatchObject({ outcome: 'superseded' });
    // GitHub refused attempt 1's duplicate PR (422); nothing of attempt 1 was written after it.
    expect(bed.writes(mark).map((w) => `${w.method} ${w.status}`)).toEqual(['POST 422']);
    expect(await prRow(one, 'live')).toMatchObject({ attempt_n: 2, written_attempt: 2 });
    expect(bed.emulator.issue(bed.repo.slug, twoNumber).body).toBe(twoBody);
    expect(bed.violations).toEqual([]);
  });

  test('a writer that begins after a newer attempt does not take the record back', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const input = prInput(bed.repo, bed.baseSha);
    expect((await writeFixPullRequest(bed.deps, { ...input, attempt: 3 })).outcome).toBe('created');
    const mark = bed.seen().length;
    expect(await writeFixPullRequest(bed.deps, { ...input, attempt: 2 })).toMatchObject({
      outcome: 'superseded',
    });
    expect(bed.writes(mark)).toEqual([]);
    expect(await prRow(input, 'live')).toMatchObject({ attempt_n: 3, written_attempt: 3 });
  });
});

describe('attempt PR state', () => {
  test('linking the PR after a webhook closed it keeps it closed', async ({ expect }) => {
    const attempts = new AttemptStore(env.DB, Date.now);
    const row = await env.DB.prepare(
      `INSERT INTO triage_attempts (repo, extension_id, fingerprint, n, run_id, started_at)
       VALUES ('octo-org/late-attach', 'ext', ?1, 1, 'run', 0) RETURNING id`,
    )
      .bind(`fp1:${crypto.randomUUID()}`)
      .first<{ id: number }>();
    const id = row?.id ?? 0;
    await attempts.attachPullRequest(id, {
      branch: 'b',
      headSha: 'a'.repeat(40),
      prNumber: 7,
      prState: 'open',
    });
    await attempts.setPullRequestState(id, 'closed');
    // The writer's view of the same PR, arriving after the webhook's.
    await attempts.attachPullRequest(id, {
      branch: 'b',
      headSha: 'a'.repeat(40),
      prNumber: 7,
      prState: 'open',
    });
    const after = await env.DB.prepare('SELECT pr_state FROM triage_attempts WHERE id = ?1')
      .bind(id)
      .first<{ pr_state: string }>();
    expect(after?.pr_state).toBe('closed');
  });
});
