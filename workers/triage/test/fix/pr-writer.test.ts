import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { isTriageError } from '../../src/errors.ts';
import type { PullRequestStage } from '../../src/fix/fix-attempt.ts';
import { fixBranchName } from '../../src/fix/pr/fix-branch.ts';
import { FixPullRequestStore } from '../../src/fix/pr/fix-pr-store.ts';
import { gitBlobSha } from '../../src/fix/pr/git-object-hash.ts';
import { createPullRequestStage } from '../../src/fix/pr/pull-request-stage.ts';
import { writeFixPullRequest } from '../../src/fix/pr/pull-request-writer.ts';
import { EXT_A, testConfig } from '../support/config.ts';
import {
  EVIDENCE,
  liveBed,
  modelCandidate,
  POPUP_AFTER,
  patternCandidate,
  prInput,
  prRow,
  UTIL_BEFORE,
  uniqueRepo,
} from './pr-support.ts';

const decoder = new TextDecoder();

/** The files of a commit in the emulator's git store, as text. */
function filesAt(bed: Awaited<ReturnType<typeof liveBed>>, commitSha: string) {
  const git = bed.emulator.git(bed.repo.slug);
  const commit = git.commits.get(commitSha);
  if (commit === undefined) throw new Error(`no commit ${commitSha}`);
  const out: Record<string, string> = {};
  for (const [path, entry] of git.flatten(commit.tree)) {
    out[path] = decoder.decode(git.blobs.get(entry.sha));
  }
  return { commit, files: out };
}

function branchHead(bed: Awaited<ReturnType<typeof liveBed>>, branch: string) {
  return bed.emulator.git(bed.repo.slug).refs.get(`refs/heads/${branch}`);
}

function count(requests: { method: string; path: string }[], method: string, suffix: RegExp) {
  return requests.filter((r) => r.method === method && suffix.test(r.path)).length;
}

