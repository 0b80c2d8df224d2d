import type { RepositoryConfig } from '@homeostat/shared';
import type { Candidate, FixContext } from '../fix.types.ts';
import { checkBinary } from './checks/binary.check.ts';
import { checkDangerousCode } from './checks/dangerous-code.check.ts';
import { checkDependencies, importedPackages } from './checks/dependency.check.ts';
import { checkHiddenUnicode } from './checks/hidden-unicode.check.ts';
import { checkPlacement, pathProblem } from './checks/path.check.ts';
import { checkPii } from './checks/pii.check.ts';
import { checkSyntax } from './checks/syntax.check.ts';
import { checkTestIntegrity } from './checks/test-integrity.check.ts';
import { checkUrls } from './checks/url.check.ts';
import { isTestPath, reviewFile } from './file-review.ts';

/**
 * The guardrails (issue 9 item 6; docs/architecture.md#guardrails): deterministic
 * checks that every candidate passes, from the pattern library or a model alike, before it may
 * become a commit. Prompts are advisory (research ai-autofix.md §8 T11); these are not. Each
 * rejection names a closed reason, the path (once it is known to be a valid repository path) and
 * the line, and a `detail` that Homeostat writes: never the offending content, which is
 * attacker-influenced. Every rejection is reported, not only the first, so a run record shows all
 * that was wrong with a candidate.
 */
export type GuardrailReason =
  /** Not a normalised repository path: absolute, '..', '.', empty segment, backslash, NUL, control or invisible characters, not NFC. */
  | 'path_invalid'
  /** Not in `FixContext.editablePaths` (in-app stack files, direct imports, tests), nor a new test beside one. */
  | 'path_not_editable'
  /** Outside the repository's `paths.include` or inside `paths.exclude`. */
  | 'path_excluded'
  /** A manifest, dependency, CI, build or git file (`protected-paths.ts`). */
  | 'protected_path'
  /** The change's `before` is not the content the context read: the diff would be judged against the wrong text. */
  | 'base_mismatch'
  | 'added_url'
  | 'dangerous_code'
  | 'hidden_unicode'
  | 'deleted_test'
  /** A non-test file deleted or emptied: never a fix, sometimes a wiper. */
  | 'file_deleted'
  | 'pii'
  | 'new_dependency'
  | 'too_many_lines'
  | 'too_many_files'
  | 'parse_error'
  | 'no_change'
  | 'whitespace_only'
  | 'binary_content'
  | 'file_too_large';

export interface GuardrailRejection {
  reason: GuardrailReason;
  path?: string;
  line?: number;
  detail?: string;
}

export interface GuardrailStats {
  /** Files the candidate changes (entries whose after equals their before do not count). */
  files: number;
  /** Added and removed lines; a lower bound when a file's diff was too long to compute. */
  added: number;
  removed: number;
}

export type GuardrailVerdict =
  | { ok: true; stats: GuardrailStats }
  | { ok: false; rejections: GuardrailRejection[]; stats: GuardrailStats };

export interface FixLimits {
  maxDiffLines: number;
  maxFiles: number;
}

/** A larger file is refused unread: the source reader's own cap is far below it. */
export const MAX_FILE_BYTES = 1_048_576;
/** Beyond this many changes nothing is read: no fix touches that many files. */
const MAX_CHANGES_EXAMINED = 64;
/** Rejections of one reason for one file: enough to act on, bounded against hostile input. */
const MAX_PER_REASON_AND_PATH = 5;

const encoder = new TextEncoder();

