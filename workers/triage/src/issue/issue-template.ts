import {
  compareVersions,
  type ExtensionConfig,
  isVersion,
  type RepositoryConfig,
} from '@homeostat/shared';
import { z } from 'zod';
import type { PolicyDecision } from '../policy.ts';
import type { FingerprintReport } from './fingerprint-source.ts';
import { codeBlock, codeSpan, plainLine, safeJson, tableCode, truncate } from './markdown.ts';
import { analyseStack } from './stack-frames.ts';

/**
 * The issue Homeostat files for one fingerprint (issue 5, item 2): title
 * `[<extension>] <Type>: <message>`, a body with counts, first/last seen, versions and surfaces,
 * the scrubbed stack with in-app frames marked, breadcrumbs, the attempt state as JSON, and a
 * machine-readable metadata block; plus labels. Every untrusted string goes through markdown.ts.
 */

export const METADATA_MARKER = 'homeostat:metadata';
const TITLE_MAX = 200; // GitHub allows 256
const LABEL_MAX = 50; // GitHub's limit on label names
const BODY_MAX = 60_000; // GitHub rejects bodies over 65,536 characters
const MESSAGE_MAX = 2_048; // ai-autofix.md §8 T1: "message ≤ 2 KB, ≤ 30 frames"
const MAX_FRAMES = 30;
const MAX_BREADCRUMBS = 20;
const LINE_MAX = 500; // per stack line or breadcrumb: keeps the body far below BODY_MAX

export interface AttemptStateView {
  attempts: number;
  maxAttempts: number;
  lastResult: string;
  backoffUntil: string | null;
  decision: string;
}

export interface IssueContent {
  report: FingerprintReport;
  extension: ExtensionConfig;
  repo: RepositoryConfig;
  policy: PolicyDecision;
  state: AttemptStateView;
}

export interface RenderedIssue {
  title: string;
  body: string;
  labels: string[];
}

/** `fp1:0123abcd…` → `0123abcd`: the part of the label `fingerprint:<first 8>`. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.replace(/^fp\d+:/, '').slice(0, 8);
}

export function fingerprintLabel(fingerprint: string): string {
  return `fingerprint:${shortFingerprint(fingerprint)}`;
}

export function classLabel(cls: string): string {
  return `class:${cls}`;
}

function label(text: string): string {
  return truncate(text, LABEL_MAX);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The labels a fingerprint's issue carries; human-added labels are never removed. */
export function issueLabels(
  content: Pick<IssueContent, 'report' | 'extension' | 'repo' | 'policy'>,
): string[] {
  const { report, extension, repo, policy } = content;
  const labels = [
    repo.labels.base,
    label(`extension:${extension.name}`),
    ...report.surfaces.map((s) => `surface:${s}`),
    fingerprintLabel(report.fingerprint),
    classLabel(policy.class),
    ...(policy.autoFixable ? [] : [repo.labels.humanReview]),
    ...repo.labels.extra,
  ];
  return [...new Set(labels)];
}

export function issueTitle(report: FingerprintReport, extension: ExtensionConfig): string {
  return plainLine(`[${extension.name}] ${report.title}`, TITLE_MAX);
}

function versionsTable(report: FingerprintReport): string {
  const versions = report.versions
    .filter((v) => isVersion(v.version))
    .sort((a, b) => compareVersions(b.version, a.version))
    .slice(0, 20);
  if (versions.length === 0) return '';
  const rows = versions.map(
    (v) =>
      `| ${tableCode(v.version, 30)} | ${v.events} | ${iso(v.firstSeen)} | ${iso(v.lastSeen)} |`,
  );
  return ['| Version | Events | First seen | Last seen |', '|---|---:|---|---|', ...rows].join(
    '\n',
  );
}

function stackSection(report: FingerprintReport, repo: RepositoryConfig): string {
  const stack = report.sample?.error.stack;
  if (stack === undefined || stack.trim() === '') return '_No stack trace was captured._';
  const lines = analyseStack(stack, repo, MAX_FRAMES);
  // Markers are ours and outside the untrusted text's control: `▶` for the extension's own code.
  const marked = lines
    .map((l) => `${l.inAppPath === null ? '  ' : '▶ '}${truncate(l.text, LINE_MAX)}`)
    .join('\n');
  const inApp = [...new Set(lines.flatMap((l) => (l.inAppPath === null ? [] : [l.inAppPath])))];
  const files =
    inApp.length === 0
      ? ''
      : `\n\nIn-app files: ${inApp
          .slice(0, 10)
          .map((p) => codeSpan(p, 200))
          .join(', ')}`;
  return `Frames marked ▶ are the extension's own code.\n\n${codeBlock(marked)}${files}`;
}

