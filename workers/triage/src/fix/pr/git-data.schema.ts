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
    // The PR's GraphQL global id: what GraphQL-only writes (ready for review) take.
    node_id: z.string().min(1).max(200),
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
    nodeId: p.node_id,
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

/**
 * A GraphQL answer that failed: GitHub answers 200 with an `errors` list (NOT_FOUND, FORBIDDEN,
 * UNPROCESSABLE, RATE_LIMITED, …; docs.github.com/graphql/overview/resource-limitations) and
 * `data` null or partial. Only the closed `type` is kept: messages may quote input.
 */
export const GraphQLErrorsSchema = z.object({
  errors: z
    .array(
      z.object({
        type: z
          .string()
          .regex(/^[A-Z_]{1,40}$/)
          .catch('UNKNOWN'),
      }),
    )
    .min(1),
});

/** `markPullRequestReadyForReview(input: {pullRequestId})` → `{pullRequest {id number isDraft}}`. */
export const MarkReadyAnswerSchema = z.object({
  data: z.object({
    markPullRequestReadyForReview: z.object({
      pullRequest: z.object({ id: z.string(), number: z.int().positive(), isDraft: z.boolean() }),
    }),
  }),
});
