import {
  compareVersions,
  type ExtensionConfig,
  isVersion,
  type RepositoryConfig,
} from '@homeostat/shared';
import { TriageError } from '../errors.ts';
import type { GitHubIssue } from '../github/github.schema.ts';
import type { GitHubGateway, IssueRef } from '../github/github-gateway.ts';
import type { PolicyDecision } from '../policy.ts';
import { syncDigest } from './digest-issue.ts';
import type { FingerprintReport } from './fingerprint-source.ts';
import { takeIssueSlot, utcDay } from './issue-cap.ts';
import {
  claimIssue,
  getIssueRow,
  hasIssue,
  type IssueKey,
  type IssueRow,
  markSynced,
  recordIssue,
  releaseClaim,
  repoKey,
  setIssueState,
  setOptedOut,
  upsertResolution,
} from './issue-store.ts';
import {
  type AttemptStateView,
  classLabel,
  fingerprintLabel,
  parseIssueMetadata,
  renderIssue,
} from './issue-template.ts';
import { codeSpan } from './markdown.ts';

/**
 * Keeps exactly one GitHub issue per fingerprint current (issue 5, item 2): creates it once
 * (claim + look-before-create, see issue-store.ts), updates it at a bounded rate, reopens it with
 * a comment on a regression, and does nothing at all once a human opted the fingerprint out.
 */

export interface IssueSyncDeps {
  db: D1Database;
  github: GitHubGateway;
  now: () => number;
  /** How long a creation claim is honoured before another consumer may take it over. */
  leaseMs?: number;
}

export interface IssueSyncInput {
  repo: RepositoryConfig;
  extension: ExtensionConfig;
  report: FingerprintReport;
  policy: PolicyDecision;
  state: AttemptStateView;
  reason: 'new' | 'threshold' | 'regression' | 'retry' | 'manual';
  /** The queue message's `at`: the regression key when ingest recorded no transition time. */
  messageAt: number;
}

export type IssueOutcome =
  | 'created'
  | 'adopted'
  | 'updated'
  | 'unchanged'
  | 'reopened'
  | 'opted_out'
  | 'resolved'
  /** Over the repository's daily cap on new issues: listed in the day's digest issue. */
  | 'digested';

export interface IssueSyncResult {
  outcome: IssueOutcome;
  issue: IssueRef | null;
}

const DEFAULT_LEASE_MS = 120_000;

function refOf(row: IssueRow): IssueRef | null {
  if (row.issue_number !== null) return { kind: 'github', number: row.issue_number };
  if (row.outbox_key !== null) return { kind: 'pending', key: row.outbox_key };
  return null;
}

function keyOf(input: IssueSyncInput): IssueKey {
  return {
    repo: input.repo.slug,
    extensionId: input.report.extensionId,
    fingerprint: input.report.fingerprint,
  };
}

/** Idempotency keys of outbox entries: the same intent always yields the same key. */
function intentKey(kind: string, key: IssueKey, suffix?: string | number): string {
  const base = `${kind}:${repoKey(key.repo)}:${key.extensionId}:${key.fingerprint}`;
  return suffix === undefined ? base : `${base}:${suffix}`;
}

function hasLabel(issue: GitHubIssue, label: string): boolean {
  return issue.labels.some((l) => l.toLowerCase() === label.toLowerCase());
}

/** Finds an issue a previous, interrupted consumer created for this fingerprint. */
async function findCreatedEarlier(
  deps: IssueSyncDeps,
  input: IssueSyncInput,
): Promise<GitHubIssue | undefined> {
  const candidates = await deps.github.findIssues(input.repo.slug, [
    fingerprintLabel(input.report.fingerprint),
  ]);
  return candidates.find((issue) => {
    const meta = parseIssueMetadata(issue.body);
    return (
      meta !== null &&
      meta.fingerprint === input.report.fingerprint &&
      meta.extension === input.report.extensionId
    );
  });
}

