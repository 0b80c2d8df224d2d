import { z } from 'zod';
import { RepoSlugSchema } from '../config/homeostat-config.schema.ts';

/**
 * The triage Worker's RPC entrypoint (`TriageRpc`, a service binding with
 * `entrypoint = "TriageRpc"`), as one contract both sides compile against (issue 11, section 5:
 * canary-monitor kept its own copy of the shape). Only triage holds GitHub credentials
 * (docs/architecture.md#trust-boundaries), so canary-monitor asks it to post on a release's
 * tracking issue.
 *
 * Both sides validate with these schemas: triage the input (it is a trust boundary, whoever
 * calls), canary-monitor its own input before the call (a refusal is then a local, final error,
 * not a remote one retried forever) and the answer after it (RPC results are data).
 */

export const RELEASE_COMMENT_LIMITS = {
  releaseKey: 200,
  title: 300,
  body: 20_000,
} as const;

export const ReleaseCommentInputSchema = z.strictObject({
  repo: RepoSlugSchema,
  /** One tracking issue per key; canary uses `<extensionId>@<version>` (`releaseKey`). */
  releaseKey: z
    .string()
    .min(1)
    .max(RELEASE_COMMENT_LIMITS.releaseKey)
    .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
  title: z.string().min(1).max(RELEASE_COMMENT_LIMITS.title),
  body: z.string().max(RELEASE_COMMENT_LIMITS.body),
});
export type ReleaseCommentInput = z.infer<typeof ReleaseCommentInputSchema>;

export const ReleaseCommentResultSchema = z.object({
  /** `sent`: commented on GitHub; `recorded`: kept in triage's dry-run outbox (no credentials). */
  status: z.enum(['sent', 'recorded']),
  issueNumber: z.int().positive().optional(),
});
export type ReleaseCommentResult = z.infer<typeof ReleaseCommentResultSchema>;

/**
 * What `TriageRpc` serves. `postReleaseComment` finds or creates the release tracking issue for
 * `releaseKey` in `repo` and comments `title` and `body` (escaped by triage as untrusted text);
 * repeating a call with the same content does not comment twice. Failures are triage's errors:
 * `invalid_request`, `unknown_repository` (final); `issue_claim_busy`, `github_rate_limited`,
 * `github_unavailable` (retry later).
 */
export interface TriageRpcContract {
  postReleaseComment(input: ReleaseCommentInput): Promise<ReleaseCommentResult>;
}

/** The tracking issue key of one extension release. */
export function releaseKey(extensionId: string, version: string): string {
  return `${extensionId}@${version}`;
}
