import { describe, test } from 'vitest';
import {
  addLabels,
  markReadyForReview,
  mergePullRequest,
  requestReview,
} from '../../src/fix/pr/pull-request-actions.ts';
import { writeFixPullRequest } from '../../src/fix/pr/pull-request-writer.ts';
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

  test('merge is pinned to the head SHA: refused for a draft, refused after the head moved, then merged', async ({
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
    // Ready for review through REST: the draft is superseded by a ready PR on the same head.
    const wrongHead = await markReadyForReview(bed.deps, {
      repo: slug,
      key: input.key,
      pr: result.pr,
      headSha: 'c'.repeat(40),
    });
    expect(wrongHead).toEqual({ outcome: 'head_changed' });
    const ready = await markReadyForReview(bed.deps, {
      repo: slug,
      key: input.key,
      pr: result.pr,
      headSha: result.headSha,
    });
    expect(ready).toMatchObject({ outcome: 'superseded', previous: n });
    if (ready.outcome !== 'superseded') throw new Error('unreachable');
    const fresh = bed.emulator.pull(slug, ready.prNumber);
    expect(fresh).toMatchObject({
      draft: false,
      state: 'open',
      headSha: result.headSha,
      head: result.branch,
    });
    expect(bed.emulator.pull(slug, n).state).toBe('closed');
    expect(bed.emulator.issue(slug, ready.prNumber).labels).toEqual(
      bed.emulator.issue(slug, n).labels,
    );
    expect(bed.emulator.issue(slug, ready.prNumber).body).toBe(bed.emulator.issue(slug, n).body);
    expect(await prRow(input, 'live')).toMatchObject({
      pr_number: ready.prNumber,
      superseded_pr: n,
      pr_state: 'open',
    });
    expect(
      await markReadyForReview(bed.deps, {
        repo: slug,
        key: input.key,
        pr: { kind: 'github', number: ready.prNumber },
        headSha: result.headSha,
      }),
    ).toEqual({ outcome: 'already_ready', prNumber: ready.prNumber });

    // The writer does not mistake the superseded draft for a human's refusal.
    const again = await writeFixPullRequest(bed.deps, { ...input, attempt: 2 });
    expect(again).toMatchObject({ outcome: 'updated', prNumber: ready.prNumber });
    if (again.outcome !== 'updated') throw new Error(again.outcome);

    // Someone pushes after CI judged the head: the pinned merge is refused.
    const pr = { kind: 'github' as const, number: ready.prNumber };
    const pushed = await bed.emulator.humanPushes(slug, result.branch, { 'src/extra.js': '1;\n' });
    expect(await mergePullRequest(bed.deps, { repo: slug, pr, sha: again.headSha })).toEqual({
      outcome: 'head_changed',
    });
    expect(bed.emulator.pull(slug, ready.prNumber).merged).toBe(false);
    const mark = bed.seen().length;
    const merged = await mergePullRequest(bed.deps, { repo: slug, pr, sha: pushed });
    expect(merged).toMatchObject({ outcome: 'merged' });
    const put = bed.seen(mark).find((r) => r.method === 'PUT');
    expect(put?.body).toEqual({ sha: pushed, merge_method: 'squash' });
    expect(bed.emulator.pull(slug, ready.prNumber).merged).toBe(true);
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
});
