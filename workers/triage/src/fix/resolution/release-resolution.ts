import type { HomeostatConfig } from '@homeostat/shared';
import { errorCode } from '../../errors.ts';
import { createGitHubGateway, type RuntimeDeps } from '../../github/github-factory.ts';
import type { IssueRef } from '../../github/github-gateway.ts';
import { createRepoReaderClient } from '../../github/repo-reader-client.ts';
import { getIssueRow } from '../../issue/issue-store.ts';
import { resolveFixesInRelease } from './fixed-in-release.ts';

/**
 * Resolves the merged fixes a newly registered release contains and says so on each issue
 * ("Fixed in <version>"), once per fingerprint and version. A GitHub failure leaves the fixes
 * unresolved (the answer says `deferred`), and registering the release again retries.
 */
export async function resolveReleasedFixes(
  env: Env,
  config: HomeostatConfig,
  deps: RuntimeDeps,
  release: { extensionId: string; version: string; commitSha: string },
): Promise<{ fingerprint: string }[] | 'deferred'> {
  const extension = config.extensions.find((e) => e.id === release.extensionId);
  if (extension === undefined) return [];
  const now = deps.now ?? Date.now;
  try {
    const resolved = await resolveFixesInRelease(
      { db: env.DB, github: createRepoReaderClient(env, config, deps), now },
      { repo: extension.repo, ...release },
    );
    const issues = createGitHubGateway(env, config, deps);
    for (const fix of resolved) {
      const row = await getIssueRow(env.DB, {
        repo: extension.repo,
        extensionId: extension.id,
        fingerprint: fix.fingerprint,
      });
      const ref: IssueRef | null =
        row?.issue_number != null
          ? { kind: 'github', number: row.issue_number }
          : row?.outbox_key != null
            ? { kind: 'pending', key: row.outbox_key }
            : null;
      if (ref === null) continue;
      await issues.createComment(
        extension.repo,
        ref,
        `Fixed in ${release.version}: the release's commit ${release.commitSha.slice(0, 12)} ` +
          `contains the fix (merge ${fix.mergeSha.slice(0, 12)}). If this error comes back in ` +
          `${release.version} or later, Homeostat reopens this issue as a regression.`,
        `fixed-in:${fix.fingerprint}:${release.version}`,
      );
    }
    return resolved.map((f) => ({ fingerprint: f.fingerprint }));
  } catch (err) {
    console.warn('triage: release resolution deferred', errorCode(err));
    return 'deferred';
  }
}