async function create(
  deps: IssueSyncDeps,
  input: IssueSyncInput,
  key: IssueKey,
  token: string,
): Promise<IssueSyncResult> {
  const now = deps.now();
  const rendered = renderIssue(input);
  const fields = { cls: input.policy.class, events: input.report.events };
  try {
    if (deps.github.mode === 'dry-run') {
      const ref = await deps.github.createIssue(key.repo, rendered, intentKey('create', key));
      if (ref.kind !== 'pending') throw new Error('dry-run gateway returned a GitHub issue');
      await recordIssue(
        deps.db,
        key,
        token,
        { outboxKey: ref.key },
        { ...fields, state: 'open' },
        now,
      );
      return { outcome: 'created', issue: ref };
    }
    const earlier = await findCreatedEarlier(deps, input);
    if (earlier !== undefined) {
      const state = earlier.state;
      await recordIssue(
        deps.db,
        key,
        token,
        { issueNumber: earlier.number },
        { ...fields, state },
        now,
      );
      // Bring the adopted issue up to date: the interrupted consumer may have left it stale.
      const ref: IssueRef = { kind: 'github', number: earlier.number };
      await deps.github.updateIssue(
        key.repo,
        ref,
        { title: rendered.title, body: rendered.body },
        intentKey('adopt', key, now),
      );
      await deps.github.addLabels(
        key.repo,
        ref,
        rendered.labels.filter((l) => !hasLabel(earlier, l)),
        intentKey('adopt-labels', key, now),
      );
      return { outcome: 'adopted', issue: ref };
    }
    const ref = await deps.github.createIssue(key.repo, rendered, intentKey('create', key));
    if (ref.kind !== 'github') throw new Error('live gateway returned a pending issue');
    const recorded = await recordIssue(
      deps.db,
      key,
      token,
      { issueNumber: ref.number },
      { ...fields, state: 'open' },
      now,
    );
    if (!recorded) {
      // Our lease expired while GitHub was slow and another consumer took over; it will find
      // this issue by its label and metadata and adopt it, so nothing is lost or duplicated.
      console.warn('triage: claim lost after creating an issue; the new owner adopts it');
    }
    return { outcome: 'created', issue: ref };
  } catch (err) {
    await releaseClaim(deps.db, key, token);
    throw err;
  }
}

function regressionVersions(report: FingerprintReport): string[] {
  const fixed = report.fixedInVersion;
  const after = report.versions
    .map((v) => v.version)
    .filter(
      (v) => isVersion(v) && (fixed === null || !isVersion(fixed) || compareVersions(v, fixed) > 0),
    )
    .sort((a, b) => compareVersions(b, a));
  return after.length > 0 ? after.slice(0, 10) : [report.lastVersion];
}

async function announceRegression(
  deps: IssueSyncDeps,
  input: IssueSyncInput,
  key: IssueKey,
  ref: IssueRef,
  regressionAt: number,
): Promise<void> {
  const marker = `<!-- homeostat:regression:${regressionAt} -->`;
  const versions = regressionVersions(input.report).map((v) => codeSpan(v, 30));
  const fixed =
    input.report.fixedInVersion === null
      ? ''
      : ` It was considered fixed in ${codeSpan(input.report.fixedInVersion, 30)}.`;
  const body = `${marker}\n**Regression.** This problem was seen again in version ${versions.join(', ')} after it had been resolved.${fixed} Reopening.`;
  // Reopen first (idempotent), then comment unless an earlier, interrupted run already did.
  await deps.github.updateIssue(
    key.repo,
    ref,
    { state: 'open' },
    intentKey('reopen', key, regressionAt),
  );
  const bodies = await deps.github.commentBodies(key.repo, ref);
  if (!bodies.some((b) => b.includes(marker))) {
    await deps.github.createComment(
      key.repo,
      ref,
      body,
      intentKey('regression', key, regressionAt),
    );
  }
  await setIssueState(deps.db, key, 'open', deps.now(), regressionAt);
}

