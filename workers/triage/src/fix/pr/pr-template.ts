import { isVersion, type RepositoryConfig, SurfaceSchema } from '@homeostat/shared';
import { structuredPatch } from 'diff';
import { z } from 'zod';
import type { IssueRef } from '../../github/github-gateway.ts';
import { PENDING_ISSUE_NUMBER } from '../../github/github-request.ts';
import type { FingerprintReport } from '../../issue/fingerprint-source.ts';
import { classLabel, fingerprintLabel } from '../../issue/issue-template.ts';
import {
  cleanText,
  codeBlock,
  codeSpan,
  defuseAutolinks,
  escapeProse,
  plainLine,
  safeJson,
  truncate,
} from '../../issue/markdown.ts';
import type { Candidate, FileChange } from '../fix.types.ts';

/**
 * The pull request Homeostat opens for a fix (issue 10, item 2;
 * docs/architecture.md#pr-conventions): title, body and commit message written by Homeostat from
 * validated fields only — the problem, its evidence, what changed and why, how it was validated,
 * the attempt, and where the change came from (pattern, or model with tokens and cost) — and
 * `Fixes #<its own issue>` as the one reference. No images, no outside links, no @mentions, no HTML
 * except the marker.
 *
 * Event text (type, message, versions) is attacker-controlled (ai-autofix.md §8 T1, T5), and a PR
 * body travels further than an issue body (notification e-mails, review tools, merge commit
 * messages), so besides the code spans of markdown.ts it is defused here too: `@`, URLs and
 * `#123` become visible look-alikes and `<`/`>` become ‹›, so none of them exists in the text at
 * all. The diff is the one exact exception: repository code, shown inside a fence longer than any
 * backtick run in it, where GitHub renders and links nothing.
 */

export const FIX_PR_MARKER = 'homeostat:fix';
export const FIX_LABEL = 'homeostat:fix';
const TITLE_MAX = 200; // GitHub allows 256
const LABEL_MAX = 50;
/** GitHub refuses bodies over 65,536 characters; the rest is headroom for the marker. */
export const PR_BODY_MAX = 60_000;
const SUMMARY_MAX = 500;
const COMMIT_SUBJECT_MAX = 72;

export type PrEvidence = Pick<
  FingerprintReport,
  | 'errorType'
  | 'title'
  | 'events'
  | 'installs'
  | 'installsApproximate'
  | 'versions'
  | 'surfaces'
  | 'firstSeen'
  | 'lastSeen'
>;

export interface FixPullRequestContent {
  repo: RepositoryConfig;
  fingerprint: string;
  /** The configured extension name, when known. */
  extensionName: string | null;
  /** The fingerprint's own issue: a GitHub number, or the dry-run outbox entry. */
  issue: IssueRef;
  report: PrEvidence;
  candidate: Candidate;
  /** The guardrails' figures for the candidate that passed, when recorded. */
  stats: { files: number; added: number; removed: number } | null;
  attempt: number;
  maxAttempts: number;
  branch: string;
  baseSha: string;
  /** The commit CI will judge (a placeholder in dry-run mode). */
  headSha: string;
}

/** The candidate's source, parsed again: it went through D1 as JSON on the way here. */
const CandidateSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('pattern'),
    patternId: z.string(),
    confidence: z.number().min(0).max(1),
    fuzzy: z.boolean(),
  }),
  z.object({
    kind: z.literal('model'),
    provider: z.string(),
    model: z.string(),
    votes: z.int().min(0),
    of: z.int().min(0),
    costUsd: z.number().min(0).max(1_000_000),
    inputTokens: z.int().min(0),
    outputTokens: z.int().min(0),
  }),
]);

/**
 * Untrusted text as an inert code span: cleaned, defused, one line, bounded. Inside a code span
 * nothing renders, but the text also leaves GitHub (e-mail, review tools, a squash message), so
 * tags, image and link syntax are broken up with visible changes as well.
 */
