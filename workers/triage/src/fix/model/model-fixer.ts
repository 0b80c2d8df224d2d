import type { HomeostatConfig } from '@homeostat/shared';
import type { FetchLike } from '../../github/github-client.ts';
import type { Candidate, FixContext } from '../fix.types.ts';
import { applyEdits } from './apply-edits.ts';
import { type Ballot, normaliseChanges, summariseChange, voteOnDiffs } from './diff-vote.ts';
import { buildFixPrompt, estimatePromptTokens, type FixPrompt } from './fix-prompt.ts';
import { modelSpend, recordModelCall } from './model-call-store.ts';
import { type CallResult, callProvider, createProviderClient, type Usage } from './model-client.ts';
import { type RoutedProvider, routeProviders, tokenCostUsd } from './model-routing.ts';
import { parseSearchReplace } from './search-replace.ts';

/**
 * Model candidates for one fix attempt (issue 9, item 5): route to the providers this repository
 * and attempt may use, ask each for `n` answers within budget, turn every answer into in-memory
 * changes, and vote (Agentless). What it returns are candidates for the guardrails, best first;
 * nothing here decides whether a change is allowed.
 *
 * Every HTTP call — retries included — is preceded by a budget check (worst case: the whole
 * prompt plus `maxOutputTokens` per asked answer, at the provider's price, against the run's and
 * the UTC day's recorded spend) and followed by a row in `fix_model_calls` with its tokens and
 * cost (ai-autofix.md §7, "Guard before each call"). Expected failures are outcomes, not throws.
 */

export type ModelOutcomeReason =
  | 'no_provider'
  | 'no_eligible_provider'
  | 'budget_exhausted'
  | 'provider_failed'
  | 'no_usable_answer';

export interface MalformedAnswer {
  /** A parser reason, an applier reason, or one of the answer-level ones below. */
  reason: string;
  /** Where (answer, block, edit, path), never the answer's text. */
  detail: string;
}

export type ModelProposal =
  | {
      ok: true;
      candidates: Candidate[];
      malformed: MalformedAnswer[];
      calls: number;
      costUsd: number;
    }
  | {
      ok: false;
      reason: ModelOutcomeReason;
      calls: number;
      costUsd: number;
      malformed: MalformedAnswer[];
    };

export interface ModelFixerDeps {
  db: D1Database;
  /** The Worker's bindings: API keys are read by each provider's `apiKeySecret` name. */
  env: Record<string, unknown>;
  config: HomeostatConfig;
  fetch?: FetchLike;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  runId: string;
}

/** Retries of one request at one provider after the first try (429, 5xx, connection errors). */
export const MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;
/** A longer Retry-After than this is a provider to skip, not to wait for inside a queue batch. */
export const MAX_RETRY_AFTER_MS = 60_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with "equal jitter": half the step fixed, half random (no herd). */
export function backoffMs(retry: number, random: () => number): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry);
  return Math.round(step / 2 + (step / 2) * random());
}

interface Answer {
  provider: string;
  model: string;
  content: string | null;
}

interface Spend {
  calls: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  callIds: number[];
}

type AskResult =
  | { kind: 'answered'; contents: (string | null)[] }
  | { kind: 'budget' }
  | { kind: 'failed' };

export async function proposeModelCandidates(
  deps: ModelFixerDeps,
  ctx: FixContext,
  opts: { attempt: number; feedback?: string },
): Promise<ModelProposal> {
  const prompt = buildFixPrompt(
    ctx,
    opts.feedback === undefined ? {} : { feedback: opts.feedback },
  );
  const promptTokens = estimatePromptTokens(prompt);
  const routing = routeProviders({
    config: deps.config,
    repo: ctx.repo,
    env: deps.env,
    attempt: opts.attempt,
    promptTokens,
  });
  const spend: Spend = { calls: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, callIds: [] };
  if (!routing.ok)
    return { ok: false, reason: routing.reason, calls: 0, costUsd: 0, malformed: [] };

  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const n = deps.config.models.candidates;
  const answers: Answer[] = [];
  let refusedByBudget = false;

  for (const routed of routing.providers) {
    if (answers.length >= n) break;
    const client = createProviderClient(routed.provider, routed.apiKey, deps.fetch);
    let first = true;
    while (answers.length < n) {
      // Ask for all that is missing once; a provider that returns fewer than asked (or ignores
      // `n`) gets single calls for the rest.
      const asked = first ? n - answers.length : 1;
      first = false;
      const result = await ask(
        deps,
        { ctx, attempt: opts.attempt, routed, client, prompt, promptTokens, asked },
        { sleep, random, spend },
      );
      if (result.kind === 'budget') {
        refusedByBudget = true;
        break;
      }
      if (result.kind === 'failed') break;
      for (const content of result.contents.slice(0, asked)) {
        answers.push({
          provider: routed.provider.name,
          model: routed.provider.model,
          content,
        });
      }
    }
    // Providers are sorted cheapest first: no later one fits a budget this one did not.
    if (refusedByBudget) break;
  }

  const totals = { calls: spend.calls, costUsd: spend.costUsd };
  if (answers.length === 0) {
    return {
      ok: false,
      reason: refusedByBudget ? 'budget_exhausted' : 'provider_failed',
      ...totals,
      malformed: [],
    };
  }
  const { candidates, malformed } = candidatesFrom(answers, ctx, spend);
  if (candidates.length === 0)
    return { ok: false, reason: 'no_usable_answer', ...totals, malformed };
  return { ok: true, candidates, malformed, ...totals };
}