async function update(
  deps: IssueSyncDeps,
  input: IssueSyncInput,
  key: IssueKey,
  row: IssueRow,
): Promise<IssueSyncResult> {
  const ref = refOf(row);
  if (ref === null) throw new Error('update without an issue');
  const now = deps.now();
  const { repo, report } = input;
  let live: GitHubIssue | null = null;
  let state = row.state === 'closed' ? 'closed' : 'open';

  if (deps.github.mode === 'live' && ref.kind === 'github') {
    // The opt-out is checked on GitHub itself before acting, not only through webhooks, which
    // can be missed: a human's label always wins (issue 5, item 3).
    live = await deps.github.getIssue(repo.slug, ref.number);
    if (live === null) return { outcome: 'resolved', issue: ref };
    if (hasLabel(live, repo.labels.optOut)) {
      await setOptedOut(deps.db, key, true, 'label', now);
      return { outcome: 'opted_out', issue: ref };
    }
    // Closed without our webhook noticing (a missed delivery): part 1 never closes issues
    // itself, so a closed fingerprint issue was closed by a person and counts as resolved.
    if (live.state === 'closed' && row.state !== 'closed') {
      await setIssueState(deps.db, key, 'closed', now);
      await upsertResolution(deps.db, key, 'issue_closed', now);
    }
    state = live.state;
  }

  const regressionAt = report.lastRegressionAt ?? input.messageAt;
  const regressed = input.reason === 'regression' || report.state === 'regressed';
  if (regressed && (row.regression_at === null || regressionAt > row.regression_at)) {
    await announceRegression(deps, input, key, ref, regressionAt);
    await markSynced(deps.db, key, { cls: input.policy.class, events: report.events }, now);
    return { outcome: 'reopened', issue: ref };
  }
  if (state === 'closed') return { outcome: 'resolved', issue: ref };

  const rendered = renderIssue(input);
  const missing = rendered.labels.filter((l) => (live === null ? false : !hasLabel(live, l)));
  const classChanged = row.class !== null && row.class !== input.policy.class;
  const due = row.synced_at === null || now - row.synced_at >= repo.issueUpdateMinutes * 60_000;
  const changed = row.synced_events !== report.events || classChanged || missing.length > 0;
  if (!due || !changed) return { outcome: 'unchanged', issue: ref };

  await deps.github.updateIssue(
    repo.slug,
    ref,
    { title: rendered.title, body: rendered.body },
    intentKey('update', key, now),
  );
  const toAdd = live === null ? (classChanged ? [classLabel(input.policy.class)] : []) : missing;
  await deps.github.addLabels(repo.slug, ref, toAdd, intentKey('labels', key, now));
  if (classChanged && row.class !== null) {
    await deps.github.removeLabel(
      repo.slug,
      ref,
      classLabel(row.class),
      intentKey('unlabel', key, now),
    );
  }
  await markSynced(deps.db, key, { cls: input.policy.class, events: report.events }, now);
  return { outcome: 'updated', issue: ref };
}

export async function syncFingerprintIssue(
  deps: IssueSyncDeps,
  input: IssueSyncInput,
): Promise<IssueSyncResult> {
  const key = keyOf(input);
  const mode = deps.github.mode;
  const existing = await getIssueRow(deps.db, key);
  if (existing !== null && existing.opted_out !== 0) {
    return { outcome: 'opted_out', issue: refOf(existing) };
  }
  if (existing !== null && hasIssue(existing, mode)) return update(deps, input, key, existing);

  const claim = await claimIssue(deps.db, key, mode, deps.now(), deps.leaseMs ?? DEFAULT_LEASE_MS);
  switch (claim.kind) {
    case 'exists':
      if (claim.row.opted_out !== 0) return { outcome: 'opted_out', issue: refOf(claim.row) };
      return update(deps, input, key, claim.row);
    case 'busy':
      throw new TriageError('issue_claim_busy', 'the issue is being created by another consumer', {
        retryAfterSeconds: Math.ceil(claim.retryAfterMs / 1000),
      });
    case 'claimed': {
      // A new issue takes one of the repository's slots of the day; past the cap the
      // fingerprint is listed in the day's digest issue instead (issue 11, item 2).
      const now = deps.now();
      const slot = await takeIssueSlot(deps.db, key, input.repo.limits.newIssuesPerDay, now);
      if (slot === 'issue') return create(deps, input, key, claim.token);
      await releaseClaim(deps.db, key, claim.token);
      const digest = await syncDigest(deps, input.repo, utcDay(now));
      return { outcome: 'digested', issue: digest };
    }
  }
}
