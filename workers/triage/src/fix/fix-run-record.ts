import { z } from 'zod';
import { type FIX_STAGES, FixRunStore } from './fix-run-store.ts';

/**
 * Run records of fix attempts (issue 10, item 8): one JSON line per attempt for
 * `/admin/runs.jsonl`, next to the triage runs — inputs as ids only, where the candidate came
 * from, every guardrail verdict (reason codes), tokens and cost, GitHub calls, PR URL, CI outcome,
 * merge and the time each step took. Read from `fix_attempt_runs`, which every step writes.
 */

export interface FixAttemptRecord {
  kind: 'fix_attempt';
  timestamp: string;
  runId: string;
  repo: string;
  extensionId: string;
  fingerprint: string;
  attempt: number;
  stage: (typeof FIX_STAGES)[number];
  reason: string | null;
  candidateSource: string | null;
  verdicts: unknown[];
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  modelCalls: number;
  githubCalls: number;
  branch: string | null;
  headSha: string | null;
  prUrl: string | null;
  ciOutcome: string | null;
  mergeSha: string | null;
  timingsMs: Record<string, number>;
}

const VerdictsSchema = z.array(z.unknown()).catch([]);

export async function listFixAttempts(
  db: D1Database,
  options: { since?: number; limit?: number } = {},
): Promise<FixAttemptRecord[]> {
  const rows = await new FixRunStore(db, Date.now).list(
    options.since ?? 0,
    Math.min(options.limit ?? 1000, 10_000),
  );
  const records: FixAttemptRecord[] = [];
  for (const r of rows) {
    records.push({
      kind: 'fix_attempt',
      timestamp: new Date(r.created_at).toISOString(),
      runId: r.run_id,
      repo: r.repo,
      extensionId: r.extension_id,
      fingerprint: r.fingerprint,
      attempt: r.n,
      stage: r.stage,
      reason: r.reason,
      candidateSource: r.candidate_source,
      verdicts: VerdictsSchema.parse(JSON.parse(r.verdicts ?? '[]')),
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      costUsd: r.cost_usd,
      modelCalls: r.model_calls,
      githubCalls: r.github_calls,
      branch: r.branch,
      headSha: r.head_sha,
      prUrl: r.pr_url,
      ciOutcome: r.ci_outcome,
      mergeSha: r.merge_sha,
      timingsMs: FixRunStore.timings(r),
    });
  }
  return records;
}
