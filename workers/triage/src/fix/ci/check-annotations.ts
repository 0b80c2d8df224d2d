import { z } from 'zod';
import type { GitHubClient } from '../../github/github-client.ts';
import { parseGitHub } from '../../github/github-client.ts';
import { repoPath } from '../../github/github-request.ts';

/**
 * The first annotations of a failed check run (issue 10, item 4: "first annotations" in the retry's
 * feedback): `GET /repos/{o}/{r}/check-runs/{id}/annotations`, one page of at most `max`. They are
 * what a CI says about the exact lines that failed, which is what the next attempt most needs.
 */

const AnnotationsSchema = z.array(
  z.object({
    path: z.string(),
    start_line: z.number(),
    annotation_level: z.string().nullish(),
    message: z.string().nullish(),
  }),
);

export async function firstAnnotations(
  client: GitHubClient,
  repo: string,
  checkRunId: number,
  max = 5,
): Promise<string | null> {
  const res = await client.send({
    method: 'GET',
    path: `${repoPath(repo)}/check-runs/${checkRunId}/annotations`,
    query: { per_page: max },
    idempotent: true,
  });
  const lines = parseGitHub(AnnotationsSchema, res, 'check run annotations')
    .slice(0, max)
    .map((a) => `${a.path}:${a.start_line}: ${(a.message ?? '').split('\n')[0]?.slice(0, 300)}`);
  return lines.length === 0 ? null : lines.join('\n');
}
