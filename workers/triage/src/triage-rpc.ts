import { WorkerEntrypoint } from 'cloudflare:workers';
import { bundledConfig } from '@homeostat/shared';
import { createGitHubGateway } from './github/github-factory.ts';
import {
  postReleaseComment,
  type ReleaseCommentInput,
  type ReleaseCommentResult,
} from './release/release-comment.ts';

/**
 * Triage's RPC surface for the other Workers (a service binding with `entrypoint = "TriageRpc"`).
 * Only triage holds GitHub credentials (architecture.md), so canary-monitor asks it to post.
 *
 * `postReleaseComment` finds or creates the release tracking issue for `releaseKey` in `repo`
 * (labels `<base>` + `release`) and adds a comment with `title` and `body` (both escaped as
 * untrusted text). Live: `{ status: 'sent', issueNumber }`. Dry-run (no GITHUB_TOKEN):
 * `{ status: 'recorded' }`, both writes in the outbox. Repeating a call with the same content
 * does not comment twice. Errors: `invalid_request`, `unknown_repository` (final),
 * `issue_claim_busy`, `github_rate_limited`, `github_unavailable` (retry later).
 */
export class TriageRpc extends WorkerEntrypoint<Env> {
  async postReleaseComment(input: ReleaseCommentInput): Promise<ReleaseCommentResult> {
    const config = bundledConfig();
    return postReleaseComment(
      { db: this.env.DB, github: createGitHubGateway(this.env, config, {}), config, now: Date.now },
      input,
    );
  }
}
