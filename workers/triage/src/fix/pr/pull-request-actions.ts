import { type IssueKey, repoKey } from '../../issue/issue-store.ts';
import { FixPullRequestStore } from './fix-pr-store.ts';
import {
  type GitDataGateway,
  type MergeOutcome,
  OutboxGitDataGateway,
  type PullRef,
} from './git-data-gateway.ts';

/**
 * What CI gating does to a fix PR once its required checks have decided (issue 10, item 3): mark
 * it ready, merge it with the head SHA pinned, request review, add labels. Each works in both
 * modes through the `GitDataGateway`; in dry-run mode each call is recorded in the outbox as the
 * exact request instead (docs/architecture.md#modes).
 *
 * Ready for review: GitHub's REST API cannot take a pull request out of draft (`PATCH
 * …/pulls/{pull_number}` has no `draft` field in GitHub's OpenAPI description), so it goes
 * through GraphQL's `markPullRequestReadyForReview`, as the web UI's button does. One PR per
 * fingerprint, un-drafted in place: closing the draft and opening a ready copy would leave a
 * closed PR per fix and send a `closed` event that reads as a human refusal.
 */

export interface PullRequestActionDeps {
  db: D1Database;
  git: GitDataGateway;
  now: () => number;
}

function refKey(pr: PullRef): string {
  return pr.kind === 'github' ? String(pr.number) : pr.key;
}

export type MergeResult = MergeOutcome;

/**
 * Squash-merges the PR only if its head is still `sha` (`PUT …/merge` with `sha`): a head that
 * moved after CI judged it is refused by GitHub (409) and reported as `head_changed`. A merge
 * whose answer was lost is recognised on the repeat (405 and the PR merged at that head).
 */
export async function mergePullRequest(
  deps: PullRequestActionDeps,
  input: { repo: string; pr: PullRef; sha: string; commitTitle?: string; key?: string },
): Promise<MergeResult> {
  const key = input.key ?? `merge:${repoKey(input.repo)}:${refKey(input.pr)}:${input.sha}`;
  const result = await deps.git.merge(input.repo, input.pr, input.sha, {
    key,
    purpose: 'fix_merge',
    ...(input.commitTitle === undefined ? {} : { commitTitle: input.commitTitle }),
  });
  if (deps.git.mode === 'dry-run' || input.pr.kind !== 'github') return result;
  let final = result;
  if (result.outcome === 'not_mergeable') {
    const pull = await deps.git.getPull(input.repo, input.pr.number);
    if (pull?.merged === true && pull.headSha === input.sha && pull.mergeCommitSha !== null) {
      final = { outcome: 'merged', sha: pull.mergeCommitSha };
    }
  }
  if (final.outcome === 'merged') {
    await new FixPullRequestStore(deps.db, deps.now).setPullState(
      input.repo,
      input.pr.number,
      'merged',
    );
  }
  return final;
}

/** The merge call recorded instead of sent (dry-run), for CI gating to use without a gateway. */
export async function recordMergeCall(
  db: D1Database,
  input: { repo: string; pr: PullRef; sha: string; commitTitle?: string; key?: string },
  now: number,
): Promise<MergeResult> {
  return mergePullRequest(
    { db, git: new OutboxGitDataGateway(db, () => now), now: () => now },
    input,
  );
}

export type ReviewResult = 'requested' | 'refused' | 'recorded' | 'nobody';

export async function requestReview(
  deps: PullRequestActionDeps,
  input: { repo: string; pr: PullRef; reviewers: string[]; teamReviewers?: string[]; key?: string },
): Promise<ReviewResult> {
  const reviewers = [...new Set(input.reviewers)].sort();
  const teams = [...new Set(input.teamReviewers ?? [])].sort();
  if (reviewers.length === 0 && teams.length === 0) return 'nobody';
  const key =
    input.key ??
    `review:${repoKey(input.repo)}:${refKey(input.pr)}:${[...reviewers, ...teams.map((t) => `team/${t}`)].join(',')}`;
  const ok = await deps.git.requestReviewers(input.repo, input.pr, reviewers, teams, {
    key,
    purpose: 'fix_request_review',
  });
  if (deps.git.mode === 'dry-run') return 'recorded';
  return ok ? 'requested' : 'refused';
}

export async function addLabels(
  deps: PullRequestActionDeps,
  input: { repo: string; pr: PullRef; labels: string[]; key?: string },
): Promise<void> {
  const labels = [...new Set(input.labels)];
  const key =
    input.key ??
    `labels:${repoKey(input.repo)}:${refKey(input.pr)}:${[...labels].sort().join(',')}`;
  await deps.git.addLabels(input.repo, input.pr, labels, { key, purpose: 'fix_add_labels' });
}

export type ReadyResult =
  | { outcome: 'ready'; prNumber: number }
  | { outcome: 'already_ready'; prNumber: number }
  | { outcome: 'head_changed' }
  | { outcome: 'not_open' }
  | { outcome: 'recorded'; key: string };

/**
 * Takes the fingerprint's fix PR out of draft in place once CI is green on `headSha`
 * (docs/architecture.md#pr-conventions: a draft until the repository's requiredChecks are green on
 * the exact head SHA): only an open draft whose head is still `headSha`. The PR keeps its number,
 * so the attempt's `pr_number` and the D1 record stay as they are, and GitHub sends
 * `pull_request.ready_for_review`, nothing that looks like a refusal.
 *
 * Between the read and the mutation a push could still land (GraphQL takes no expected head):
 * then the PR is ready with an unjudged head, and the merge, pinned to `headSha`, is refused.
 */
export async function markReadyForReview(
  deps: PullRequestActionDeps,
  input: {
    repo: string;
    pr: PullRef;
    headSha: string;
    /** Not needed since the PR is un-drafted in place; accepted until callers drop it. */
    key?: IssueKey;
  },
): Promise<ReadyResult> {
  const { git } = deps;
  const w = {
    key: `ready:${repoKey(input.repo)}:${refKey(input.pr)}:${input.headSha}`,
    purpose: 'fix_mark_ready',
  };
  if (git.mode === 'dry-run' || input.pr.kind !== 'github') {
    // Dry-run records the exact mutation; a pending PR in live mode is refused by the gateway.
    await git.markReady(input.repo, input.pr, w);
    return { outcome: 'recorded', key: w.key };
  }
  const n = input.pr.number;
  const pull = await git.getPull(input.repo, n);
  if (pull === null || pull.state !== 'open') return { outcome: 'not_open' };
  if (pull.headSha !== input.headSha) return { outcome: 'head_changed' };
  if (!pull.draft) return { outcome: 'already_ready', prNumber: n };
  const done = await git.markReady(input.repo, input.pr, { ...w, nodeId: pull.nodeId });
  return done === 'not_found' ? { outcome: 'not_open' } : { outcome: 'ready', prNumber: n };
}
