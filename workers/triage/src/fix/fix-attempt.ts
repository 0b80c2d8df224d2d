import type { FixQueueMessage, HomeostatConfig, RepositoryConfig } from '@homeostat/shared';
import { z } from 'zod';
import { AttemptStore } from '../attempt-store.ts';
import { resolveTarget } from '../config-target.ts';
import { TriageError } from '../errors.ts';
import type { IssueRef } from '../github/github-gateway.ts';
import { type FingerprintReport, loadFingerprint } from '../issue/fingerprint-source.ts';
import { getIssueRow, type IssueKey, type IssueRow, repoKey } from '../issue/issue-store.ts';
import type { Candidate, FixContext } from './fix.types.ts';
import {
  type CandidateStep,
  candidateRef,
  type FixStages,
  modelStep,
  patternStep,
  prepareContext,
  type VerdictRecord,
} from './fix-engine.ts';
import { type FixRunRow, FixRunStore, type FixStopReason } from './fix-run-store.ts';

/**
 * One fix-queue message, resumable at every step (issue 10, item 1). The message names the
 * attempt it wants; the consumer starts exactly that attempt through the attempt store's atomic
 * gate or recognises it as already started, and then advances the attempt's run row:
 *
 *   proposing ─pattern passes─▶ proposed ─PR written─▶ pr_written   (CI decides from here)
 *       └─no pattern─▶ model_calling ─candidate passes─▶ proposed
 *                          └─nothing usable─▶ no_candidate
 *
 * A redelivery that finds `model_calling` cannot know whether the model was called (and paid)
 * before the crash, so it stops the attempt instead of calling again; every other stage is safe
 * to resume because its effects are idempotent (the PR writer recognises its own commit and PR).
 */

export interface PullRequestStage {
  write(input: {
    repo: RepositoryConfig;
    key: IssueKey;
    issue: IssueRef;
    attemptId: number;
    attempt: number;
    maxAttempts: number;
    runId: string;
    candidate: Candidate;
    context: StoredContext;
    report: FingerprintReport;
    stats: { files: number; added: number; removed: number } | null;
    policyClass: string;
  }): Promise<
    | {
        ok: true;
        branch: string;
        headSha: string;
        prNumber: number | null;
        prUrl: string | null;
        githubCalls: number;
      }
    | {
        ok: false;
        reason: 'human_pushed' | 'closed_by_human' | 'cap_reached' | 'superseded';
        githubCalls: number;
      }
  >;
}

export interface FixAttemptDeps {
  db: D1Database;
  config: HomeostatConfig;
  stages: FixStages;
  pr: PullRequestStage;
  now: () => number;
  runId: string;
  /**
   * Runs the CI gate once the PR is written: checks already known for the head SHA (a retry whose
   * fix is the same tree as a judged one) would otherwise wait for webhooks that never come.
   */
  gate?: (attemptId: number) => Promise<void>;
}

export type FixMessageOutcome =
  | { kind: 'skipped'; reason: string }
  | { kind: 'stopped'; stage: string; reason: FixStopReason }
  | { kind: 'pr_written'; branch: string; prNumber: number | null }
  | { kind: 'already_done'; stage: string };

/** What the run row keeps of the context: ids, paths and the base commit, never file contents. */
export const StoredContextSchema = z.object({
  commitSha: z.string(),
  culprit: z
    .object({ path: z.string(), line: z.number(), function: z.string().nullable() })
    .nullable(),
  editablePaths: z.array(z.string()),
  frames: z.number(),
});
export type StoredContext = z.infer<typeof StoredContextSchema>;

const StoredCandidateSchema = z.object({
  source: z.record(z.string(), z.unknown()),
  changes: z.array(z.object({ path: z.string(), before: z.string(), after: z.string() })),
  summary: z.string(),
});

function storeContext(ctx: FixContext): StoredContext {
  return {
    commitSha: ctx.commitSha,
    culprit:
      ctx.culprit === null
        ? null
        : { path: ctx.culprit.path, line: ctx.culprit.line, function: ctx.culprit.function },
    editablePaths: ctx.editablePaths,
    frames: ctx.frames.length,
  };
}

function issueRefOf(row: IssueRow): IssueRef | null {
  if (row.issue_number !== null) return { kind: 'github', number: row.issue_number };
  if (row.outbox_key !== null) return { kind: 'pending', key: row.outbox_key };
  return null;
}

const AttemptIdSchema = z.object({ id: z.number() });

async function attemptId(db: D1Database, key: IssueKey, n: number): Promise<number | null> {
  const row = await db
    .prepare(
      `SELECT id FROM triage_attempts WHERE repo = ?1 AND extension_id = ?2 AND fingerprint = ?3 AND n = ?4`,
    )
    .bind(repoKey(key.repo), key.extensionId, key.fingerprint, n)
    .first();
  return row === null ? null : AttemptIdSchema.parse(row).id;
}

