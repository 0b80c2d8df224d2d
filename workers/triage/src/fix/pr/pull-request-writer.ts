import type { RepositoryConfig } from '@homeostat/shared';
import { TriageError } from '../../errors.ts';
import type { IssueRef } from '../../github/github-gateway.ts';
import { type IssueKey, repoKey } from '../../issue/issue-store.ts';
import type { Candidate } from '../fix.types.ts';
import { fixBranchName } from './fix-branch.ts';
import { type FixPrRow, FixPullRequestStore, holdsSlot, type WriteLease } from './fix-pr-store.ts';
import type { PullInfo } from './git-data.schema.ts';
import type { GitDataGateway, PullRef, WriteKey } from './git-data-gateway.ts';
import { PENDING_BASE_TREE, PENDING_COMMIT_SHA, type TreeEntryInput } from './git-data-request.ts';
import { gitBlobSha } from './git-object-hash.ts';
import {
  type FixPullRequestContent,
  fixCommitMessage,
  fixPullRequestTitle,
  type PrEvidence,
  renderFixPullRequestBody,
} from './pr-template.ts';

/**
 * Turns a guardrail-approved candidate into a branch, a commit and a draft pull request through
 * GitHub's Git Data API (issue 10, item 2), with Renovate's and Dependabot's manners
 * (ai-autofix.md §9; docs/architecture.md#pr-conventions):
 *
 *   blobs → tree (base_tree = the base commit's tree) → commit (parent = the base commit, author =
 *   the token's own identity) → `refs/heads/homeostat/fix-<fp>` created, or force-moved on a
 *   retry → the branch's PR found (`GET /pulls?head=owner:branch&state=all`) → created as a
 *   draft with `Fixes #N`, or its title and body updated in place → labels.
 *
 * - One branch and one open PR per fingerprint; a retry rewrites the same branch (one commit on
 *   top of the current base, like Renovate's rebase) and updates the same PR.
 * - The branch is moved only while its head is Homeostat's own commit as recorded in D1. Any
 *   other head means someone else pushed: outcome `human_pushed`, no write, ever again. A PR a
 *   human closed unmerged is never reopened: `closed_by_human`.
 * - `maxOpenPrs` and `maxPrsPerRun` are enforced atomically when a new PR slot is claimed.
 * - Redelivery: every step is recorded in `fix_pull_requests` (fix-pr-store.ts); a fully
 *   written attempt costs no GitHub call at all, a partly written one resumes, a recorded commit
 *   is reused, and a tree equal to the recorded one is recognised instead of committed again.
 * - Dry-run (no token): the same steps are recorded in the outbox as the exact requests, with
 *   blob ids computed locally as git computes them and placeholders for what only GitHub knows.
 * - A late answer never lands after a newer decision (issue 11, item 4): each step's record is a
 *   compare-and-set on the attempt and PR state this writer began with (fix-pr-store.ts
 *   `WriteLease`). When a newer attempt began, or the PR was closed or merged while GitHub was
 *   still answering, the writer stops with `superseded` and records nothing more.
 */

export interface PullRequestWriterDeps {
  db: D1Database;
  git: GitDataGateway;
  now: () => number;
}

export interface FixPullRequestInput {
  repo: RepositoryConfig;
  key: IssueKey;
  /** The fingerprint's own issue (`Fixes #N`), or its dry-run outbox entry. */
  issue: IssueRef;
  attempt: number;
  /** triage_attempts.id of the attempt, when there is one. */
  attemptId: number | null;
  maxAttempts: number;
  runId: string;
  candidate: Candidate;
  /** The commit the candidate was made against (FixContext.commitSha). */
  baseSha: string;
  report: PrEvidence;
  extensionName: string | null;
  stats: { files: number; added: number; removed: number } | null;
  labels: string[];
}

interface Common {
  branch: string;
  /** Requests sent to GitHub by this call. */
  githubCalls: number;
}

