import { WorkerEntrypoint } from 'cloudflare:workers';
import {
  bundledConfig,
  type ReleaseCommentInput,
  type ReleaseCommentResult,
  type TriageRpcContract,
} from '@homeostat/shared';
import { createGitHubGateway } from './github/github-factory.ts';
import { postReleaseComment } from './release/release-comment.ts';

/**
 * Triage's RPC surface for the other Workers (a service binding with `entrypoint = "TriageRpc"`),
 * implementing the shared contract canary-monitor calls it through (`TriageRpcContract`,
 * packages/shared/src/rpc/triage-rpc.contract.ts: inputs, answers and errors are documented
 * there). Only triage holds GitHub credentials (docs/architecture.md#trust-boundaries), so
 * canary-monitor asks it to post. The input is validated again here: an RPC caller is a trust
 * boundary like any other.
 */
export class TriageRpc extends WorkerEntrypoint<Env> implements TriageRpcContract {
  async postReleaseComment(input: ReleaseCommentInput): Promise<ReleaseCommentResult> {
    const config = bundledConfig();
    return postReleaseComment(
      { db: this.env.DB, github: createGitHubGateway(this.env, config, {}), config, now: Date.now },
      input,
    );
  }
}
