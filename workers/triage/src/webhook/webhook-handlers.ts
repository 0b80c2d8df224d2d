import type { RepositoryConfig, TriageQueueMessage } from '@homeostat/shared';
import type { z } from 'zod';
import { type AttemptRow, AttemptStore } from '../attempt-store.ts';
import type { PrActions } from '../fix/ci/ci-gate.ts';
import {
  afterCiEvent,
  type MergedFix,
  onFixPullRequestClosed,
  recordCheckFailure,
} from '../fix/ci/ci-webhook.ts';
import { FixPullRequestStore } from '../fix/pr/fix-pr-store.ts';
import type { GitHubGateway } from '../github/github-gateway.ts';
import {
  getIssueRowByNumber,
  type IssueKey,
  type IssueRow,
  setIssueState,
  setOptedOut,
  upsertResolution,
} from '../issue/issue-store.ts';
import { findCommand, type HomeostatCommand } from './command-parser.ts';
import { claimCommand, finishCommand, releaseCommand } from './command-store.ts';
import { type SenderPermissions, unverifiablePermissions } from './sender-permission.ts';
import {
  CheckRunEventSchema,
  CheckSuiteEventSchema,
  type IssueCommentEvent,
  IssueCommentEventSchema,
  type IssuesEvent,
  IssuesEventSchema,
  PullRequestEventSchema,
  StatusEventSchema,
  WorkflowRunEventSchema,
} from './webhook.schema.ts';

/**
 * What triage does with each GitHub event it uses (issue 5, item 5). Every handler answers with
 * an outcome for the delivery log; events triage does not use are `ignored` (and 2xx).
 */

export interface WebhookContext {
  db: D1Database;
  github: GitHubGateway;
  repo: RepositoryConfig;
  now: () => number;
  /** Where `/homeostat retry` enqueues the fingerprint again; absent in tests that do not care. */
  queue: Queue | undefined;
  /** The fixer's CI gate and learning hooks (issue 10); absent where a test does not use them. */
  fix?: FixWebhookHooks | undefined;
  /**
   * Who may give `/homeostat` commands: asked of GitHub, never read from the payload. Absent:
   * nobody can be verified, so no command is obeyed.
   */
  permissions?: SenderPermissions | undefined;
}

export interface FixWebhookHooks {
  actions: PrActions;
  /** The login Homeostat acts as (its own merges are not a human's review). */
  ourLogin: string | null;
  onPatternOutcome?: (
    candidateSource: string,
    success: boolean,
    attemptId: number,
  ) => Promise<void>;
  onMerged?: (fix: MergedFix) => Promise<void>;
  /** A person's merged PR closed this Homeostat issue: learn from the change (production only). */
  onHumanFixMerged?: (fix: {
    fingerprint: string;
    extensionId: string;
    mergeSha: string;
    prUrl: string;
  }) => Promise<void>;
  /** The first annotations of a failed check run, when GitHub can be read (feedback). */
  annotations?: (repo: string, checkRunId: number) => Promise<string | null>;
}

/** Runs the CI gate after a CI event of a fix attempt; the gate's outcome joins the detail. */
async function gate(
  ctx: WebhookContext,
  result: HandlerResult,
  attempt: AttemptRow | null,
): Promise<HandlerResult> {
  if (ctx.fix === undefined || attempt === null) return result;
  // Re-read: the head SHA is what the gate must judge, and it may have moved since the lookup.
  const fresh = await new AttemptStore(ctx.db, ctx.now).findByPullRequest(
    ctx.repo.slug,
    attempt.pr_number ?? -1,
  );
  const gated = await afterCiEvent(
    {
      db: ctx.db,
      repo: ctx.repo,
      actions: ctx.fix.actions,
      now: ctx.now,
      ...(ctx.fix.onPatternOutcome === undefined
        ? {}
        : { onPatternOutcome: ctx.fix.onPatternOutcome }),
    },
    fresh ?? attempt,
  );
  return gated === null ? result : { ...result, detail: `${result.detail}; gate ${gated}` };
}

export interface HandlerResult {
  outcome: 'processed' | 'ignored' | 'invalid';
  detail: string;
}

/** GitHub's closing keywords ("Fixes #12", "closes: #3"), at most 10 references. */
const CLOSING = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d{1,9})\b/gi;

export function closingReferences(body: string): number[] {
  const found = new Set<number>();
  for (const m of body.slice(0, 65_536).matchAll(CLOSING)) {
    found.add(Number(m[1]));
    if (found.size >= 10) break;
  }
  return [...found];
}

function parse<T>(schema: z.ZodType<T>, payload: unknown): T | HandlerResult {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  return {
    outcome: 'invalid',
    detail: parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.')}: ${i.code}`)
      .join('; '),
  };
}