export type FixPullRequestOutcome =
  | (Common & {
      /** created: a new PR; updated: the existing PR carries this attempt now; unchanged: a
       * redelivery of an attempt already written, nothing sent. In dry-run mode "created" and
       * "updated" mean recorded in the outbox. */
      outcome: 'created' | 'updated' | 'unchanged';
      mode: 'live' | 'dry-run';
      /** The commit CI will judge; in dry-run mode `outbox:<key of the commit entry>`. */
      headSha: string;
      pr: PullRef;
      prNumber: number | null;
      prUrl: string | null;
    })
  | (Common & { outcome: 'human_pushed'; headSha: string | null })
  | (Common & { outcome: 'closed_by_human'; prNumber: number | null })
  | (Common & {
      outcome: 'cap_reached';
      cap: 'maxOpenPrs' | 'maxPrsPerRun';
      count: number;
      limit: number;
    })
  /** A newer decision took the record while this attempt was being written: it stopped. */
  | (Common & { outcome: 'superseded' });

/** Stable outbox keys: one per step of one attempt, so a redelivery records nothing twice. */
function stepKey(input: FixPullRequestInput, step: string): string {
  const { key } = input;
  return `fix-pr:${repoKey(key.repo)}:${key.extensionId}:${key.fingerprint}:a${input.attempt}:${step}`;
}

function pullRefOf(row: FixPrRow): PullRef | null {
  if (row.mode === 'live' && row.pr_number !== null)
    return { kind: 'github', number: row.pr_number };
  if (row.mode === 'dry-run' && row.pr_key !== null) return { kind: 'pending', key: row.pr_key };
  return null;
}

/** The dry-run stand-in for a commit id: which outbox entry would have made it. */
function outboxCommitRef(input: FixPullRequestInput): string {
  return `outbox:${stepKey(input, 'commit')}`;
}

