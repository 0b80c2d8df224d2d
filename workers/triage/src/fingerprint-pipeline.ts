import type { FixQueueMessage, HomeostatConfig, TriageQueueMessage } from '@homeostat/shared';
import { AttemptStore } from './attempt-store.ts';
import { resolveTarget } from './config-target.ts';
import { TriageError } from './errors.ts';
import { FixRunStore } from './fix/fix-run-store.ts';
import { modelSpend } from './fix/model/model-call-store.ts';
import type { GitHubGateway } from './github/github-gateway.ts';
import { syncFingerprintIssue } from './issue/fingerprint-issue.ts';
import { loadFingerprint } from './issue/fingerprint-source.ts';
import { getIssueRow, type IssueKey } from './issue/issue-store.ts';
import { analyseStack } from './issue/stack-frames.ts';
import { classify } from './policy.ts';
import type { MessageOutcome } from './run-record.ts';

export interface PipelineDeps {
  db: D1Database;
  config: HomeostatConfig;
  github: GitHubGateway;
  now: () => number;
  runId: string;
  /** The fixer's queue (issue 10, item 1); absent where a test does not exercise fixing. */
  fixQueue?: Queue | undefined;
}

/** How long to wait for ingest to flush a fingerprint the queue already announced. */
const FINGERPRINT_MISSING_RETRY_SECONDS = 30;

/**
 * One queue message, end to end (issue 5): find the extension and its repository in the config
 * (multi-repository, item 6), read the fingerprint from the ingest tables, classify it (policy,
 * item 3), evaluate the attempt gate (item 4), and keep its issue current (item 2). The gate's
 * decision is logged and rendered into the issue; proposing a fix is part 2.
 */
export async function processFingerprintMessage(
  deps: PipelineDeps,
  message: TriageQueueMessage,
): Promise<MessageOutcome> {
  const { extension, repo } = resolveTarget(deps.config, message.extensionId);
  const report = await loadFingerprint(deps.db, extension.id, message.fingerprintId);
  if (report === null) {
    // Ingest enqueues after its Durable Object decided; the D1 flush may trail the message.
    throw new TriageError('fingerprint_missing', 'the fingerprint is not in D1 yet', {
      retryAfterSeconds: FINGERPRINT_MISSING_RETRY_SECONDS,
    });
  }

  const stack = report.sample?.error.stack ?? null;
  const paths =
    stack === null
      ? []
      : analyseStack(stack, repo).flatMap((l) => (l.inAppPath === null ? [] : [l.inAppPath]));
  const policy = classify(
    {
      errorType: report.errorType,
      message: report.sample?.error.message ?? report.title,
      culprit: report.culprit,
      stack,
      paths,
      surfaces: report.surfaces,
    },
    repo,
  );

  const key: IssueKey = {
    repo: repo.slug,
    extensionId: extension.id,
    fingerprint: report.fingerprint,
  };
  const attempts = new AttemptStore(deps.db, deps.now);
  const row = await getIssueRow(deps.db, key);
  const ctx = {
    runId: deps.runId,
    optedOut: row !== null && row.opted_out !== 0,
    autoFixable: policy.autoFixable,
    issueOpen: row === null || row.state !== 'closed' || message.reason === 'regression',
  };
  const decision = await attempts.evaluate(key, repo, ctx);
  const state = attempts.view(await attempts.state(key), repo, decision);

  const sync = await syncFingerprintIssue(
    { db: deps.db, github: deps.github, now: deps.now },
    {
      repo,
      extension,
      report,
      policy,
      state,
      reason: message.reason,
      messageAt: Date.parse(message.at),
    },
  );
  // The decision is logged once the issue is settled: an opt-out found on GitHub during the
  // sync overrides whatever the gate said before it.
  let finalDecision =
    sync.outcome === 'opted_out'
      ? { allowed: false, reason: 'opted_out' as const, detail: decision.detail }
      : sync.outcome === 'resolved'
        ? { allowed: false, reason: 'issue_closed' as const, detail: decision.detail }
        : sync.outcome === 'digested'
          ? { allowed: false, reason: 'issue_capped' as const, detail: decision.detail }
          : decision;
  if (finalDecision.allowed && deps.fixQueue !== undefined) {
    // "Fed when … the budget allows" (issue 10, item 1): a spent day budget queues no attempt,
    // since a fix that needs the model would only burn the attempt.
    // The model fixer's own accounting: this (triage) run made no calls, the day is what counts.
    const spent = (await modelSpend(deps.db, deps.runId, deps.now())).dayUsd;
    if (spent >= deps.config.models.budget.perDayUsd && deps.config.models.providers.length > 0) {
      finalDecision = {
        allowed: false,
        reason: 'day_budget' as const,
        detail: {
          ...decision.detail,
          spentUsd: spent,
          perDayUsd: deps.config.models.budget.perDayUsd,
        },
      };
    } else {
      const last = await new FixRunStore(deps.db, deps.now).latest(key);
      const fix: FixQueueMessage = {
        v: 1,
        kind: 'fix',
        fingerprintId: report.fingerprint,
        extensionId: extension.id,
        attempt: state.attempts + 1,
        ...(last?.ci_summary ? { feedback: last.ci_summary } : {}),
      };
      await deps.fixQueue.send(fix);
    }
  }
  await attempts.recordDecision(key, 'attempt', finalDecision, deps.runId);
  return {
    repo: repo.slug,
    fingerprint: report.fingerprint,
    issue: sync.outcome,
    decision: finalDecision.reason,
    humanReview: !policy.autoFixable,
  };
}
