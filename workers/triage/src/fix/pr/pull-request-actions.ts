import { z } from 'zod';
import { AttemptStore } from '../../attempt-store.ts';
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
 * exact request instead (architecture.md, "Modes").
 *
 * Ready for review: GitHub's REST API cannot take a pull request out of draft. `PATCH
 * /repos/{owner}/{repo}/pulls/{pull_number}` accepts only title, body, state, base and
 * maintainer_can_modify in GitHub's OpenAPI description (@octokit/openapi), and GitHub ignores a
 * `draft` field there; only the GraphQL mutation `markPullRequestReadyForReview` un-drafts, and
 * GraphQL is not available to Homeostat. A draft cannot be merged either (405 "Pull Request is
 * still a draft"). The closest REST behaviour is to supersede the draft: close it and open a
 * ready pull request for the same branch, title, body and labels. Checks belong to the commit,
 * not to the PR, so the green head SHA stays green; the D1 record remembers the closed draft
 * (`superseded_pr`) so that its `closed` event is not mistaken for a human refusal.
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
  | { outcome: 'superseded'; previous: number; prNumber: number; prUrl: string }
  | { outcome: 'already_ready'; prNumber: number }
  | { outcome: 'head_changed' }
  | { outcome: 'not_open' }
  | { outcome: 'recorded'; keys: string[] };

const RecordedPullSchema = z.object({ title: z.string(), body: z.string() });

/**
 * Takes the fingerprint's fix PR out of draft the only way REST allows (see above): when it is
 * an open draft whose head is still `headSha`, close it and open the same PR ready for review.
 * Resumable: a draft already closed by Homeostat (recorded in D1) is not closed twice, and a
 * ready PR opened by a lost answer is adopted.
 */
export async function markReadyForReview(
  deps: PullRequestActionDeps,
  input: { repo: string; key: IssueKey; pr: PullRef; headSha: string },
): Promise<ReadyResult> {
  const { git } = deps;
  const store = new FixPullRequestStore(deps.db, deps.now);
  if (git.mode === 'dry-run' || input.pr.kind === 'pending') {
    return recordReady(deps, input);
  }
  const n = input.pr.number;
  const row = await store.get(input.key, 'live');
  const draft = await git.getPull(input.repo, n);
  if (draft === null) return { outcome: 'not_open' };
  const resuming = draft.state === 'closed' && !draft.merged && row?.superseded_pr === n;
  if (draft.state !== 'open' && !resuming) return { outcome: 'not_open' };
  if (draft.headSha !== input.headSha) return { outcome: 'head_changed' };
  if (!draft.draft) return { outcome: 'already_ready', prNumber: n };

  if (!resuming) {
    await store.recordSuperseding(input.key, 'live', n);
    await git.updatePull(
      input.repo,
      input.pr,
      { state: 'closed' },
      { key: `ready-close:${n}`, purpose: 'fix_supersede_draft' },
    );
  }
  const made = await git.createPull(
    input.repo,
    {
      title: draft.title,
      body: draft.body ?? '',
      head: draft.headRef,
      base: draft.baseRef,
      draft: false,
    },
    { key: `ready-open:${n}`, purpose: 'fix_reopen_ready' },
  );
  let ready: { number: number; htmlUrl: string } | null =
    made === 'exists'
      ? null
      : made.info === null
        ? null
        : { number: made.info.number, htmlUrl: made.info.htmlUrl };
  if (ready === null) {
    const open = (await git.findPulls(input.repo, draft.headRef)).find((p) => p.state === 'open');
    if (open === undefined) return { outcome: 'not_open' };
    ready = { number: open.number, htmlUrl: open.htmlUrl };
  }
  const pr: PullRef = { kind: 'github', number: ready.number };
  await git.addLabels(input.repo, pr, draft.labels, {
    key: `ready-labels:${ready.number}`,
    purpose: 'fix_add_labels',
  });
  await store.recordPull(input.key, 'live', {
    number: ready.number,
    key: null,
    url: ready.htmlUrl,
  });
  if (row?.attempt_id != null) {
    await new AttemptStore(deps.db, deps.now).attachPullRequest(row.attempt_id, {
      branch: draft.headRef,
      headSha: input.headSha,
      prNumber: ready.number,
      prState: 'open',
    });
  }
  return { outcome: 'superseded', previous: n, prNumber: ready.number, prUrl: ready.htmlUrl };
}

/** Dry-run: the same close-and-reopen, recorded, with the PR text the outbox last recorded. */
async function recordReady(
  deps: PullRequestActionDeps,
  input: { repo: string; key: IssueKey; pr: PullRef; headSha: string },
): Promise<ReadyResult> {
  const { git } = deps;
  const id = refKey(input.pr);
  const last = await deps.db
    .prepare(
      `SELECT body FROM triage_outbox
       WHERE repo = ?1 AND purpose IN ('fix_create_pull', 'fix_update_pull')
         AND (key = ?2 OR depends_on = ?2)
       ORDER BY id DESC LIMIT 1`,
    )
    .bind(repoKey(input.repo), id)
    .first<{ body: string | null }>();
  const text = RecordedPullSchema.safeParse(JSON.parse(last?.body ?? 'null'));
  const head = z
    .object({ head: z.string(), base: z.string() })
    .safeParse(
      JSON.parse(
        (
          await deps.db
            .prepare(
              `SELECT body FROM triage_outbox WHERE key = ?1 AND purpose = 'fix_create_pull'`,
            )
            .bind(id)
            .first<{ body: string | null }>()
        )?.body ?? 'null',
      ),
    );
  if (!text.success || !head.success) return { outcome: 'not_open' };
  const labelled = await deps.db
    .prepare(
      `SELECT body FROM triage_outbox WHERE repo = ?1 AND purpose = 'fix_add_labels' AND depends_on = ?2
       ORDER BY id DESC LIMIT 1`,
    )
    .bind(repoKey(input.repo), id)
    .first<{ body: string | null }>();
  const labels = z
    .object({ labels: z.array(z.string()) })
    .catch({ labels: [] })
    .parse(JSON.parse(labelled?.body ?? 'null')).labels;
  const closeKey = `ready-close:${id}:${input.headSha}`;
  const openKey = `ready-open:${id}:${input.headSha}`;
  await git.updatePull(
    input.repo,
    input.pr,
    { state: 'closed' },
    { key: closeKey, purpose: 'fix_supersede_draft' },
  );
  await git.createPull(
    input.repo,
    {
      title: text.data.title,
      body: text.data.body,
      head: head.data.head,
      base: head.data.base,
      draft: false,
    },
    { key: openKey, dependsOn: closeKey, purpose: 'fix_reopen_ready' },
  );
  const labelsKey = `ready-labels:${id}:${input.headSha}`;
  await git.addLabels(input.repo, { kind: 'pending', key: openKey }, labels, {
    key: labelsKey,
    purpose: 'fix_add_labels',
  });
  return {
    outcome: 'recorded',
    keys: [closeKey, openKey, ...(labels.length > 0 ? [labelsKey] : [])],
  };
}