export async function writeFixPullRequest(
  deps: PullRequestWriterDeps,
  input: FixPullRequestInput,
): Promise<FixPullRequestOutcome> {
  const { git } = deps;
  const mode = git.mode;
  const slug = input.repo.slug;
  const store = new FixPullRequestStore(deps.db, deps.now);
  const branch = fixBranchName(input.key.fingerprint);
  const startCalls = git.calls;
  const calls = () => git.calls - startCalls;
  if (input.candidate.changes.length === 0) {
    throw new TriageError('invalid_request', 'a candidate without changes cannot become a PR');
  }

  let row = await store.get(input.key, mode);
  if (row?.hands_off === 'human_pushed') {
    return { outcome: 'human_pushed', branch, headSha: row.head_sha, githubCalls: 0 };
  }
  if (row?.hands_off === 'closed_by_human') {
    return { outcome: 'closed_by_human', branch, prNumber: row.pr_number, githubCalls: 0 };
  }
  if (row !== null && row.written_attempt === input.attempt && row.head_sha !== null) {
    // Whatever became of the PR since (merged, closed), this attempt needs nothing more.
    const pr = pullRefOf(row);
    if (pr !== null) {
      return {
        outcome: 'unchanged',
        mode,
        branch,
        headSha: row.head_sha,
        pr,
        prNumber: row.pr_number,
        prUrl: row.pr_url,
        githubCalls: 0,
      };
    }
  }

  // --- Look (live only; dry-run knows nothing but its own record) -----------------------------
  const own = new Set([row?.head_sha, row?.commit_sha].filter((s): s is string => s != null));
  const current = await git.branchHead(slug, branch);
  const handsOff = async (reason: 'human_pushed' | 'closed_by_human') => {
    if (row !== null) await store.setHandsOff(input.key, mode, reason);
  };
  if (current !== null && !own.has(current)) {
    await handsOff('human_pushed');
    return { outcome: 'human_pushed', branch, headSha: current, githubCalls: calls() };
  }
  const pulls = await git.findPulls(slug, branch);
  const newest = pulls[0] ?? null;
  if (newest !== null && newest.state === 'closed' && !newest.merged) {
    await handsOff('closed_by_human');
    return { outcome: 'closed_by_human', branch, prNumber: newest.number, githubCalls: calls() };
  }
  const openPull: PullInfo | null = newest?.state === 'open' ? newest : null;

  // --- A PR slot: only a new PR needs one -----------------------------------------------------
  if (openPull === null && !holdsSlot(row)) {
    const claim = await store.claimSlot(input.key, mode, {
      branch,
      runId: input.runId,
      maxOpenPrs: input.repo.maxOpenPrs,
      maxPrsPerRun: input.repo.maxPrsPerRun,
    });
    if (!claim.claimed) {
      return {
        outcome: 'cap_reached',
        branch,
        cap: claim.cap,
        count: claim.count,
        limit: claim.limit,
        githubCalls: calls(),
      };
    }
  }
  row = await store.get(input.key, mode);
  if (row === null) {
    // Only a branch with an open PR and no record reaches here, and the head check stops that.
    throw new TriageError('invalid_request', 'no fix PR record for the fingerprint', {
      internal: `${slug} ${input.key.fingerprint}: open PR ${openPull?.number} without a row`,
    });
  }
  const superseded = (): FixPullRequestOutcome => ({
    outcome: 'superseded',
    branch,
    githubCalls: calls(),
  });
  if (row.attempt_n !== input.attempt || row.attempt_id !== input.attemptId) {
    const began = await store.beginAttempt(input.key, mode, {
      attempt: input.attempt,
      attemptId: input.attemptId,
    });
    if (!began) return superseded();
  }
  const lease: WriteLease = {
    attempt: input.attempt,
    attemptId: input.attemptId,
    prState: row.pr_state,
  };

  // --- The commit -----------------------------------------------------------------------------
  const content: FixPullRequestContent = {
    repo: input.repo,
    fingerprint: input.key.fingerprint,
    extensionName: input.extensionName,
    issue: input.issue,
    report: input.report,
    candidate: input.candidate,
    stats: input.stats,
    attempt: input.attempt,
    maxAttempts: input.maxAttempts,
    branch,
    baseSha: input.baseSha,
    headSha: PENDING_COMMIT_SHA,
  };
  const commitKey = stepKey(input, 'commit');
  let commitSha: string;
  if (
    row.commit_attempt === input.attempt &&
    row.commit_sha !== null &&
    row.base_sha === input.baseSha
  ) {
    commitSha = row.commit_sha; // made by an earlier delivery of this attempt
  } else {
    const paths = input.candidate.changes.map((c) => c.path);
    const base = await git.commitTree(slug, input.baseSha, paths);
    const entries: TreeEntryInput[] = [];
    for (const change of input.candidate.changes) {
      const sha = await gitBlobSha(change.after);
      await git.createBlob(slug, change.after, sha, {
        key: stepKey(input, `blob:${change.path}`),
        purpose: 'fix_create_blob',
      });
      const fileMode = base?.modes.get(change.path) === '100755' ? '100755' : '100644';
      entries.push({ path: change.path, mode: fileMode, type: 'blob', sha });
    }
    const treeSha = await git.createTree(slug, base?.treeSha ?? PENDING_BASE_TREE, entries, {
      key: stepKey(input, 'tree'),
      purpose: 'fix_create_tree',
    });
    if (
      mode === 'live' &&
      row.commit_sha !== null &&
      row.tree_sha === treeSha &&
      row.base_sha === input.baseSha
    ) {
      // The same tree on the same base: the recorded commit already is this change.
      commitSha = row.commit_sha;
    } else {
      const made = await git.createCommit(
        slug,
        { message: fixCommitMessage(content), tree: treeSha, parents: [input.baseSha] },
        { key: commitKey, dependsOn: stepKey(input, 'tree'), purpose: 'fix_create_commit' },
      );
      commitSha = mode === 'live' ? made : outboxCommitRef(input);
    }
    const recorded = await store.recordCommit(
      input.key,
      mode,
      { attempt: input.attempt, baseSha: input.baseSha, treeSha, commitSha },
      lease,
    );
    if (!recorded) return superseded();
  }

  // --- The branch -----------------------------------------------------------------------------
  // The commit may be an earlier delivery's (no record written above): check the lease before
  // the branch moves.
  if (!(await store.holds(input.key, mode, lease))) return superseded();
  const refWrite: WriteKey = {
    key: stepKey(input, 'ref'),
    dependsOn: commitKey,
    purpose: 'fix_update_branch',
  };
  if (mode === 'live') {
    if (current === null) {
      if ((await git.createBranch(slug, branch, commitSha, refWrite)) === 'exists') {
        // Created meanwhile: by a lost answer of ours (then it is our commit), or by someone else.
        const now = await git.branchHead(slug, branch);
        if (now !== commitSha && (now === null || !own.has(now))) {
          await handsOff('human_pushed');
          return { outcome: 'human_pushed', branch, headSha: now, githubCalls: calls() };
        }
        if (now !== commitSha) await git.forceBranch(slug, branch, commitSha, refWrite);
      }
    } else if (current !== commitSha) {
      await git.forceBranch(slug, branch, commitSha, refWrite);
    }
  } else if (row.head_sha === null) {
    await git.createBranch(slug, branch, PENDING_COMMIT_SHA, {
      ...refWrite,
      purpose: 'fix_create_branch',
    });
  } else {
    await git.forceBranch(slug, branch, PENDING_COMMIT_SHA, refWrite);
  }
  if (!(await store.recordHead(input.key, mode, commitSha, lease))) return superseded();

  // --- The pull request -----------------------------------------------------------------------
  if (mode === 'live') content.headSha = commitSha;
  const title = fixPullRequestTitle(content);
  const body = renderFixPullRequestBody(content);
  const written =
    mode === 'live'
      ? await livePull(git, input, branch, openPull, title, body, () =>
          store.holds(input.key, mode, lease),
        )
      : await dryRunPull(git, input, row, title, body, refWrite.key);
  if (written === null) return superseded();
  const pull = written.pr;
  const prUrl = written.prUrl;
  const pulled = await store.recordPull(
    input.key,
    mode,
    {
      number: pull.kind === 'github' ? pull.number : null,
      key: pull.kind === 'pending' ? pull.key : null,
      url: prUrl,
    },
    lease,
  );
  if (!pulled) return superseded();
  lease.prState = 'open';
  await git.addLabels(slug, pull, input.labels, {
    key: stepKey(input, 'labels'),
    purpose: 'fix_add_labels',
  });
  if (!(await store.recordWritten(input.key, mode, input.attempt, lease))) return superseded();
  return {
    outcome: written.created ? 'created' : 'updated',
    mode,
    branch,
    headSha: commitSha,
    pr: pull,
    prNumber: pull.kind === 'github' ? pull.number : null,
    prUrl,
    githubCalls: calls(),
  };
}