function isResult(value: unknown): value is HandlerResult {
  return typeof value === 'object' && value !== null && 'outcome' in value && 'detail' in value;
}

function keyOf(row: IssueRow): IssueKey {
  return { repo: row.repo, extensionId: row.extension_id, fingerprint: row.fingerprint };
}

async function issueRow(ctx: WebhookContext, issueNumber: number): Promise<IssueRow | null> {
  return getIssueRowByNumber(ctx.db, ctx.repo.slug, issueNumber);
}

async function onIssues(ctx: WebhookContext, e: IssuesEvent): Promise<HandlerResult> {
  if (e.issue.pull_request !== undefined) return { outcome: 'ignored', detail: 'pull request' };
  const row = await issueRow(ctx, e.issue.number);
  if (row === null) return { outcome: 'ignored', detail: 'not a Homeostat issue' };
  const key = keyOf(row);
  const now = ctx.now();
  const store = new AttemptStore(ctx.db, ctx.now);
  const optOut = ctx.repo.labels.optOut.toLowerCase();
  switch (e.action) {
    case 'labeled':
    case 'unlabeled': {
      if (e.label?.name.toLowerCase() !== optOut)
        return { outcome: 'ignored', detail: 'other label' };
      if (e.action === 'labeled') {
        await setOptedOut(ctx.db, key, true, 'label', now);
        await store.recordDecision(
          key,
          'opt_out',
          { allowed: false, reason: 'opted_out', detail: { by: e.sender.login } },
          null,
        );
        return { outcome: 'processed', detail: 'opted out' };
      }
      // Removing the label lifts only the label's opt-out, never a `/homeostat stop`.
      if (row.opted_out !== 0 && row.opted_out_reason === 'label') {
        await setOptedOut(ctx.db, key, false, null, now);
        await store.recordDecision(
          key,
          'opt_in',
          { allowed: true, reason: 'eligible', detail: { by: e.sender.login } },
          null,
        );
        return { outcome: 'processed', detail: 'opt-out lifted' };
      }
      return { outcome: 'ignored', detail: 'not opted out by label' };
    }
    case 'closed': {
      // "Closed by a human": Homeostat's own (bot) closures are not resolutions by a person.
      if (e.sender.type !== 'User') return { outcome: 'ignored', detail: 'closed by a bot' };
      await setIssueState(ctx.db, key, 'closed', now);
      await upsertResolution(ctx.db, key, 'issue_closed', now);
      return { outcome: 'processed', detail: 'resolved' };
    }
    case 'reopened': {
      await setIssueState(ctx.db, key, 'open', now);
      return { outcome: 'processed', detail: 'reopened' };
    }
    default:
      return { outcome: 'ignored', detail: `issues.${e.action}` };
  }
}

/**
 * `/homeostat retry|stop` (issue 11, item 3): taken only from a plain line of the comment
 * (command-parser.ts), at most once per comment id (command-store.ts), and obeyed only when
 * GitHub says the sender has write, maintain or admin permission (sender-permission.ts). A failure
 * before the command settled releases the comment, so GitHub's redelivery runs it.
 */
async function onIssueComment(
  ctx: WebhookContext,
  e: IssueCommentEvent,
  deliveryId: string,
): Promise<HandlerResult> {
  if (e.action !== 'created') return { outcome: 'ignored', detail: `issue_comment.${e.action}` };
  const command = findCommand(e.comment.body);
  if (command === null) return { outcome: 'ignored', detail: 'no command' };
  const row = await issueRow(ctx, e.issue.number);
  if (row === null) return { outcome: 'ignored', detail: 'not a Homeostat issue' };
  const commandKey = { repo: ctx.repo.slug, commentId: e.comment.id };
  if (!(await claimCommand(ctx.db, commandKey, { name: command, deliveryId }, ctx.now()))) {
    return { outcome: 'ignored', detail: `comment ${e.comment.id} already handled` };
  }
  try {
    const result = await obey(ctx, e, row, command);
    await finishCommand(ctx.db, commandKey, deliveryId, result.obeyed ? 'obeyed' : 'refused');
    return { outcome: 'processed', detail: result.detail };
  } catch (err) {
    await releaseCommand(ctx.db, commandKey, deliveryId);
    throw err;
  }
}

