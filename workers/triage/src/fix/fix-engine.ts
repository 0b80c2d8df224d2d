import type { ExtensionConfig, RepositoryConfig } from '@homeostat/shared';
import type { FingerprintReport } from '../issue/fingerprint-source.ts';
import type { Candidate, FixContext, RepoSnapshot } from './fix.types.ts';
import type { GuardrailVerdict } from './guardrails/guardrails.ts';

/**
 * The fix engine (issue 9): from a fingerprint to one candidate that every guardrail accepts.
 *
 *   snapshot (default branch head) → localize → FixContext
 *   → pattern library (deterministic, free) → guardrails
 *   → else model (budgeted, privacy-routed, voted) → guardrails, best-voted first
 *
 * Patterns come first because they cost nothing and are reproducible; the model runs only when
 * no pattern applies at the repository's confidence threshold. Whatever produced a candidate, the
 * same guardrails decide whether it may become a PR (docs/architecture.md#guardrails), and every
 * verdict is recorded. The stages are injected (`FixStages`), so the queue consumer, the fix
 * bench and the tests run the same orchestration against real or scripted parts; the consumer
 * splits it at the model call, the one step a redelivery must never repeat.
 */

/** The guardrails' verdict (guardrails/guardrails.ts), whatever produced the candidate. */
export type GuardrailOutcome = GuardrailVerdict;

export type ModelStageOutcome =
  | {
      ok: true;
      candidates: Candidate[];
      malformed: { reason: string; detail?: string }[];
      calls: number;
      costUsd: number;
    }
  | {
      ok: false;
      reason:
        | 'no_provider'
        | 'no_eligible_provider'
        | 'budget_exhausted'
        | 'provider_failed'
        | 'no_usable_answer';
      calls: number;
      costUsd: number;
      malformed: { reason: string; detail?: string }[];
    };

export type LocalizeStageOutcome =
  | { ok: true; context: FixContext }
  | { ok: false; reason: string };

export interface FixStages {
  openSnapshot(repo: RepositoryConfig): Promise<RepoSnapshot>;
  localize(input: {
    report: FingerprintReport;
    repo: RepositoryConfig;
    extension: ExtensionConfig;
    snapshot: RepoSnapshot;
  }): Promise<LocalizeStageOutcome>;
  pattern(
    ctx: FixContext,
    repo: RepositoryConfig,
  ): Promise<{ ok: true; candidate: Candidate } | { ok: false; reason: string }>;
  model(ctx: FixContext, opts: { attempt: number; feedback?: string }): Promise<ModelStageOutcome>;
  check(candidate: Candidate, ctx: FixContext, repo: RepositoryConfig): GuardrailOutcome;
  recordVerdict(
    candidate: Candidate,
    ctx: FixContext,
    verdict: GuardrailOutcome,
    attempt: number,
  ): Promise<void>;
}

/** One verdict as the run record shows it: ids and reason codes only. */
export interface VerdictRecord {
  source: string;
  ok: boolean;
  reasons: string[];
  stats?: { files: number; added: number; removed: number };
}

export type CandidateStep =
  | { ok: true; candidate: Candidate; verdicts: VerdictRecord[] }
  | { ok: false; reason: string; verdicts: VerdictRecord[]; calls: number; costUsd: number };

export function candidateRef(candidate: Candidate): string {
  const s = candidate.source;
  return s.kind === 'pattern' ? `pattern:${s.patternId}` : `model:${s.provider}/${s.model}`;
}

async function firstAccepted(
  stages: FixStages,
  candidates: readonly Candidate[],
  ctx: FixContext,
  repo: RepositoryConfig,
  attempt: number,
): Promise<{ accepted: Candidate | null; verdicts: VerdictRecord[] }> {
  const verdicts: VerdictRecord[] = [];
  for (const candidate of candidates) {
    const verdict = stages.check(candidate, ctx, repo);
    await stages.recordVerdict(candidate, ctx, verdict, attempt);
    verdicts.push({
      source: candidateRef(candidate),
      ok: verdict.ok,
      reasons: verdict.ok ? [] : [...new Set(verdict.rejections.map((r) => r.reason))],
      ...(verdict.ok ? { stats: verdict.stats } : {}),
    });
    if (verdict.ok) return { accepted: candidate, verdicts };
  }
  return { accepted: null, verdicts };
}

export async function prepareContext(
  stages: FixStages,
  input: { report: FingerprintReport; repo: RepositoryConfig; extension: ExtensionConfig },
): Promise<LocalizeStageOutcome> {
  const snapshot = await stages.openSnapshot(input.repo);
  return stages.localize({ ...input, snapshot });
}

/** The pattern library's candidate, if one applies and passes the guardrails. */
export async function patternStep(
  stages: FixStages,
  ctx: FixContext,
  repo: RepositoryConfig,
  attempt: number,
): Promise<CandidateStep> {
  const matched = await stages.pattern(ctx, repo);
  if (!matched.ok) return { ok: false, reason: matched.reason, verdicts: [], calls: 0, costUsd: 0 };
  const { accepted, verdicts } = await firstAccepted(
    stages,
    [matched.candidate],
    ctx,
    repo,
    attempt,
  );
  return accepted === null
    ? { ok: false, reason: 'all_rejected', verdicts, calls: 0, costUsd: 0 }
    : { ok: true, candidate: accepted, verdicts };
}

/** The model's candidates in vote order; the first that passes the guardrails wins. */
export async function modelStep(
  stages: FixStages,
  ctx: FixContext,
  repo: RepositoryConfig,
  opts: { attempt: number; feedback?: string },
): Promise<CandidateStep> {
  const proposed = await stages.model(ctx, opts);
  if (!proposed.ok) {
    return {
      ok: false,
      reason: proposed.reason,
      verdicts: [],
      calls: proposed.calls,
      costUsd: proposed.costUsd,
    };
  }
  const { accepted, verdicts } = await firstAccepted(
    stages,
    proposed.candidates,
    ctx,
    repo,
    opts.attempt,
  );
  return accepted === null
    ? {
        ok: false,
        reason: proposed.candidates.length === 0 ? 'no_usable_answer' : 'all_rejected',
        verdicts,
        calls: proposed.calls,
        costUsd: proposed.costUsd,
      }
    : { ok: true, candidate: accepted, verdicts };
}

/** The whole engine in one call (the fix bench and tests; the consumer runs the steps itself). */
export async function proposeFix(
  stages: FixStages,
  input: {
    report: FingerprintReport;
    repo: RepositoryConfig;
    extension: ExtensionConfig;
    attempt: number;
    feedback?: string;
  },
): Promise<
  | { ok: true; candidate: Candidate; context: FixContext; verdicts: VerdictRecord[] }
  | { ok: false; reason: string; context: FixContext | null; verdicts: VerdictRecord[] }
> {
  const located = await prepareContext(stages, input);
  if (!located.ok) return { ok: false, reason: located.reason, context: null, verdicts: [] };
  const ctx = located.context;
  const pattern = await patternStep(stages, ctx, input.repo, input.attempt);
  if (pattern.ok) return { ...pattern, context: ctx };
  const model = await modelStep(stages, ctx, input.repo, {
    attempt: input.attempt,
    ...(input.feedback === undefined ? {} : { feedback: input.feedback }),
  });
  const verdicts = [...pattern.verdicts, ...model.verdicts];
  if (model.ok) return { ok: true, candidate: model.candidate, context: ctx, verdicts };
  return { ok: false, reason: model.reason, context: ctx, verdicts };
}