function breakMarkup(text: string): string {
  return text.replace(/</g, '‹').replace(/>/g, '›').replace(/!\[/g, '! [').replace(/\]\(/g, '] (');
}

function inert(text: string, max = 300): string {
  return codeSpan(breakMarkup(defuseAutolinks(cleanText(text))), max);
}

/** Untrusted text for a plain-text field (title, commit message): one line, defused, bounded. */
function plain(text: string, max: number): string {
  return plainLine(breakMarkup(text), max);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function issueNumber(issue: IssueRef): string {
  return issue.kind === 'github' ? String(issue.number) : PENDING_ISSUE_NUMBER;
}

/** The labels of a fix PR: the repository's base and extra labels, the fix label, and the ids. */
export function fixPullRequestLabels(
  repo: RepositoryConfig,
  fingerprint: string,
  policyClass: string,
): string[] {
  return [
    ...new Set(
      [
        repo.labels.base,
        ...repo.labels.extra,
        FIX_LABEL,
        fingerprintLabel(fingerprint),
        classLabel(policyClass),
      ].map((l) => truncate(l, LABEL_MAX)),
    ),
  ];
}

export function fixPullRequestTitle(c: Pick<FixPullRequestContent, 'report'>): string {
  return plain(`Fix ${c.report.title}`, TITLE_MAX);
}

export interface FileStat {
  path: string;
  added: number;
  removed: number;
  /** Unified diff of the file, `--- a/…`/`+++ b/…` headers included. */
  diff: string;
}

/** Per-file added/removed line counts and unified diffs (jsdiff, 3 lines of context). */
export function fileStats(changes: readonly FileChange[]): FileStat[] {
  return changes.map((change) => {
    const patch = structuredPatch(
      `a/${change.path}`,
      `b/${change.path}`,
      change.before,
      change.after,
      undefined,
      undefined,
      { context: 3 },
    );
    let added = 0;
    let removed = 0;
    const lines = [`--- a/${change.path}`, `+++ b/${change.path}`];
    for (const hunk of patch.hunks) {
      lines.push(
        `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`,
        ...hunk.lines,
      );
      for (const line of hunk.lines) {
        if (line.startsWith('+')) added++;
        else if (line.startsWith('-')) removed++;
      }
    }
    return { path: change.path, added, removed, diff: lines.join('\n') };
  });
}

function sourceSection(candidate: Candidate): string {
  const parsed = CandidateSourceSchema.safeParse(candidate.source);
  if (!parsed.success) return 'Source: not recorded.';
  const s = parsed.data;
  if (s.kind === 'pattern') {
    return `Pattern ${inert(s.patternId, 100)} from Homeostat's pattern library, confidence ${s.confidence.toFixed(2)}${s.fuzzy ? ' (fuzzy match)' : ''}. No model was called.`;
  }
  const votes =
    s.of > 1 ? ` ${s.votes} of ${s.of} well-formed answers proposed this same change.` : '';
  return `Model ${inert(`${s.provider}/${s.model}`, 120)}: ${s.inputTokens} input and ${s.outputTokens} output tokens, ${s.costUsd.toFixed(4)} USD.${votes}`;
}

function evidenceSection(report: PrEvidence): string {
  const versions = [...new Set(report.versions.map((v) => v.version).filter(isVersion))].slice(
    0,
    20,
  );
  const surfaces = report.surfaces.filter((s) => SurfaceSchema.safeParse(s).success);
  const installs = `${report.installs}${report.installsApproximate ? ' (approximate)' : ''}`;
  return [
    '| | |',
    '|---|---|',
    `| Events | ${report.events} |`,
    `| Installs affected | ${installs} |`,
    `| Versions | ${versions.length === 0 ? 'unknown' : versions.map((v) => inert(v, 30)).join(', ')} |`,
    `| Surfaces | ${surfaces.length === 0 ? 'unknown' : surfaces.map((s) => inert(s, 20)).join(', ')} |`,
    `| First seen | ${iso(report.firstSeen)} |`,
    `| Last seen | ${iso(report.lastSeen)} |`,
  ].join('\n');
}

function validationSection(c: FixPullRequestContent): string {
  const s = c.stats;
  const guardrails =
    s === null
      ? 'Guardrails: passed.'
      : `Guardrails: passed (${s.files} file${s.files === 1 ? '' : 's'}, +${s.added} −${s.removed} lines; every changed file parses; only files of the stack trace, their imports and tests; no new URLs, remote code or hidden characters).`;
  const checks =
    c.repo.requiredChecks.length === 0
      ? 'no required checks are configured'
      : `required checks: ${c.repo.requiredChecks.map((n) => inert(n, 100)).join(', ')}`;
  return [
    `- ${guardrails}`,
    `- CI pending on ${inert(c.headSha, 80)} (${checks}). This pull request stays a draft until they are green on that exact commit.`,
  ].join('\n');
}

/**
 * The diff, cut to the characters the body has left: whole lines from the top, with a note of
 * how many were left out. The fence is chosen on what is shown (markdown.ts `codeBlock`).
 */
function diffSection(stats: FileStat[], budget: number): string {
  const lines = stats
    .map((f) => f.diff)
    .join('\n')
    .split('\n');
  const full = codeBlock(lines.join('\n'), 'diff');
  if (full.length <= budget) return full;
  const shown: string[] = [];
  let used = 0;
  const reserve = 200; // the note and the fences
  for (const line of lines) {
    if (used + line.length + 1 > budget - reserve) break;
    shown.push(line);
    used += line.length + 1;
  }
  const note = `_Diff truncated: ${shown.length} of ${lines.length} lines shown; the commit holds the whole change._`;
  return shown.length === 0 ? note : `${codeBlock(shown.join('\n'), 'diff')}\n\n${note}`;
}

export function renderFixPullRequestBody(c: FixPullRequestContent): string {
  const stats = fileStats(c.candidate.changes);
  const where = c.extensionName === null ? '' : ` in ${inert(c.extensionName, 100)}`;
  const messageLine = c.report.title.startsWith(`${c.report.errorType}: `)
    ? c.report.title.slice(c.report.errorType.length + 2)
    : c.report.title;
  const head = [
    `## Homeostat fix: ${inert(c.report.errorType, 100)}${where}`,
    '',
    '### Problem',
    `- Error type: ${inert(c.report.errorType, 100)}`,
    `- Message (parameterised): ${inert(messageLine, 500)}`,
    '- Details, stack trace and history are on the issue this pull request fixes.',
    '',
    '### Evidence',
    evidenceSection(c.report),
    '',
    '### What changed and why',
    escapeProse(c.candidate.summary.replace(/\s+/g, ' '), SUMMARY_MAX),
    '',
    '| File | Added | Removed |',
    '|---|---:|---:|',
    ...stats.map((f) => `| ${inert(f.path, 200)} | +${f.added} | −${f.removed} |`),
    '',
  ].join('\n');
  const tail = [
    '',
    '### How it was validated',
    validationSection(c),
    '',
    '### Attempt',
    `Attempt ${c.attempt} of ${c.maxAttempts} on branch ${inert(c.branch, 100)}, made against ${inert(c.baseSha, 80)}. A retry updates this pull request in place; once anyone else pushes to the branch, Homeostat never touches it again.`,
    '',
    '### Source',
    sourceSection(c.candidate),
    '',
    `Fixes #${issueNumber(c.issue)}`,
    '',
    `<!-- ${FIX_PR_MARKER} ${safeJson({ v: 1, fingerprint: c.fingerprint, attempt: c.attempt, branch: c.branch })} -->`,
  ].join('\n');
  // Everything but the diff is bounded by construction; the diff takes what is left.
  const budget = PR_BODY_MAX - head.length - tail.length - 2;
  return `${head}\n${diffSection(stats, budget)}\n${tail}`;
}

/** The commit message: one subject line, the Homeostat-written summary, and trailers. */
export function fixCommitMessage(c: FixPullRequestContent): string {
  const subject = plain(`fix: ${c.report.title}`, COMMIT_SUBJECT_MAX);
  const summary = plain(c.candidate.summary, SUMMARY_MAX);
  const parsed = CandidateSourceSchema.safeParse(c.candidate.source);
  const source = !parsed.success
    ? 'unrecorded'
    : parsed.data.kind === 'pattern'
      ? `pattern ${plain(parsed.data.patternId, 100)}`
      : `model ${plain(`${parsed.data.provider}/${parsed.data.model}`, 120)}`;
  return [
    subject,
    '',
    summary,
    '',
    `Homeostat-Fingerprint: ${c.fingerprint}`,
    `Homeostat-Attempt: ${c.attempt}`,
    `Homeostat-Source: ${source}`,
  ].join('\n');
}