async function obey(
  ctx: WebhookContext,
  e: IssueCommentEvent,
  row: IssueRow,
  command: HomeostatCommand,
): Promise<{ obeyed: boolean; detail: string }> {
  const key = keyOf(row);
  const store = new AttemptStore(ctx.db, ctx.now);
  const by = e.sender.login;
  const verdict =
    e.sender.type === 'User'
      ? await (ctx.permissions ?? unverifiablePermissions).check(ctx.repo.slug, by)
      : ({ allowed: false, permission: 'none', role: null, reason: 'insufficient' } as const);
  if (!verdict.allowed) {
    await store.recordDecision(
      key,
      command,
      {
        allowed: false,
        reason: 'untrusted_commenter',
        detail: {
          by,
          senderType: e.sender.type,
          permission: verdict.permission,
          role: verdict.role,
          check: verdict.reason,
        },
      },
      null,
    );
    return { obeyed: false, detail: `refused ${command}: permission ${verdict.permission}` };
  }
  if (command === 'stop') {
    await setOptedOut(ctx.db, key, true, 'command', ctx.now());
    await store.recordDecision(
      key,
      'stop',
      { allowed: false, reason: 'stopped', detail: { by, role: verdict.role } },
      null,
    );
    // Make the opt-out visible (and durable) on GitHub as the opt-out label.
    await ctx.github.addLabels(
      ctx.repo.slug,
      { kind: 'github', number: e.issue.number },
      [ctx.repo.labels.optOut],
      `stop:${e.comment.id}`,
    );
    return { obeyed: true, detail: 'stopped' };
  }
  if (row.opted_out !== 0) {
    await store.recordDecision(
      key,
      'retry',
      { allowed: false, reason: 'opted_out', detail: { by } },
      null,
    );
    return { obeyed: false, detail: 'retry refused: opted out' };
  }
  await store.grantRetry(key, ctx.repo);
  if (ctx.queue !== undefined) {
    const message: TriageQueueMessage = {
      v: 1,
      kind: 'fingerprint',
      fingerprintId: row.fingerprint,
      extensionId: row.extension_id,
      reason: 'retry',
      at: new Date(ctx.now()).toISOString(),
    };
    await ctx.queue.send(message);
  }
  return { obeyed: true, detail: 'retry granted' };
}

interface CiEvent {
  event: string;
  action: string;
  headSha: string;
  name: string | null;
  status: string | null;
  conclusion: string | null;
  prNumber: number | null;
}

async function recordCi(
  ctx: WebhookContext,
  deliveryId: string,
  ci: CiEvent,
  attempt: AttemptRow | null,
): Promise<HandlerResult> {
  if (attempt === null) return { outcome: 'ignored', detail: 'no attempt with this head' };
  await ctx.db
    .prepare(
      `INSERT INTO triage_ci_events (delivery_id, attempt_id, event, action, head_sha, name, status,
         conclusion, pr_number, received_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
       ON CONFLICT (delivery_id) DO NOTHING`,
    )
    .bind(
      deliveryId,
      attempt.id,
      ci.event,
      ci.action,
      ci.headSha,
      ci.name,
      ci.status,
      ci.conclusion,
      ci.prNumber,
      ctx.now(),
    )
    .run();
  return { outcome: 'processed', detail: `attempt ${attempt.id}` };
}

