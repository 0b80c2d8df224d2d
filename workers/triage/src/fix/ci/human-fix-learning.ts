import type { ExtensionConfig, HomeostatEnv, RepositoryConfig } from '@homeostat/shared';
import { z } from 'zod';
import { type GitHubClient, parseGitHub } from '../../github/github-client.ts';
import { repoPath } from '../../github/github-request.ts';
import { loadFingerprint } from '../../issue/fingerprint-source.ts';
import type { FileChange } from '../fix.types.ts';
import type { FrameMapper } from '../localize/frame-mapper.ts';
import { localize } from '../localize/localize.ts';
import { type ExtractResult, extractPattern } from '../patterns/pattern-extractor.ts';
import { openSnapshot } from '../source/repo-reader.ts';

/**
 * Learning from a person's own fix (issue 10, item 5: "a human PR that closes a Homeostat
 * issue"). The merge commit and its first parent are read as two snapshots; the problem is
 * localized on the parent exactly as the fixer would have, and only the files of that context
 * that the merge changed are offered to the extractor, with the culprit it found. Production
 * only, checked before anything is read from GitHub.
 */

const CommitSchema = z.object({ parents: z.array(z.object({ sha: z.string() })).min(1) });

export type HumanFixLearning =
  | ExtractResult
  | { status: 'refused'; reason: 'fingerprint_missing' | 'not_localized' | 'no_change_in_context' };

export async function learnFromHumanFix(
  deps: {
    db: D1Database;
    client: GitHubClient;
    mapper: FrameMapper;
    env: HomeostatEnv;
    now: () => number;
  },
  input: {
    repo: RepositoryConfig;
    extension: ExtensionConfig;
    fingerprint: string;
    mergeSha: string;
    prUrl: string;
  },
): Promise<HumanFixLearning> {
  if (deps.env !== 'production') return { status: 'skipped_env', env: deps.env };
  const report = await loadFingerprint(deps.db, input.extension.id, input.fingerprint);
  if (report === null) return { status: 'refused', reason: 'fingerprint_missing' };
  const commit = parseGitHub(
    CommitSchema,
    await deps.client.send({
      method: 'GET',
      path: `${repoPath(input.repo.slug)}/git/commits/${input.mergeSha}`,
      idempotent: true,
    }),
    'merge commit',
  );
  const parent = commit.parents[0]?.sha ?? '';
  const before = await openSnapshot(deps.client, { repo: input.repo.slug, commit: parent });
  const after = await openSnapshot(deps.client, { repo: input.repo.slug, commit: input.mergeSha });
  const located = await localize({
    report,
    repo: input.repo,
    extension: input.extension,
    snapshot: before,
    mapper: deps.mapper,
    ...(report.sampleVersion === null ? {} : { version: report.sampleVersion }),
  });
  if (!located.ok) return { status: 'refused', reason: 'not_localized' };
  const changes: FileChange[] = [];
  for (const path of located.context.editablePaths) {
    const b = await before.read(path);
    const a = await after.read(path);
    if (b.ok && a.ok && b.file.content !== a.file.content) {
      changes.push({ path, before: b.file.content, after: a.file.content });
    }
  }
  if (changes.length === 0) return { status: 'refused', reason: 'no_change_in_context' };
  const culprit = located.context.culprit;
  return extractPattern(deps.db, {
    repo: input.repo.slug,
    prUrl: input.prUrl,
    mergedBy: 'human',
    humanReviewed: true,
    changes,
    errorType: located.context.event.type,
    message: located.context.event.message,
    culprit:
      culprit === null ? null : { path: culprit.path, line: culprit.line, column: culprit.column },
    env: deps.env,
    now: deps.now(),
  });
}
