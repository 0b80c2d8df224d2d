import { z } from 'zod';
import type { Candidate } from '../fix.types.ts';
import type { GuardrailReason, GuardrailVerdict } from './guardrails.ts';

/**
 * Every guardrail verdict is recorded (docs/architecture.md#guardrails: a rejection is recorded
 * with its reason and never becomes a PR) in `fix_guardrail_verdicts`, keyed by run, fingerprint,
 * attempt and the hash of the normalised change: queue delivery is at-least-once, and a redelivered
 * attempt that judges the same diff again records nothing new. Only reason codes and paths are
 * stored: details and content stay out of D1.
 */

export interface VerdictInput {
  runId: string;
  repo: string;
  extensionId: string;
  fingerprint: string;
  attempt: number;
  candidate: Candidate;
  verdict: GuardrailVerdict;
  now: number;
}

/** The pattern id, or provider/model. */
export function candidateRef(candidate: Candidate): string {
  const s = candidate.source;
  return s.kind === 'pattern' ? s.patternId : `${s.provider}/${s.model}`;
}

const encoder = new TextEncoder();

/**
 * SHA-256 of the change, normalised: unchanged files dropped, files in path order, CRLF read as
 * LF. Two candidates that make the same change (a pattern and a model, or two model samples)
 * hash the same.
 */
export async function diffSha256(candidate: Candidate): Promise<string> {
  const lf = (s: string) => s.replace(/\r\n/g, '\n');
  const files = candidate.changes
    .filter((c) => c.before !== c.after)
    .map((c) => [c.path, lf(c.before), lf(c.after)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(JSON.stringify(files)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reason codes and paths only, once each. */
function reasonsOf(verdict: GuardrailVerdict): { reason: GuardrailReason; path?: string }[] {
  if (verdict.ok) return [];
  const seen = new Set<string>();
  const out: { reason: GuardrailReason; path?: string }[] = [];
  for (const r of verdict.rejections) {
    const key = `${r.reason}\0${r.path ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r.path === undefined ? { reason: r.reason } : { reason: r.reason, path: r.path });
  }
  return out;
}

/** Records one verdict; `recorded` is false when this run's attempt already judged this diff. */
export async function recordVerdict(
  db: D1Database,
  input: VerdictInput,
): Promise<{ recorded: boolean; diffSha256: string }> {
  const sha = await diffSha256(input.candidate);
  const result = await db
    .prepare(
      `INSERT INTO fix_guardrail_verdicts
         (run_id, repo, extension_id, fingerprint, attempt, candidate_kind, candidate_ref,
          diff_sha256, verdict, reasons, stats, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, fingerprint, attempt, diff_sha256) DO NOTHING`,
    )
    .bind(
      input.runId,
      input.repo,
      input.extensionId,
      input.fingerprint,
      input.attempt,
      input.candidate.source.kind,
      candidateRef(input.candidate),
      sha,
      input.verdict.ok ? 'pass' : 'reject',
      JSON.stringify(reasonsOf(input.verdict)),
      JSON.stringify(input.verdict.stats),
      input.now,
    )
    .run();
  return { recorded: result.meta.changes > 0, diffSha256: sha };
}

const VerdictRowSchema = z.object({
  id: z.number(),
  run_id: z.string(),
  repo: z.string(),
  extension_id: z.string(),
  fingerprint: z.string(),
  attempt: z.number(),
  candidate_kind: z.enum(['pattern', 'model']),
  candidate_ref: z.string(),
  diff_sha256: z.string(),
  verdict: z.enum(['pass', 'reject']),
  reasons: z.string(),
  stats: z.string(),
  created_at: z.number(),
});

const ReasonsSchema = z.array(z.object({ reason: z.string(), path: z.string().optional() }));
const StatsSchema = z.object({ files: z.number(), added: z.number(), removed: z.number() });

export interface VerdictRow {
  id: number;
  runId: string;
  repo: string;
  extensionId: string;
  fingerprint: string;
  attempt: number;
  candidateKind: 'pattern' | 'model';
  candidateRef: string;
  diffSha256: string;
  verdict: 'pass' | 'reject';
  reasons: { reason: string; path?: string }[];
  stats: { files: number; added: number; removed: number };
  createdAt: number;
}

/** The verdicts of one fingerprint's attempt in a run, in the order they were judged. */
export async function verdictsFor(
  db: D1Database,
  key: { runId: string; fingerprint: string; attempt: number },
): Promise<VerdictRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM fix_guardrail_verdicts
       WHERE run_id = ? AND fingerprint = ? AND attempt = ? ORDER BY id`,
    )
    .bind(key.runId, key.fingerprint, key.attempt)
    .all();
  return results.map((raw) => {
    const r = VerdictRowSchema.parse(raw);
    return {
      id: r.id,
      runId: r.run_id,
      repo: r.repo,
      extensionId: r.extension_id,
      fingerprint: r.fingerprint,
      attempt: r.attempt,
      candidateKind: r.candidate_kind,
      candidateRef: r.candidate_ref,
      diffSha256: r.diff_sha256,
      verdict: r.verdict,
      reasons: ReasonsSchema.parse(JSON.parse(r.reasons)),
      stats: StatsSchema.parse(JSON.parse(r.stats)),
      createdAt: r.created_at,
    };
  });
}