interface WrittenPull {
  pr: PullRef;
  prUrl: string | null;
  created: boolean;
}

async function livePull(
  git: GitDataGateway,
  input: FixPullRequestInput,
  branch: string,
  found: PullInfo | null,
  title: string,
  body: string,
  holds: () => Promise<boolean>,
): Promise<WrittenPull | null> {
  const slug = input.repo.slug;
  let open = found;
  if (open === null) {
    const made = await git.createPull(
      slug,
      { title, body, head: branch, base: input.repo.defaultBranch, draft: true },
      { key: stepKey(input, 'pull'), purpose: 'fix_create_pull' },
    );
    if (made !== 'exists')
      return { pr: made.ref, prUrl: made.info?.htmlUrl ?? null, created: true };
    // Opened by a delivery whose answer was lost: adopt it (Renovate's stateless dedupe), unless
    // the PR is a newer attempt's by now (this answer came late): null, write nothing over it.
    if (!(await holds())) return null;
    open = (await git.findPulls(slug, branch)).find((p) => p.state === 'open') ?? null;
    if (open === null) {
      throw new TriageError('github_rejected', 'GitHub refused the pull request', {
        internal: `${slug} ${branch}: 422 on create and no open PR for the branch`,
      });
    }
  }
  const pr: PullRef = { kind: 'github', number: open.number };
  if (open.title !== title || (open.body ?? '') !== body) {
    await git.updatePull(
      slug,
      pr,
      { title, body },
      { key: stepKey(input, 'pull_update'), purpose: 'fix_update_pull' },
    );
  }
  return { pr, prUrl: open.htmlUrl, created: false };
}

async function dryRunPull(
  git: GitDataGateway,
  input: FixPullRequestInput,
  row: FixPrRow,
  title: string,
  body: string,
  refKey: string,
): Promise<WrittenPull> {
  const slug = input.repo.slug;
  const recorded = pullRefOf(row);
  if (recorded !== null) {
    await git.updatePull(
      slug,
      recorded,
      { title, body },
      { key: stepKey(input, 'pull_update'), purpose: 'fix_update_pull' },
    );
    return { pr: recorded, prUrl: null, created: false };
  }
  const branch = fixBranchName(input.key.fingerprint);
  const made = await git.createPull(
    slug,
    { title, body, head: branch, base: input.repo.defaultBranch, draft: true },
    {
      key: stepKey(input, 'pull'),
      // `Fixes #{issue_number}` stands for the pending issue's number; else the branch comes first.
      dependsOn: input.issue.kind === 'pending' ? input.issue.key : refKey,
      purpose: 'fix_create_pull',
    },
  );
  if (made === 'exists') throw new TriageError('github_rejected', 'the outbox cannot refuse');
  return { pr: made.ref, prUrl: null, created: true };
}