function costOf(candidate: Candidate): { inputTokens: number; outputTokens: number } {
  return candidate.source.kind === 'model'
    ? { inputTokens: candidate.source.inputTokens, outputTokens: candidate.source.outputTokens }
    : { inputTokens: 0, outputTokens: 0 };
}

export async function processFixMessage(
  deps: FixAttemptDeps,
  message: FixQueueMessage,
): Promise<FixMessageOutcome> {
  const { extension, repo } = resolveTarget(deps.config, message.extensionId);
  const key: IssueKey = {
    repo: repo.slug,
    extensionId: extension.id,
    fingerprint: message.fingerprintId,
  };
  const issueRow = await getIssueRow(deps.db, key);
  const issue = issueRow === null ? null : issueRefOf(issueRow);
  if (issueRow === null || issue === null) return { kind: 'skipped', reason: 'issue_missing' };
  // Critical problems never get a PR (docs/architecture.md#policy-classes); unknown ones need a
  // human.
  const policyClass = issueRow.class ?? 'unknown';
  const autoFixable = policyClass === 'safe' || policyClass === 'needs-validation';

  const attempts = new AttemptStore(deps.db, deps.now);
  let id = await attemptId(deps.db, key, message.attempt);
  if (id === null) {
    const state = await attempts.state(key);
    // Only the next attempt may start: an older message (already superseded) is stale.
    if (message.attempt !== state.attempts + 1) return { kind: 'skipped', reason: 'stale' };
    const begun = await attempts.begin(key, repo, {
      runId: deps.runId,
      optedOut: issueRow.opted_out !== 0,
      autoFixable,
      issueOpen: issueRow.state !== 'closed',
    });
    if (begun.attemptId === null || begun.n !== message.attempt) {
      return { kind: 'skipped', reason: begun.decision.reason };
    }
    id = begun.attemptId;
  }

  const runs = new FixRunStore(deps.db, deps.now);
  let run = await runs.open(id, key, message.attempt, deps.runId, message.feedback ?? null);

  const stop = async (
    from: FixRunRow['stage'][],
    reason: FixStopReason,
    extra: { verdicts?: VerdictRecord[]; calls?: number; costUsd?: number } = {},
  ): Promise<FixMessageOutcome> => {
    const moved = await runs.advance(id, from, 'no_candidate', {
      reason,
      ...(extra.verdicts === undefined ? {} : { verdicts: JSON.stringify(extra.verdicts) }),
      ...(extra.calls === undefined ? {} : { modelCalls: extra.calls }),
      ...(extra.costUsd === undefined ? {} : { costUsd: extra.costUsd }),
    });
    if (moved) await attempts.finish(id, 'failure');
    return { kind: 'stopped', stage: 'no_candidate', reason };
  };

  if (run.stage === 'model_calling') {
    // A delivery died after it may have called the model: never pay for the same attempt twice.
    const moved = await runs.advance(id, ['model_calling'], 'abandoned', {
      reason: 'interrupted_model_call',
    });
    if (moved) await attempts.finish(id, 'abandoned');
    return { kind: 'stopped', stage: 'abandoned', reason: 'interrupted_model_call' };
  }

  // Read once per delivery: proposing and the PR both describe the same problem.
  let report: FingerprintReport | null = null;
  if (run.stage === 'proposing') {
    if (!autoFixable) return stop(['proposing'], 'critical_class');
    report = await loadFingerprint(deps.db, extension.id, key.fingerprint);
    if (report === null) {
      throw new TriageError('fingerprint_missing', 'the fingerprint is not in D1 yet', {
        retryAfterSeconds: 30,
      });
    }
    const t0 = deps.now();
    const located = await prepareContext(deps.stages, { report, repo, extension });
    const t1 = deps.now();
    if (!located.ok) {
      return stop(
        ['proposing'],
        located.reason === 'source_unreadable' ? 'source_unreadable' : 'not_localized',
      );
    }
    const ctx = located.context;
    let step: CandidateStep = await patternStep(deps.stages, ctx, repo, message.attempt);
    // A pattern whose fix CI already refused for this problem would only fail again: the retry
    // goes to the model with the CI's feedback instead (the fix bench shows patterns can pass the
    // guardrails on logic bugs and still be wrong).
    if (step.ok && (await runs.refusedPatterns(key)).has(candidateRef(step.candidate))) {
      step = {
        ok: false,
        reason: 'pattern_refused_by_ci',
        verdicts: step.verdicts,
        calls: 0,
        costUsd: 0,
      };
    }
    const t2 = deps.now();
    let verdicts = step.verdicts;
    if (!step.ok) {
      const claimed = await runs.advance(id, ['proposing'], 'model_calling', {
        context: JSON.stringify(storeContext(ctx)),
        verdicts: JSON.stringify(verdicts),
        timings: { localize_ms: t1 - t0, pattern_ms: t2 - t1 },
      });
      if (!claimed) return { kind: 'already_done', stage: 'model_calling' };
      step = await modelStep(deps.stages, ctx, repo, {
        attempt: message.attempt,
        ...(message.feedback === undefined ? {} : { feedback: message.feedback }),
      });
      verdicts = [...verdicts, ...step.verdicts];
      const t3 = deps.now();
      if (!step.ok) {
        const reason: FixStopReason =
          step.reason === 'no_provider'
            ? 'no_pattern_no_model'
            : step.reason === 'budget_exhausted' ||
                step.reason === 'no_eligible_provider' ||
                step.reason === 'provider_failed' ||
                step.reason === 'no_usable_answer'
              ? step.reason
              : 'all_rejected';
        await runs.advance(id, ['model_calling'], 'model_calling', {
          timings: { model_ms: t3 - t2 },
        });
        return stop(['model_calling'], reason, {
          verdicts,
          calls: step.calls,
          costUsd: step.costUsd,
        });
      }
      const candidate = step.candidate;
      const source = candidate.source;
      await runs.advance(id, ['model_calling'], 'proposed', {
        candidate: JSON.stringify(candidate),
        candidateSource: candidateRef(candidate),
        verdicts: JSON.stringify(verdicts),
        ...costOf(candidate),
        costUsd: source.kind === 'model' ? source.costUsd : 0,
        modelCalls: source.kind === 'model' ? source.callIds.length : 0,
        timings: { model_ms: t3 - t2 },
      });
    } else {
      await runs.advance(id, ['proposing'], 'proposed', {
        context: JSON.stringify(storeContext(ctx)),
        candidate: JSON.stringify(step.candidate),
        candidateSource: candidateRef(step.candidate),
        verdicts: JSON.stringify(verdicts),
        timings: { localize_ms: t1 - t0, pattern_ms: t2 - t1 },
      });
    }
    run = (await runs.get(id)) ?? run;
  }

  if (run.stage !== 'proposed') return { kind: 'already_done', stage: run.stage };
  return writePullRequest(deps, {
    run,
    id,
    key,
    repo,
    issue,
    policyClass,
    attempts,
    runs,
    report,
  });
}