export async function handleWebhookEvent(
  ctx: WebhookContext,
  event: string,
  deliveryId: string,
  payload: unknown,
): Promise<HandlerResult> {
  const store = new AttemptStore(ctx.db, ctx.now);
  switch (event) {
    case 'issues': {
      const e = parse(IssuesEventSchema, payload);
      return isResult(e) ? e : onIssues(ctx, e);
    }
    case 'issue_comment': {
      const e = parse(IssueCommentEventSchema, payload);
      return isResult(e) ? e : onIssueComment(ctx, e, deliveryId);
    }
    case 'pull_request': {
      const e = parse(PullRequestEventSchema, payload);
      if (isResult(e)) return e;
      const pr = e.pull_request;
      // CI results count only for the attempt's current head (ai-autofix.md §8 T7); the PR's
      // number finds an attempt whose head moved (synchronize).
      const found =
        (await store.findByHeadSha(ctx.repo.slug, pr.head.sha)) ??
        (await store.findByPullRequest(ctx.repo.slug, pr.number));
      // Anyone can open a PR (from a fork, say) whose head is the bot's commit: only the
      // attempt's own PR, from a branch of the configured repository, speaks for the attempt
      // (issue 11, item 3).
      const attempt =
        found !== null &&
        found.pr_number === pr.number &&
        pr.head.repo?.full_name.toLowerCase() === ctx.repo.slug.toLowerCase()
          ? found
          : null;
      if (
        attempt === null &&
        e.action === 'closed' &&
        pr.merged === true &&
        pr.merge_commit_sha &&
        ctx.fix?.onHumanFixMerged !== undefined
      ) {
        // A person's own PR that closes Homeostat issues: learn from it (issue 10, item 5).
        const learnedFrom: string[] = [];
        for (const n of closingReferences(pr.body ?? '')) {
          const row = await issueRow(ctx, n);
          if (row === null) continue;
          await ctx.fix.onHumanFixMerged({
            fingerprint: row.fingerprint,
            extensionId: row.extension_id,
            mergeSha: pr.merge_commit_sha,
            prUrl: pr.html_url ?? '',
          });
          learnedFrom.push(`#${n}`);
        }
        if (learnedFrom.length > 0) {
          return { outcome: 'processed', detail: `human fix of ${learnedFrom.join(', ')}` };
        }
      }
      if (attempt !== null && e.action === 'closed') {
        await store.setPullRequestState(attempt.id, pr.merged === true ? 'merged' : 'closed');
        await new FixPullRequestStore(ctx.db, ctx.now).setPullState(
          ctx.repo.slug,
          pr.number,
          pr.merged === true ? 'merged' : 'closed',
        );
        await onFixPullRequestClosed(
          {
            db: ctx.db,
            now: ctx.now,
            ...(ctx.fix?.onMerged === undefined ? {} : { onMerged: ctx.fix.onMerged }),
          },
          attempt,
          {
            merged: pr.merged === true,
            mergeSha: pr.merge_commit_sha ?? null,
            mergedBy: pr.merged_by ?? null,
          },
          ctx.fix?.ourLogin ?? null,
        );
      } else if (attempt !== null && (e.action === 'reopened' || e.action === 'opened')) {
        await store.setPullRequestState(attempt.id, 'open');
      }
      return recordCi(
        ctx,
        deliveryId,
        {
          event,
          action: e.action,
          headSha: pr.head.sha,
          name: null,
          status: pr.state,
          conclusion: pr.merged === true ? 'merged' : null,
          prNumber: pr.number,
        },
        attempt,
      );
    }
    case 'check_suite': {
      const e = parse(CheckSuiteEventSchema, payload);
      if (isResult(e)) return e;
      const s = e.check_suite;
      const attempt = await store.findByHeadSha(ctx.repo.slug, s.head_sha);
      const recorded = await recordCi(
        ctx,
        deliveryId,
        {
          event,
          action: e.action,
          headSha: s.head_sha,
          name: s.app?.slug ?? null,
          status: s.status ?? null,
          conclusion: s.conclusion ?? null,
          prNumber: null,
        },
        attempt,
      );
      return gate(ctx, recorded, attempt);
    }
    case 'check_run': {
      const e = parse(CheckRunEventSchema, payload);
      if (isResult(e)) return e;
      const r = e.check_run;
      const attempt = await store.findByHeadSha(ctx.repo.slug, r.head_sha);
      if (attempt !== null && r.status === 'completed') {
        const failed =
          r.conclusion !== 'success' && r.conclusion !== 'neutral' && r.conclusion !== 'skipped';
        const annotations =
          failed && r.id !== undefined && (r.output?.annotations_count ?? 0) > 0
            ? await ctx.fix?.annotations?.(ctx.repo.slug, r.id).catch(() => null)
            : null;
        await recordCheckFailure(
          ctx.db,
          deliveryId,
          attempt,
          {
            name: r.name,
            headSha: r.head_sha,
            conclusion: r.conclusion ?? null,
            title: r.output?.title ?? null,
            summary: r.output?.summary ?? null,
            annotations: annotations ?? null,
          },
          ctx.now(),
        );
      }
      const recorded = await recordCi(
        ctx,
        deliveryId,
        {
          event,
          action: e.action,
          headSha: r.head_sha,
          name: r.name,
          status: r.status ?? null,
          conclusion: r.conclusion ?? null,
          prNumber: null,
        },
        attempt,
      );
      return gate(ctx, recorded, attempt);
    }
    case 'workflow_run': {
      const e = parse(WorkflowRunEventSchema, payload);
      if (isResult(e)) return e;
      const w = e.workflow_run;
      const attempt = await store.findByHeadSha(ctx.repo.slug, w.head_sha);
      const recorded = await recordCi(
        ctx,
        deliveryId,
        {
          event,
          action: e.action,
          headSha: w.head_sha,
          name: w.name ?? null,
          status: w.status ?? null,
          conclusion: w.conclusion ?? null,
          prNumber: null,
        },
        attempt,
      );
      return gate(ctx, recorded, attempt);
    }
    case 'status': {
      const e = parse(StatusEventSchema, payload);
      if (isResult(e)) return e;
      const attempt = await store.findByHeadSha(ctx.repo.slug, e.sha);
      if (attempt !== null) {
        await recordCheckFailure(
          ctx.db,
          deliveryId,
          attempt,
          {
            name: e.context,
            headSha: e.sha,
            conclusion: e.state === 'error' ? 'failure' : e.state,
            title: e.description ?? null,
          },
          ctx.now(),
        );
      }
      const recorded = await recordCi(
        ctx,
        deliveryId,
        {
          event,
          action: e.state,
          headSha: e.sha,
          name: e.context,
          status: e.state,
          conclusion: null,
          prNumber: null,
        },
        attempt,
      );
      return gate(ctx, recorded, attempt);
    }
    default:
      return { outcome: 'ignored', detail: `event ${event} is not used` };
  }
}