export function checkCandidate(
  candidate: Candidate,
  ctx: FixContext,
  repo: RepositoryConfig,
  limits: FixLimits,
): GuardrailVerdict {
  const rejections: GuardrailRejection[] = [];
  const stats: GuardrailStats = { files: 0, added: 0, removed: 0 };
  const changes = candidate.changes;
  if (changes.length > MAX_CHANGES_EXAMINED) {
    return reject(
      [{ reason: 'too_many_files', detail: `${changes.length} files (limit ${limits.maxFiles})` }],
      stats,
    );
  }
  const known = importedPackages([
    ...Object.values(ctx.files).map((f) => f.content),
    ...changes.map((c) => c.before),
  ]);
  const seen = new Set<string>();
  changes.forEach((change, i) => {
    const { path, before, after } = change;
    const problem = pathProblem(path);
    // An invalid path is attacker-shaped text: it is named by position, never echoed.
    if (problem !== null) {
      rejections.push({ reason: 'path_invalid', detail: `change ${i + 1}: ${problem}` });
      return;
    }
    if (seen.has(path)) {
      rejections.push({ reason: 'path_invalid', path, detail: 'the same file is changed twice' });
      return;
    }
    seen.add(path);
    if (before === after) return;
    stats.files++;
    rejections.push(...checkPlacement(path, before, ctx, repo));
    if (
      encoder.encode(after).length > MAX_FILE_BYTES ||
      encoder.encode(before).length > MAX_FILE_BYTES
    ) {
      rejections.push({
        reason: 'file_too_large',
        path,
        detail: `larger than ${MAX_FILE_BYTES} bytes`,
      });
      return;
    }
    const isTest =
      isTestPath(path) || (Object.hasOwn(ctx.files, path) && ctx.files[path]?.role === 'test');
    const review = reviewFile(path, before, after, {
      isTest,
      maxEditLength: limits.maxDiffLines + 1,
    });
    if (review.addedLines === null) {
      rejections.push({
        reason: 'too_many_lines',
        path,
        detail: `this file alone changes more than ${limits.maxDiffLines} lines`,
      });
      stats.added += limits.maxDiffLines + 1;
    } else {
      stats.added += review.added;
      stats.removed += review.removed;
    }
    if (after.trim() === '' && before.trim() !== '') {
      rejections.push(
        ...(isTest
          ? checkTestIntegrity(review)
          : [{ reason: 'file_deleted' as const, path, detail: 'the file is deleted or emptied' }]),
      );
      return;
    }
    const binary = checkBinary(review);
    if (binary.length > 0) {
      rejections.push(...binary);
      return;
    }
    rejections.push(
      ...checkSyntax(review),
      ...checkHiddenUnicode(review),
      ...checkUrls(review),
      ...checkDangerousCode(review),
      ...checkPii(review),
      ...checkTestIntegrity(review),
      ...checkDependencies(review, known),
    );
  });
  if (stats.files === 0 && !rejections.some((r) => r.reason === 'path_invalid')) {
    rejections.push({ reason: 'no_change', detail: 'the candidate changes nothing' });
  }
  if (stats.files > limits.maxFiles) {
    rejections.push({
      reason: 'too_many_files',
      detail: `${stats.files} files (limit ${limits.maxFiles})`,
    });
  }
  const perFileTooLong = rejections.some((r) => r.reason === 'too_many_lines');
  if (!perFileTooLong && stats.added + stats.removed > limits.maxDiffLines) {
    rejections.push({
      reason: 'too_many_lines',
      detail: `${stats.added + stats.removed} changed lines (limit ${limits.maxDiffLines})`,
    });
  }
  return rejections.length === 0 ? { ok: true, stats } : reject(rejections, stats);
}

function reject(rejections: GuardrailRejection[], stats: GuardrailStats): GuardrailVerdict {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  const kept = rejections.filter((r) => {
    const key = JSON.stringify([r.reason, r.path, r.line, r.detail]);
    const bucket = `${r.reason}\0${r.path ?? ''}`;
    const n = counts.get(bucket) ?? 0;
    if (seen.has(key) || n >= MAX_PER_REASON_AND_PATH) return false;
    seen.add(key);
    counts.set(bucket, n + 1);
    return true;
  });
  return { ok: false, rejections: kept, stats };
}
