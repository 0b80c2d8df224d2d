import { z } from 'zod';
import { type GitHubClient, parseGitHub } from '../../github/github-client.ts';
import { repoPath } from '../../github/github-request.ts';
import { repoKey } from '../../issue/issue-store.ts';
import { pushResolution } from '../../issue/resolution-push.ts';

/**
 * "Fixed in <version>" (issue 10, item 6). A merged fix keeps its merge SHA (fix_attempt_runs);
 * when a release of the extension is registered with the commit it was built from, every merged
 * fix whose merge commit that commit contains is resolved in that version: ingest's Fingerprint
 * object then treats the error's return in that version or later as a regression (told to read
 * `fingerprint_resolutions` by the push, resolution-push.ts). Containment is GitHub's compare API
 * (`GET /repos/{o}/{r}/compare/{merge}...{release}`: "ahead" or "identical" means the release
 * commit descends from the merge commit).
 */

const MergedRowSchema = z.object({
  attempt_id: z.number(),
  fingerprint: z.string(),
  merge_sha: z.string(),
});

const CompareSchema = z.object({
  status: z.enum(['diverged', 'ahead', 'behind', 'identical']),
});

export interface ResolvedFix {
  fingerprint: string;
  attemptId: number;
  mergeSha: string;
}

export async function resolveFixesInRelease(
  deps: { db: D1Database; github: GitHubClient; now: () => number },
  release: { repo: string; extensionId: string; version: string; commitSha: string },
): Promise<ResolvedFix[]> {
  const rows = await deps.db
    .prepare(
      `SELECT r.attempt_id, r.fingerprint, r.merge_sha FROM fix_attempt_runs r
       LEFT JOIN fingerprint_resolutions f
         ON f.extension_id = r.extension_id AND f.fingerprint = r.fingerprint
       WHERE r.repo = ?1 AND r.extension_id = ?2 AND r.stage = 'merged' AND r.merge_sha IS NOT NULL
         AND (f.fixed_in_version IS NULL OR f.source != 'fixed_in_release')
       ORDER BY r.attempt_id LIMIT 100`,
    )
    .bind(repoKey(release.repo), release.extensionId)
    .all();
  const resolved: ResolvedFix[] = [];
  for (const raw of rows.results) {
    const row = MergedRowSchema.parse(raw);
    const res = await deps.github.send({
      method: 'GET',
      path: `${repoPath(release.repo)}/compare/${row.merge_sha}...${release.commitSha}`,
      query: { per_page: '1' },
      idempotent: true,
    });
    const { status } = parseGitHub(CompareSchema, res, 'compare');
    if (status !== 'ahead' && status !== 'identical') continue;
    await deps.db
      .prepare(
        `INSERT INTO fingerprint_resolutions (extension_id, fingerprint, resolved_at, fixed_in_version, source)
         VALUES (?1, ?2, ?3, ?4, 'fixed_in_release')
         ON CONFLICT (extension_id, fingerprint) DO UPDATE SET resolved_at = excluded.resolved_at,
           fixed_in_version = excluded.fixed_in_version, source = excluded.source`,
      )
      .bind(release.extensionId, row.fingerprint, deps.now(), release.version)
      .run();
    await pushResolution({ extensionId: release.extensionId, fingerprint: row.fingerprint });
    resolved.push({
      fingerprint: row.fingerprint,
      attemptId: row.attempt_id,
      mergeSha: row.merge_sha,
    });
  }
  return resolved;
}
