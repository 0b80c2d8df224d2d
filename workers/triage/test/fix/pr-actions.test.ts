import { describe, test } from 'vitest';
import { pullNodeId } from '../../../../test/emulators/github/github-objects.ts';
import type { EmulatorEvent } from '../../../../test/emulators/github/webhook-payloads.ts';
import { TriageError } from '../../src/errors.ts';
import { MARK_READY_MUTATION } from '../../src/fix/pr/git-data-request.ts';
import {
  addLabels,
  markReadyForReview,
  mergePullRequest,
  requestReview,
} from '../../src/fix/pr/pull-request-actions.ts';
import { writeFixPullRequest } from '../../src/fix/pr/pull-request-writer.ts';
import { graphqlUrl } from '../../src/github/github-client.ts';
import { liveBed, POPUP_BEFORE, patternCandidate, prInput, prRow } from './pr-support.ts';

const HOSTILE =
  '</code><script>alert(1)</script> @octocat ![img](http://x.example/p.png) [click](https://evil.example) ```\n# hi';

async function created(bed: Awaited<ReturnType<typeof liveBed>>, overrides = {}) {
  const input = prInput(bed.repo, bed.baseSha, overrides);
  const result = await writeFixPullRequest(bed.deps, input);
  if (result.outcome !== 'created' || result.prNumber === null) throw new Error(result.outcome);
  return { input, result, n: result.prNumber };
}

