import { z } from 'zod';

/**
 * The parts of GitHub's Git Data and Pulls answers the PR writer relies on (zod at every edge).
 * Not strict: GitHub adds fields over time. Field names and shapes follow GitHub's OpenAPI
 * description (`git-ref`, `git-tree`, `git-commit`, `short-blob`, `pull-request(-simple)`,
 * `pull-request-merge-result`).
 */

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);

export const GitRefSchema = z.object({
  ref: z.string(),
  object: z.object({ sha: Sha, type: z.string() }),
});

export const GitBlobCreatedSchema = z.object({ sha: Sha });

export const GitTreeSchema = z.object({
  sha: Sha,
  truncated: z.boolean(),
  tree: z.array(
    z.object({
      path: z.string(),
      mode: z.string(),
      type: z.string(),
      sha: z.string(),
    }),
  ),
});

export const GitCommitSchema = z.object({
  sha: Sha,
  tree: z.object({ sha: Sha }),
  parents: z.array(z.object({ sha: Sha })),
});

const LabelNameSchema = z.union([
  z.string(),
  z.object({ name: z.string().optional() }).transform((l) => l.name ?? ''),
]);

export const PullSchema = z
  .object({
    number: z.int().positive(),
    state: z.enum(['open', 'closed']),
    title: z.string(),
    body: z.string().nullish(),
    html_url: z.string(),
    draft: z.boolean().optional(),
    merged_at: z.string().nullish(),
    merge_commit_sha: z.string().nullish(),
    head: z.object({ ref: z.string(), sha: z.string() }),
    base: z.object({ ref: z.string() }),
    labels: z.array(LabelNameSchema).transform((names) => names.filter((n) => n !== '')),
  })
  .transform((p) => ({
    number: p.number,
    state: p.state,
    merged: p.merged_at !== null && p.merged_at !== undefined,
    draft: p.draft === true,
    mergeCommitSha: p.merge_commit_sha ?? null,
    title: p.title,
    body: p.body ?? null,
    htmlUrl: p.html_url,
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    labels: p.labels,
  }));
export type PullInfo = z.output<typeof PullSchema>;

export const PullListSchema = z.array(PullSchema);

export const MergeResultSchema = z.object({ sha: Sha, merged: z.boolean() });
