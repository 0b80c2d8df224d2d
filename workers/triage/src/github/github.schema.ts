import { z } from 'zod';

/**
 * The parts of GitHub's REST responses triage relies on (zod at every edge: style guide,
 * "Validation"). Objects are not strict: GitHub adds fields over time and that must not break us.
 */

const LabelSchema = z.union([
  z.string(),
  z.object({ name: z.string().optional() }).transform((l) => l.name ?? ''),
]);

export const GitHubIssueSchema = z.object({
  number: z.int().positive(),
  state: z.enum(['open', 'closed']),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string(),
  labels: z.array(LabelSchema).transform((names) => names.filter((n) => n !== '')),
  /** Present when the "issue" is a pull request: the issues API lists both. */
  pull_request: z.object({}).passthrough().optional(),
});
export type GitHubIssue = z.infer<typeof GitHubIssueSchema>;

export const GitHubIssueListSchema = z.array(GitHubIssueSchema);

export const GitHubCommentSchema = z.object({
  id: z.int(),
  body: z.string().optional(),
  html_url: z.string(),
});
export type GitHubComment = z.infer<typeof GitHubCommentSchema>;

export const GitHubCommentListSchema = z.array(GitHubCommentSchema);

/** GitHub's error body (`basic-error`); only the message is kept, for logs. */
export const GitHubErrorBodySchema = z.object({ message: z.string().optional() }).catch({});
