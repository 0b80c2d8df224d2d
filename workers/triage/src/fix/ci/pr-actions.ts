import type { HomeostatConfig } from '@homeostat/shared';
import type { RuntimeDeps } from '../../github/github-factory.ts';
import type { GitHubGateway } from '../../github/github-gateway.ts';
import { createGitDataGateway } from '../pr/git-data-gateway.ts';
import { markReadyForReview, mergePullRequest, requestReview } from '../pr/pull-request-actions.ts';
import type { PrActions } from './ci-gate.ts';

/**
 * The CI gate's actions bound to GitHub (live) or the dry-run outbox: the PR writer's Git Data
 * gateway for the pull request itself, the issue gateway for labels and comments (labels of a PR
 * are its issue's labels on GitHub).
 */
export function createPrActions(
  env: Env,
  config: HomeostatConfig,
  deps: RuntimeDeps,
  issues: GitHubGateway,
): PrActions {
  const now = deps.now ?? Date.now;
  const git = createGitDataGateway(env, config, deps);
  const d = { db: env.DB, git, now };
  return {
    async markReadyForReview(repo, prNumber, headSha) {
      const result = await markReadyForReview(d, {
        repo,
        pr: { kind: 'github', number: prNumber },
        headSha,
      });
      return (
        result.outcome === 'ready' ||
        result.outcome === 'already_ready' ||
        result.outcome === 'recorded'
      );
    },
    async merge(repo, prNumber, headSha, key) {
      const result = await mergePullRequest(d, {
        repo,
        pr: { kind: 'github', number: prNumber },
        sha: headSha,
        key,
      });
      if (result.outcome === 'merged') return { ok: true, mergeSha: result.sha };
      if (result.outcome === 'recorded') return { ok: true, mergeSha: null };
      return { ok: false, reason: result.outcome };
    },
    async requestReview(repo, prNumber, key) {
      const reviewers =
        config.repositories.find((r) => r.slug.toLowerCase() === repo.toLowerCase())?.reviewers ??
        [];
      await requestReview(d, { repo, pr: { kind: 'github', number: prNumber }, reviewers, key });
    },
    async addLabels(repo, issueNumber, labels, key) {
      await issues.addLabels(repo, { kind: 'github', number: issueNumber }, labels, key);
    },
    async comment(repo, issueNumber, body, key) {
      await issues.createComment(repo, { kind: 'github', number: issueNumber }, body, key);
    },
  };
}