describe('fix pull requests through the Git Data API (live, emulator)', () => {
  test('a first attempt makes one branch, one commit on the base and one draft PR with Fixes #N', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const input = prInput(bed.repo, bed.baseSha, {
      candidate: patternCandidate(POPUP_AFTER, `${UTIL_BEFORE}export const one = 1;\n`),
    });
    const result = await writeFixPullRequest(bed.deps, input);
    const branch = fixBranchName(input.key.fingerprint);
    expect(branch).toBe(`homeostat/fix-${input.key.fingerprint.slice(4, 16)}`);
    expect(result).toMatchObject({ outcome: 'created', mode: 'live', branch });
    if (result.outcome !== 'created') throw new Error('unreachable');

    // The branch points at one new commit whose parent is the base and whose tree is the base's
    // tree with exactly the candidate's files changed.
    const head = branchHead(bed, branch);
    expect(head).toBe(result.headSha);
    const { commit, files } = filesAt(bed, result.headSha);
    expect(commit.parents).toEqual([bed.baseSha]);
    expect(files).toEqual({
      'README.md': '# fixture\n',
      'src/popup.js': POPUP_AFTER,
      'src/util.js': `${UTIL_BEFORE}export const one = 1;\n`,
    });
    // Written as the token's own identity, never a made-up author.
    expect(commit.author.name).toBe('homeostat[bot]');
    expect(commit.message).toContain(`Homeostat-Fingerprint: ${input.key.fingerprint}`);
    const entry = bed.emulator.git(bed.repo.slug).flatten(commit.tree).get('src/popup.js');
    expect(entry?.sha).toBe(await gitBlobSha(POPUP_AFTER));

    // One draft PR from the branch to the default branch, labelled, fixing its own issue only.
    const pull = bed.emulator.pull(bed.repo.slug, result.prNumber ?? 0);
    expect(pull).toMatchObject({ head: branch, base: 'main', draft: true, state: 'open' });
    const issue = bed.emulator.issue(bed.repo.slug, pull.number);
    expect(issue.labels).toEqual(
      expect.arrayContaining(['homeostat', 'homeostat:fix', 'class:safe']),
    );
    expect(issue.body?.match(/#\d+/g)).toEqual(['#12']);
    expect(issue.body).toContain('Fixes #12');
    expect(issue.body).toContain(`CI pending on \`${result.headSha}\``);
    expect(issue.body).toContain('Attempt 1 of 3');
    expect(issue.body).toContain('`src/util.js` | +1 | −0');
    expect(result.prUrl).toBe(`https://github.com/${bed.repo.slug}/pull/${pull.number}`);

    // 2 blobs → tree → commit → ref → PR → labels, after 4 reads (ref, base commit, base tree,
    // the branch's PRs); the answer counts them.
    const writes = bed
      .writes()
      .map((r) => `${r.method} ${r.path.replace(/^\/repos\/[^/]+\/[^/]+/, '')}`);
    expect(writes).toEqual([
      'POST /git/blobs',
      'POST /git/blobs',
      'POST /git/trees',
      'POST /git/commits',
      'POST /git/refs',
      'POST /pulls',
      `POST /issues/${pull.number}/labels`,
    ]);
    expect(result.githubCalls).toBe(bed.seen().length);
    expect(bed.violations).toEqual([]);
    expect(await prRow(input, 'live')).toMatchObject({
      branch,
      head_sha: result.headSha,
      commit_sha: result.headSha,
      base_sha: bed.baseSha,
      pr_number: pull.number,
      pr_state: 'open',
      written_attempt: 1,
      run_id: 'run-1',
    });
  });

  test('a redelivery of a written attempt sends nothing; one interrupted after the PR adopts it', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const input = prInput(bed.repo, bed.baseSha);
    const first = await writeFixPullRequest(bed.deps, input);
    expect(first.outcome).toBe('created');
    const before = bed.seen().length;
    const again = await writeFixPullRequest(bed.deps, input);
    expect(again).toMatchObject({ outcome: 'unchanged', githubCalls: 0 });
    expect(bed.seen(before)).toEqual([]);

    // GitHub opens the PR but the answer is lost: the delivery fails and is redelivered.
    const other = prInput(bed.repo, bed.baseSha);
    bed.emulator.injectFault({
      method: 'POST',
      path: /\/pulls$/,
      status: 502,
      afterHandling: true,
    });
    await expect(writeFixPullRequest(bed.deps, other)).rejects.toSatisfy(
      (e) => isTriageError(e) && e.code === 'github_unavailable',
    );
    const mark = bed.seen().length;
    const resumed = await writeFixPullRequest(bed.deps, other);
    expect(resumed).toMatchObject({ outcome: 'updated' });
    const branch = fixBranchName(other.key.fingerprint);
    expect(bed.emulator.openPullsWithHead(bed.repo.slug, branch)).toHaveLength(1);
    // The recorded commit is reused and the branch already points at it: no second commit,
    // ref or PR, only the PR's labels.
    const resumedWrites = bed
      .writes(mark)
      .map((r) => r.method + r.path.replace(/^\/repos\/[^/]+\/[^/]+/, ''));
    expect(resumedWrites).toEqual([expect.stringMatching(/^POST\/issues\/\d+\/labels$/)]);
    expect(count(bed.seen(), 'POST', /\/git\/commits$/)).toBe(2); // one per fingerprint
    expect(bed.violations).toEqual([]);
  });

  test('a retry rewrites the same branch and updates the same PR in place; an equal tree is recognised', async ({
    expect,
  }) => {
    const bed = await liveBed();
    const first = prInput(bed.repo, bed.baseSha);
    const one = await writeFixPullRequest(bed.deps, first);
    if (one.outcome !== 'created') throw new Error(one.outcome);
    const mark = bed.seen().length;
    const secondAfter = POPUP_AFTER.replace('?? null', "?? 'anonymous'");
    const retry = { ...first, attempt: 2, runId: 'run-2', candidate: modelCandidate(secondAfter) };
    const two = await writeFixPullRequest(bed.deps, retry);
    expect(two).toMatchObject({ outcome: 'updated', prNumber: one.prNumber, branch: one.branch });
    if (two.outcome !== 'updated') throw new Error(two.outcome);
    expect(two.headSha).not.toBe(one.headSha);
    const { commit, files } = filesAt(bed, two.headSha);
    expect(commit.parents).toEqual([bed.baseSha]); // one commit on the base, like Renovate
    expect(files['src/popup.js']).toBe(secondAfter);
    expect(branchHead(bed, one.branch)).toBe(two.headSha);
    const retryWrites = bed.writes(mark);
    expect(count(retryWrites, 'POST', /\/pulls$/)).toBe(0);
    expect(count(retryWrites, 'PATCH', /\/git\/refs\/heads\/homeostat\/fix-/)).toBe(1);
    expect(
      retryWrites.find((r) => r.method === 'PATCH' && /\/git\/refs\//.test(r.path))?.body,
    ).toMatchObject({
      sha: two.headSha,
      force: true,
    });
    const issue = bed.emulator.issue(bed.repo.slug, one.prNumber ?? 0);
    expect(issue.body).toContain('Attempt 2 of 3');
    expect(issue.body).toContain('`cheap/small-1`: 1800 input and 240 output tokens, 0.0123 USD');
    expect(bed.emulator.openPullsWithHead(bed.repo.slug, one.branch)).toEqual([one.prNumber]);

    // A third attempt with the very same change: the tree equals the recorded one, no commit.
    const mark3 = bed.seen().length;
    const three = await writeFixPullRequest(bed.deps, { ...retry, attempt: 3 });
    expect(three).toMatchObject({ outcome: 'updated', headSha: two.headSha });
    expect(count(bed.writes(mark3), 'POST', /\/git\/commits$/)).toBe(0);
    expect(count(bed.writes(mark3), 'PATCH', /\/git\/refs\//)).toBe(0);
    expect(bed.violations).toEqual([]);
  });

  test('a branch someone else pushed to is never touched again', async ({ expect }) => {
    const bed = await liveBed();
    const input = prInput(bed.repo, bed.baseSha);
    const one = await writeFixPullRequest(bed.deps, input);
    if (one.outcome !== 'created') throw new Error(one.outcome);
    const pushed = await bed.emulator.humanPushes(bed.repo.slug, one.branch, {
      'src/popup.js': 'export const render = () => null;\n',
    });
    const mark = bed.seen().length;
    const retry = {
      ...input,
      attempt: 2,
      candidate: modelCandidate(POPUP_AFTER.replace('null', '0')),
    };
    const two = await writeFixPullRequest(bed.deps, retry);
    expect(two).toMatchObject({ outcome: 'human_pushed', headSha: pushed });
    expect(bed.writes(mark)).toEqual([]);
    expect(branchHead(bed, one.branch)).toBe(pushed);
    expect(bed.emulator.issue(bed.repo.slug, one.prNumber ?? 0).body).toContain('Attempt 1 of 3');
    // Remembered: a later attempt does not even look.
    const mark2 = bed.seen().length;
    const three = await writeFixPullRequest(bed.deps, { ...retry, attempt: 3 });
    expect(three).toMatchObject({ outcome: 'human_pushed', githubCalls: 0 });
    expect(bed.seen(mark2)).toEqual([]);
    expect((await prRow(input, 'live'))?.hands_off).toBe('human_pushed');

    // A branch of that name that Homeostat has no record of is someone else's too.
    const stranger = prInput(bed.repo, bed.baseSha);
    await bed.emulator.humanPushes(bed.repo.slug, fixBranchName(stranger.key.fingerprint), {
      'notes.txt': 'mine\n',
    });
    const mark3 = bed.seen().length;
    expect((await writeFixPullRequest(bed.deps, stranger)).outcome).toBe('human_pushed');
    expect(bed.writes(mark3)).toEqual([]);
    expect(bed.violations).toEqual([]);
  });

  test('a PR a human closed unmerged is not reopened nor replaced', async ({ expect }) => {
    const bed = await liveBed();
    const input = prInput(bed.repo, bed.baseSha);
    const one = await writeFixPullRequest(bed.deps, input);
    if (one.outcome !== 'created') throw new Error(one.outcome);
    bed.emulator.humanClosesPr(bed.repo.slug, one.prNumber ?? 0);
    const mark = bed.seen().length;
    const two = await writeFixPullRequest(bed.deps, { ...input, attempt: 2 });
    expect(two).toMatchObject({ outcome: 'closed_by_human', prNumber: one.prNumber });
    expect(bed.writes(mark)).toEqual([]);
    expect(bed.emulator.pull(bed.repo.slug, one.prNumber ?? 0).state).toBe('closed');
    expect(bed.emulator.openPullsWithHead(bed.repo.slug, one.branch)).toEqual([]);
    expect((await prRow(input, 'live'))?.pr_state).toBe('closed');
    expect(bed.violations).toEqual([]);
  });

  test('maxPrsPerRun and maxOpenPrs are honoured before anything is written', async ({
    expect,
  }) => {
    const bed = await liveBed(uniqueRepo({ maxPrsPerRun: 1, maxOpenPrs: 2 }));
    const a = await writeFixPullRequest(bed.deps, prInput(bed.repo, bed.baseSha, { runId: 'r1' }));
    expect(a.outcome).toBe('created');
    const mark = bed.seen().length;
    const b = await writeFixPullRequest(bed.deps, prInput(bed.repo, bed.baseSha, { runId: 'r1' }));
    expect(b).toMatchObject({ outcome: 'cap_reached', cap: 'maxPrsPerRun', count: 1, limit: 1 });
    expect(bed.writes(mark)).toEqual([]);
    // A retry of the fingerprint that already has its PR is an update, not a new PR: allowed.
    if (a.outcome !== 'created') throw new Error('unreachable');
    expect(
      (await writeFixPullRequest(bed.deps, prInput(bed.repo, bed.baseSha, { runId: 'r2' })))
        .outcome,
    ).toBe('created');
    const c = prInput(bed.repo, bed.baseSha, { runId: 'r3' });
    const mark2 = bed.seen().length;
    expect(await writeFixPullRequest(bed.deps, c)).toMatchObject({
      outcome: 'cap_reached',
      cap: 'maxOpenPrs',
      count: 2,
      limit: 2,
    });
    expect(bed.writes(mark2)).toEqual([]);
    // One of the open PRs is merged (webhook): a slot frees up.
    await new FixPullRequestStore(env.DB, bed.clock.now).setPullState(
      bed.repo.slug,
      a.prNumber ?? 0,
      'merged',
    );
    expect((await writeFixPullRequest(bed.deps, c)).outcome).toBe('created');
    expect(bed.violations).toEqual([]);
  });
});

describe('the PR writer as the fix consumer’s PullRequestStage', () => {
  test('labels come from the config; stops are reported as reasons', async ({ expect }) => {
    const bed = await liveBed(uniqueRepo({ labels: { base: 'auto', extra: ['bot-made'] } }));
    const config = testConfig();
    const stage = createPullRequestStage({ ...bed.deps, config });
    const base = prInput(bed.repo, bed.baseSha);
    const input: Parameters<PullRequestStage['write']>[0] = {
      repo: bed.repo,
      key: base.key,
      issue: base.issue,
      attemptId: 41,
      attempt: 1,
      maxAttempts: 3,
      runId: 'stage-run',
      candidate: base.candidate,
      context: {
        commitSha: bed.baseSha,
        culprit: null,
        editablePaths: ['src/popup.js'],
        frames: 1,
      },
      report: {
        ...EVIDENCE,
        extensionId: EXT_A,
        fingerprint: base.key.fingerprint,
        culprit: null,
        firstVersion: '1.2.0',
        lastVersion: '1.2.1',
        state: 'open' as const,
        fixedInVersion: null,
        sample: null,
        sampleVersion: null,
        lastRegressionAt: null,
      },
      stats: null,
      policyClass: 'needs-validation',
    };
    const written = await stage.write(input);
    expect(written).toMatchObject({ ok: true, headSha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    if (!written.ok || written.prNumber === null) throw new Error('not written');
    expect(bed.emulator.issue(bed.repo.slug, written.prNumber).labels).toEqual([
      'auto',
      'bot-made',
      'homeostat:fix',
      `fingerprint:${base.key.fingerprint.slice(4, 12)}`,
      'class:needs-validation',
    ]);
    expect(bed.emulator.issue(bed.repo.slug, written.prNumber).body).toContain('in `notes`');
    expect((await prRow(base, 'live'))?.attempt_id).toBe(41);
    bed.emulator.humanClosesPr(bed.repo.slug, written.prNumber);
    expect(await stage.write({ ...input, attempt: 2 })).toMatchObject({
      ok: false,
      reason: 'closed_by_human',
    });
    expect(bed.violations).toEqual([]);
  });
});