async function writePullRequest(
  deps: FixAttemptDeps,
  a: {
    run: FixRunRow;
    id: number;
    key: IssueKey;
    repo: RepositoryConfig;
    issue: IssueRef;
    policyClass: string;
    attempts: AttemptStore;
    runs: FixRunStore;
    /** The report this delivery already read, if it did. */
    report: FingerprintReport | null;
  },
): Promise<FixMessageOutcome> {
  const candidate = StoredCandidateSchema.parse(JSON.parse(a.run.candidate ?? 'null'));
  const context = StoredContextSchema.parse(JSON.parse(a.run.context ?? 'null'));
  const report = a.report ?? (await loadFingerprint(deps.db, a.key.extensionId, a.key.fingerprint));
  if (report === null) {
    throw new TriageError('fingerprint_missing', 'the fingerprint is not in D1 yet', {
      retryAfterSeconds: 30,
    });
  }
  const verdicts = z
    .array(
      z.object({
        ok: z.boolean(),
        stats: z.object({ files: z.number(), added: z.number(), removed: z.number() }).optional(),
      }),
    )
    .catch([])
    .parse(JSON.parse(a.run.verdicts ?? '[]'));
  const passed = verdicts.find((v) => v.ok)?.stats ?? null;
  const state = await a.attempts.state(a.key);
  const t0 = deps.now();
  const written = await deps.pr.write({
    repo: a.repo,
    key: a.key,
    issue: a.issue,
    attemptId: a.id,
    attempt: a.run.n,
    maxAttempts: a.repo.maxAttempts + state.extraAttempts,
    runId: deps.runId,
    candidate: candidate as unknown as Candidate,
    context,
    report,
    stats: passed,
    policyClass: a.policyClass,
  });
  const prMs = deps.now() - t0;
  if (!written.ok) {
    const moved = await a.runs.advance(a.id, ['proposed'], 'abandoned', {
      reason: written.reason,
      githubCalls: written.githubCalls,
      timings: { pr_ms: prMs },
    });
    if (moved) await a.attempts.finish(a.id, 'abandoned');
    return { kind: 'stopped', stage: 'abandoned', reason: written.reason };
  }
  await a.attempts.attachPullRequest(a.id, {
    branch: written.branch,
    headSha: written.headSha,
    prNumber: written.prNumber,
    prState: written.prNumber === null ? 'none' : 'open',
  });
  await a.runs.advance(a.id, ['proposed'], 'pr_written', {
    branch: written.branch,
    headSha: written.headSha,
    prUrl: written.prUrl,
    githubCalls: written.githubCalls,
    timings: { pr_ms: prMs },
  });
  if (written.prNumber !== null) await deps.gate?.(a.id);
  return { kind: 'pr_written', branch: written.branch, prNumber: written.prNumber };
}
