import { z } from 'zod';

/**
 * The parts of GitHub webhook payloads triage acts on, parsed only after the signature checked
 * out (style guide, "Validation"). Not strict: GitHub adds fields, and the tests run every real
 * example payload of `@octokit/webhooks-examples` through these schemas.
 */

const Repository = z.object({ full_name: z.string() });
const User = z.object({ login: z.string(), type: z.string() });
const Label = z.object({ name: z.string() });

export const IssuesEventSchema = z.object({
  action: z.string(),
  issue: z.object({
    number: z.int(),
    state: z.string().optional(),
    labels: z.array(Label).nullish(),
    pull_request: z.unknown().optional(),
  }),
  label: Label.optional(),
  repository: Repository,
  sender: User,
});
export type IssuesEvent = z.infer<typeof IssuesEventSchema>;

export const IssueCommentEventSchema = z.object({
  action: z.string(),
  issue: z.object({ number: z.int(), pull_request: z.unknown().optional() }),
  comment: z.object({
    id: z.int(),
    body: z.string().nullish(),
    author_association: z.string(),
    user: User.nullish(),
  }),
  repository: Repository,
  sender: User,
});
export type IssueCommentEvent = z.infer<typeof IssueCommentEventSchema>;

export const PullRequestEventSchema = z.object({
  action: z.string(),
  number: z.int(),
  pull_request: z.object({
    number: z.int(),
    state: z.string(),
    merged: z.boolean().nullish(),
    merge_commit_sha: z.string().nullish(),
    merged_by: User.nullish(),
    user: User.nullish(),
    body: z.string().nullish(),
    html_url: z.string().optional(),
    // `repo` is null when the head repository (a fork) was deleted.
    head: z.object({ sha: z.string(), ref: z.string(), repo: Repository.nullish() }),
  }),
  repository: Repository,
  sender: User.optional(),
});
export type PullRequestEvent = z.infer<typeof PullRequestEventSchema>;

export const CheckSuiteEventSchema = z.object({
  action: z.string(),
  check_suite: z.object({
    head_sha: z.string(),
    status: z.string().nullish(),
    conclusion: z.string().nullish(),
    app: z.object({ slug: z.string().optional() }).nullish(),
  }),
  repository: Repository,
});

export const CheckRunEventSchema = z.object({
  action: z.string(),
  check_run: z.object({
    id: z.int().optional(),
    name: z.string(),
    head_sha: z.string(),
    status: z.string().nullish(),
    conclusion: z.string().nullish(),
    output: z
      .object({
        title: z.string().nullish(),
        summary: z.string().nullish(),
        annotations_count: z.int().optional(),
      })
      .nullish(),
  }),
  repository: Repository,
});

/** A commit status (`status` event): `context` is the check's name, `state` its outcome. */
export const StatusEventSchema = z.object({
  sha: z.string(),
  context: z.string(),
  state: z.string(),
  description: z.string().nullish(),
  repository: Repository,
});

export const WorkflowRunEventSchema = z.object({
  action: z.string(),
  workflow_run: z.object({
    name: z.string().nullish(),
    head_sha: z.string(),
    status: z.string().nullish(),
    conclusion: z.string().nullish(),
  }),
  repository: Repository,
});

/** What every delivery is first read as, to route it: event-specific schemas follow. */
export const AnyEventSchema = z.object({
  action: z.string().optional(),
  repository: Repository.optional(),
});
