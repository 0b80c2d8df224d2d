import type { HomeostatConfig } from '@homeostat/shared';
import type { PullRequestStage } from '../fix-attempt.ts';
import type { GitDataGateway } from './git-data-gateway.ts';
import { fixPullRequestLabels } from './pr-template.ts';
import { writeFixPullRequest } from './pull-request-writer.ts';

/**
 * The PR writer as the fix consumer's `PullRequestStage` (fix-attempt.ts): the attempt's stored
 * candidate and context in, the branch, head and PR (or the reason there is none) out. Labels are
 * the repository's base and extra labels, `homeostat:fix`, the fingerprint's and the class's.
 */
export function createPullRequestStage(deps: {
  db: D1Database;
  git: GitDataGateway;
  now: () => number;
  config: HomeostatConfig;
}): PullRequestStage {
  return {
    async write(input) {
      const extension = deps.config.extensions.find((e) => e.id === input.key.extensionId);
      const result = await writeFixPullRequest(deps, {
        repo: input.repo,
        key: input.key,
        issue: input.issue,
        attempt: input.attempt,
        attemptId: input.attemptId,
        maxAttempts: input.maxAttempts,
        runId: input.runId,
        candidate: input.candidate,
        baseSha: input.context.commitSha,
        report: input.report,
        extensionName: extension?.name ?? null,
        stats: input.stats,
        labels: fixPullRequestLabels(input.repo, input.key.fingerprint, input.policyClass),
      });
      switch (result.outcome) {
        case 'created':
        case 'updated':
        case 'unchanged':
          return {
            ok: true,
            branch: result.branch,
            headSha: result.headSha,
            prNumber: result.prNumber,
            prUrl: result.prUrl,
            githubCalls: result.githubCalls,
          };
        default:
          return { ok: false, reason: result.outcome, githubCalls: result.githubCalls };
      }
    },
  };
}
