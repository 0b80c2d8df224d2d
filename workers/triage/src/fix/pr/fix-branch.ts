import { TriageError } from '../../errors.ts';

/**
 * The branch a fingerprint's fix lives on (docs/architecture.md#pr-conventions):
 * `homeostat/fix-<first 12 hex of the fingerprint>`. Deterministic, so the branch name alone finds
 * the fix's pull request again (Renovate's stateless dedupe, ai-autofix.md §9), and one
 * fingerprint can never have two fix branches. 12 hex digits (48 bits) keep collisions between
 * a repository's fingerprints out of reach while staying short enough to read.
 */

export const FIX_BRANCH_PREFIX = 'homeostat/fix-';
const SHORT_HEX = 12;
const FINGERPRINT = /^fp\d+:([0-9a-f]{32,64})$/;

/** The short form used in the branch name: the first 12 hex digits after `fp<n>:`. */
export function fingerprintShort(fingerprint: string): string {
  const m = FINGERPRINT.exec(fingerprint);
  if (m?.[1] === undefined) {
    // Fingerprints are computed by ingest; anything else is corrupt data, not a name to build on.
    throw new TriageError('invalid_request', 'not a fingerprint', {
      internal: `fingerprint does not match fp<n>:<hex>: ${fingerprint.slice(0, 80)}`,
    });
  }
  return m[1].slice(0, SHORT_HEX);
}

export function fixBranchName(fingerprint: string): string {
  const branch = `${FIX_BRANCH_PREFIX}${fingerprintShort(fingerprint)}`;
  if (!isValidRefName(`refs/heads/${branch}`)) {
    throw new TriageError('invalid_request', 'not a valid branch name', { internal: branch });
  }
  return branch;
}

/**
 * `git check-ref-format` rules (git-check-ref-format(1)), for a full ref name such as
 * `refs/heads/x`: at least two components; no component empty, starting with `.` or ending in
 * `.lock`; no `..`, `@{`, control characters, space, `~ ^ : ? * [ \`; not ending in `/` or `.`;
 * not the single character `@`.
 */
export function isValidRefName(ref: string): boolean {
  if (ref === '@' || ref.length > 255) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what git forbids
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref)) return false;
  if (ref.includes('..') || ref.includes('@{')) return false;
  if (ref.endsWith('.') || ref.endsWith('/')) return false;
  const parts = ref.split('/');
  if (parts.length < 2) return false;
  return parts.every((p) => p !== '' && !p.startsWith('.') && !p.endsWith('.lock'));
}

/** The ref path segment for the REST API: `heads/<branch>` with each segment encoded. */
export function headsRefPath(branch: string): string {
  return `heads/${branch.split('/').map(encodeURIComponent).join('/')}`;
}