describe('what CI gating does to a fix PR (live, emulator)', () => {
  test('the PR GitHub holds for hostile event text has no tags, mentions, images or links', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const after = POPUP_BEFORE.replace('return user.id;', 'return user?.id; // ```');
    const { n } = await created(bed, {
      report: {
        errorType: 'TypeError',
        title: `TypeError: ${HOSTILE}`,
        events: 3,
        installs: 2,
        installsApproximate: false,
        versions: [],
        surfaces: ['popup'],
        firstSeen: 0,
        lastSeen: 0,
      },
      candidate: { ...patternCandidate(after), summary: `Fix ${HOSTILE}` },
    });
    const issue = bed.emulator.issue(bed.repo.slug, n);
    for (const text of [issue.title, issue.body ?? '']) {
      for (const bad of ['<script', '</code>', '@octocat', '![', '](', 'http://', 'https://']) {
        expect(text).not.toContain(bad);
      }
    }
    expect(issue.body?.match(/<!--/g)).toHaveLength(1);
    expect(issue.body).toContain('````diff\n'); // longer than the ``` in the code
    expect(bed.violations).toEqual([]);
  });

  test('ready for review in place (GraphQL, one PR, ready_for_review), then a merge pinned to the head SHA', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const { input, result, n } = await created(bed);
    const slug = bed.repo.slug;
    // Still a draft: GitHub refuses to merge it.
    expect(
      await mergePullRequest(bed.deps, { repo: slug, pr: result.pr, sha: result.headSha }),
    ).toEqual({
      outcome: 'not_mergeable',
    });
    // Ready for review: un-drafted in place through GraphQL, only at the head CI judged.
    const events: EmulatorEvent[] = [];
    bed.emulator.onEvent((e) => events.push(e));
    const wrongHead = await markReadyForReview(bed.deps, {
      repo: slug,
      pr: result.pr,
      headSha: 'c'.repeat(40),
    });
    expect(wrongHead).toEqual({ outcome: 'head_changed' });
    expect(bed.emulator.pull(slug, n).draft).toBe(true);
    const mark0 = bed.seen().length;
    const ready = await markReadyForReview(bed.deps, {
      repo: slug,
      pr: result.pr,
      headSha: result.headSha,
    });
    expect(ready).toEqual({ outcome: 'ready', prNumber: n });
    expect(bed.emulator.pull(slug, n)).toMatchObject({
      draft: false,
      state: 'open',
      headSha: result.headSha,
      head: result.branch,
    });
    // One read for the head check (and the node id), one mutation; nothing closed or opened.
    const sent = bed.seen(mark0);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${slug}/pulls/${n}`,
      'POST /graphql',
    ]);
    const nodeId = pullNodeId(bed.emulator.pull(slug, n));
    expect(sent[1]?.body).toEqual({ query: MARK_READY_MUTATION, variables: { id: nodeId } });
    // Exactly one PR for the fingerprint's branch, never a closed one.
    const pulls = await bed.git.findPulls(slug, result.branch);
    expect(pulls.map((p) => [p.number, p.state, p.draft])).toEqual([[n, 'open', false]]);
    expect(events.map((e) => `${e.name}.${String(e.payload.action)}`)).toEqual([
      'pull_request.ready_for_review',
    ]);
    expect(events[0]?.payload).toMatchObject({
      number: n,
      pull_request: { draft: false, node_id: nodeId },
      sender: { login: bed.emulator.actor.login },
    });
    expect(await prRow(input, 'live')).toMatchObject({ pr_number: n, pr_state: 'open' });
    expect(
      await markReadyForReview(bed.deps, { repo: slug, pr: result.pr, headSha: result.headSha }),
    ).toEqual({ outcome: 'already_ready', prNumber: n });
    expect(events).toHaveLength(1);

    // The writer updates the same PR on the next attempt.
    const again = await writeFixPullRequest(bed.deps, { ...input, attempt: 2 });
    expect(again).toMatchObject({ outcome: 'updated', prNumber: n });
    if (again.outcome !== 'updated') throw new Error(again.outcome);

    // Someone pushes after CI judged the head: the pinned merge is refused.
    const pr = result.pr;
    const pushed = await bed.emulator.humanPushes(slug, result.branch, { 'src/extra.js': '1;\n' });
    expect(await mergePullRequest(bed.deps, { repo: slug, pr, sha: again.headSha })).toEqual({
      outcome: 'head_changed',
    });
    expect(bed.emulator.pull(slug, n).merged).toBe(false);
    const mark = bed.seen().length;
    const merged = await mergePullRequest(bed.deps, { repo: slug, pr, sha: pushed });
    expect(merged).toMatchObject({ outcome: 'merged' });
    const put = bed.seen(mark).find((r) => r.method === 'PUT');
    expect(put?.body).toEqual({ sha: pushed, merge_method: 'squash' });
    expect(bed.emulator.pull(slug, n).merged).toBe(true);
    expect((await prRow(input, 'live'))?.pr_state).toBe('merged');
    // A repeat (the answer was lost) is recognised as merged, not as a failure.
    expect(await mergePullRequest(bed.deps, { repo: slug, pr, sha: pushed })).toEqual(merged);
    expect(bed.violations).toEqual([]);
  });

  test('review requests and labels go to the PR; the PR author cannot be asked', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const { result, n } = await created(bed);
    const slug = bed.repo.slug;
    expect(
      await requestReview(bed.deps, { repo: slug, pr: result.pr, reviewers: ['alice', 'alice'] }),
    ).toBe('requested');
    expect(bed.emulator.pull(slug, n).requestedReviewers?.map((u) => u.login)).toEqual(['alice']);
    expect(
      await requestReview(bed.deps, {
        repo: slug,
        pr: result.pr,
        reviewers: [bed.emulator.actor.login],
      }),
    ).toBe('refused');
    expect(await requestReview(bed.deps, { repo: slug, pr: result.pr, reviewers: [] })).toBe(
      'nobody',
    );
    await addLabels(bed.deps, { repo: slug, pr: result.pr, labels: ['needs-human-review'] });
    expect(bed.emulator.issue(slug, n).labels).toContain('needs-human-review');
    expect(bed.violations).toEqual([]);
  });

  test('GraphQL refusals: typed errors without GitHub text; an unknown node is not open', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const { result, n } = await created(bed);
    const slug = bed.repo.slug;
    const ready = () =>
      markReadyForReview(bed.deps, { repo: slug, pr: result.pr, headSha: result.headSha });
    const refusal = (type: string, message: string) => ({
      path: /graphql$/,
      status: 200,
      body: { data: { markPullRequestReadyForReview: null }, errors: [{ type, message }] },
    });
    bed.emulator.injectFault(refusal('FORBIDDEN', 'Resource not accessible by integration'));
    const forbidden = await ready().catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(TriageError);
    expect(forbidden).toMatchObject({ code: 'github_rejected', retryable: false });
    const text =
      forbidden instanceof TriageError ? `${forbidden.message} ${forbidden.internal}` : '';
    expect(text).toContain('FORBIDDEN');
    expect(text).not.toContain('Resource not accessible');

    bed.emulator.injectFault(refusal('RATE_LIMITED', 'API rate limit exceeded'));
    await expect(ready()).rejects.toMatchObject({ code: 'github_rate_limited', retryable: true });
    // A refusal without a type (GitHub's parse and schema errors have none) is still typed.
    bed.emulator.injectFault({
      path: /graphql$/,
      status: 200,
      body: { errors: [{ message: 'x' }] },
    });
    await expect(ready()).rejects.toMatchObject({ code: 'github_rejected' });
    // An answer that is neither data nor errors is GitHub not behaving as documented.
    bed.emulator.injectFault({ path: /graphql$/, status: 200, body: { data: { other: 1 } } });
    await expect(ready()).rejects.toMatchObject({ code: 'github_invalid_response' });
    expect(bed.emulator.pull(slug, n).draft).toBe(true);

    // The emulator's own refusal of an id that names no PR (NOT_FOUND): nothing to un-draft.
    expect(
      await bed.git.markReady(slug, result.pr, {
        key: 'k',
        purpose: 'fix_mark_ready',
        nodeId: btoa('PullRequest:999999'),
      }),
    ).toBe('not_found');
    bed.emulator.injectFault(
      refusal('NOT_FOUND', "Could not resolve to a node with the global id of 'x'"),
    );
    expect(await ready()).toEqual({ outcome: 'not_open' });

    // Closed: left alone, no GraphQL call at all.
    expect(await ready()).toEqual({ outcome: 'ready', prNumber: n });
    bed.emulator.humanClosesPr(slug, n);
    const mark = bed.seen().length;
    expect(await ready()).toEqual({ outcome: 'not_open' });
    expect(bed.seen(mark).map((r) => r.path)).toEqual([`/repos/${slug}/pulls/${n}`]);
    expect(bed.violations).toEqual([]);
  });

  test('GitHub Enterprise Server: REST at /api/v3, GraphQL sent to /api/graphql', async ({
    expect,
  }) => {
    expect(graphqlUrl('https://api.github.com')).toBe('https://api.github.com/graphql');
    expect(graphqlUrl('https://ghe.example.test/api/v3/')).toBe(
      'https://ghe.example.test/api/graphql',
    );
    expect(graphqlUrl('http://127.0.0.1:8787')).toBe('http://127.0.0.1:8787/graphql');
    const bed = await liveBed(undefined, 'https://ghe.example.test/api/v3');
    const { result, n } = await created(bed);
    const mark = bed.seen().length;
    expect(
      await markReadyForReview(bed.deps, {
        repo: bed.repo.slug,
        pr: result.pr,
        headSha: result.headSha,
      }),
    ).toEqual({ outcome: 'ready', prNumber: n });
    // The emulator logs paths below the REST base: GraphQL is outside it, at the host's /api.
    expect(bed.seen(mark).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${bed.repo.slug}/pulls/${n}`,
      'POST /api/graphql',
    ]);
    expect(bed.emulator.pull(bed.repo.slug, n).draft).toBe(false);
    expect(bed.violations).toEqual([]);
  });
});