interface AskInput {
  ctx: FixContext;
  attempt: number;
  routed: RoutedProvider;
  client: ReturnType<typeof createProviderClient>;
  prompt: FixPrompt;
  promptTokens: number;
  /** Answers asked of this call (`n`). */
  asked: number;
}

/** One request to one provider: budget check, call, record, and bounded retries. */
async function ask(
  deps: ModelFixerDeps,
  { ctx, attempt, routed, client, prompt, promptTokens, asked }: AskInput,
  run: { sleep: (ms: number) => Promise<void>; random: () => number; spend: Spend },
): Promise<AskResult> {
  const { provider } = routed;
  const budget = deps.config.models.budget;
  for (let retry = 0; ; retry++) {
    const worst = routed.worstUsd(asked);
    const spent = await modelSpend(deps.db, deps.runId, deps.now());
    if (spent.runUsd + worst > budget.perRunUsd || spent.dayUsd + worst > budget.perDayUsd) {
      return { kind: 'budget' };
    }
    const startedAt = deps.now();
    const result = await callProvider(
      client,
      provider,
      { system: prompt.system, user: prompt.user, n: asked },
      deps.now,
    );
    const latencyMs = deps.now() - startedAt;
    const returned = result.status === 'ok' ? result.contents.filter((c) => c !== null) : [];
    // An answer without usage is still paid for: estimate it rather than count it free.
    const usage: Usage | null =
      result.usage ??
      (result.status === 'ok'
        ? {
            inputTokens: promptTokens,
            outputTokens: Math.ceil(returned.reduce((s, c) => s + c.length, 0) / 3),
          }
        : null);
    const costUsd =
      usage === null ? 0 : tokenCostUsd(provider, usage.inputTokens, usage.outputTokens);
    // A 2xx without a single answer is a failed call (and must not loop on single calls).
    const status: CallResult['status'] =
      result.status === 'ok' && returned.length === 0 ? 'error' : result.status;
    const callId = await recordModelCall(deps.db, {
      runId: deps.runId,
      repo: ctx.repo,
      extensionId: ctx.extensionId,
      fingerprint: ctx.fingerprint,
      attempt,
      provider: provider.name,
      model: provider.model,
      status,
      httpStatus: result.httpStatus,
      choices: result.status === 'ok' ? result.contents.length : 0,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      usageEstimated: result.usage === null && usage !== null,
      costUsd,
      startedAt,
      latencyMs,
    });
    run.spend.calls++;
    run.spend.costUsd += costUsd;
    run.spend.inputTokens += usage?.inputTokens ?? 0;
    run.spend.outputTokens += usage?.outputTokens ?? 0;
    run.spend.callIds.push(callId);
    if (result.status === 'ok') {
      return returned.length === 0
        ? { kind: 'failed' }
        : { kind: 'answered', contents: result.contents };
    }
    if (!result.retryable || retry >= MAX_RETRIES) return { kind: 'failed' };
    const wait =
      result.retryAfterMs !== null
        ? result.retryAfterMs + Math.round(250 * run.random())
        : backoffMs(retry, run.random);
    if (wait > MAX_RETRY_AFTER_MS) return { kind: 'failed' };
    await run.sleep(wait);
  }
}

function candidatesFrom(
  answers: readonly Answer[],
  ctx: FixContext,
  spend: Spend,
): { candidates: Candidate[]; malformed: MalformedAnswer[] } {
  const files: Record<string, string> = {};
  for (const [path, file] of Object.entries(ctx.files)) files[path] = file.content;
  const existing = new Set(Object.keys(files));
  const malformed: MalformedAnswer[] = [];
  const ballots: Ballot<{ answer: Answer; changes: Candidate['changes'] }>[] = [];

  answers.forEach((answer, i) => {
    const where = `answer ${i + 1}`;
    if (answer.content === null || answer.content.trim() === '') {
      malformed.push({ reason: 'empty_answer', detail: where });
      return;
    }
    const parsed = parseSearchReplace(answer.content);
    if (!parsed.ok) {
      malformed.push({ reason: parsed.reason, detail: `${where}: ${parsed.bytes} bytes` });
      return;
    }
    // A fix with one of its blocks missing is a different fix: the answer is not used.
    if (parsed.malformed.length > 0) {
      for (const m of parsed.malformed)
        malformed.push({ reason: m.reason, detail: `${where}, ${m.detail}` });
      return;
    }
    if (parsed.edits.length === 0) {
      malformed.push({ reason: 'no_blocks', detail: where });
      return;
    }
    const applied = applyEdits(files, parsed.edits);
    if (!applied.ok) {
      for (const f of applied.failures) {
        malformed.push({ reason: f.reason, detail: `${where}, edit ${f.edit + 1} (${f.path})` });
      }
      return;
    }
    const normalised = normaliseChanges(applied.changes, existing);
    if (normalised.key === '') {
      malformed.push({ reason: 'no_effect', detail: where });
      return;
    }
    ballots.push({ item: { answer, changes: applied.changes }, normalised });
  });

  const of = ballots.length;
  const candidates = voteOnDiffs(ballots).map(
    (group): Candidate => ({
      source: {
        kind: 'model',
        provider: group.winner.answer.provider,
        model: group.winner.answer.model,
        // What this candidate cost is the whole proposal: every call made, voted or not.
        callIds: [...spend.callIds],
        votes: group.votes,
        of,
        costUsd: spend.costUsd,
        inputTokens: spend.inputTokens,
        outputTokens: spend.outputTokens,
      },
      changes: group.winner.changes,
      summary: summariseChange(group.normalised),
    }),
  );
  return { candidates, malformed };
}