function breadcrumbSection(report: FingerprintReport): string {
  const crumbs = report.sample?.breadcrumbs ?? [];
  if (crumbs.length === 0) return '_No breadcrumbs._';
  const lines = crumbs.slice(-MAX_BREADCRUMBS).map((b) => {
    const time = iso(b.timestamp).slice(11, 19);
    const level = b.level ?? 'info';
    const text = `${time} [${b.category}] ${level}${b.message === undefined ? '' : `: ${b.message}`}`;
    return truncate(text.replace(/\n/g, ' '), LINE_MAX);
  });
  return codeBlock(lines.join('\n'));
}

export const IssueMetadataSchema = z.object({
  v: z.literal(1),
  fingerprint: z.string(),
  extension: z.string(),
  versions: z.array(z.string()),
  class: z.string(),
});
export type IssueMetadata = z.infer<typeof IssueMetadataSchema>;

function metadataBlock(meta: IssueMetadata): string {
  return `<!-- ${METADATA_MARKER} ${safeJson(meta)} -->`;
}

/** Reads the metadata block back (crash recovery finds an issue it created but did not record). */
export function parseIssueMetadata(body: string | null | undefined): IssueMetadata | null {
  if (body === null || body === undefined) return null;
  const start = body.lastIndexOf(`<!-- ${METADATA_MARKER} `);
  if (start === -1) return null;
  const end = body.indexOf(' -->', start);
  if (end === -1) return null;
  try {
    const parsed = IssueMetadataSchema.safeParse(
      JSON.parse(body.slice(start + METADATA_MARKER.length + 6, end)),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function renderIssue(content: IssueContent): RenderedIssue {
  const { report, extension, repo, policy, state } = content;
  const message = report.sample?.error.message ?? report.title;
  const installs = `${report.installs}${report.installsApproximate ? ' (approximate)' : ''}`;
  const versions = report.versions.map((v) => v.version).filter(isVersion);
  const sections = [
    `## ${codeSpan(report.errorType, 100)} in ${codeSpan(extension.name, 100)}`,
    '',
    '### Message',
    codeBlock(truncate(message, MESSAGE_MAX)),
    '',
    '| | |',
    '|---|---|',
    `| Extension | ${tableCode(extension.name, 100)} (${tableCode(extension.id, 40)}) |`,
    `| Fingerprint | ${tableCode(report.fingerprint, 100)} |`,
    `| Events | ${report.events} |`,
    `| Installs affected | ${installs} |`,
    `| First seen | ${iso(report.firstSeen)} in ${tableCode(report.firstVersion, 30)} |`,
    `| Last seen | ${iso(report.lastSeen)} in ${tableCode(report.lastVersion, 30)} |`,
    `| Surfaces | ${report.surfaces.length === 0 ? 'unknown' : report.surfaces.map((s) => tableCode(s, 20)).join(', ')} |`,
    `| Culprit | ${report.culprit === null ? 'unknown' : tableCode(report.culprit, 200)} |`,
    `| Class | ${tableCode(policy.class, 30)}${policy.reasons.length === 0 ? '' : ` (${policy.reasons.map((r) => tableCode(r, 60)).join(', ')})`} |`,
    '',
    '### Versions',
    versionsTable(report) || '_No per-version counts yet._',
    '',
    '### Stack trace (scrubbed)',
    stackSection(report, repo),
    '',
    '### Breadcrumbs',
    breadcrumbSection(report),
    '',
    '### Homeostat state',
    codeBlock(
      safeJson(
        {
          fingerprint: report.fingerprint,
          class: policy.class,
          attempts: state.attempts,
          maxAttempts: state.maxAttempts,
          lastResult: state.lastResult,
          backoffUntil: state.backoffUntil,
          decision: state.decision,
        },
        2,
      ),
      'json',
    ),
    '',
    `Add the label ${codeSpan(repo.labels.optOut, 60)} or comment ${codeSpan('/homeostat stop', 30)} to stop all automated work on this issue; ${codeSpan('/homeostat retry', 30)} lifts a cooldown.`,
    '',
  ];
  let body = sections.join('\n');
  const meta = metadataBlock({
    v: 1,
    fingerprint: report.fingerprint,
    extension: report.extensionId,
    versions: versions.slice(0, 50),
    class: policy.class,
  });
  if (body.length + meta.length > BODY_MAX) {
    // Only reachable with enormous stacks: drop the middle rather than fail GitHub's limit.
    body = `${body.slice(0, BODY_MAX - meta.length - 200)}\n\n_(truncated)_\n\n`;
  }
  return {
    title: issueTitle(report, extension),
    body: `${body}${meta}`,
    labels: issueLabels(content),
  };
}
