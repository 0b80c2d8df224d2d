import { z } from 'zod';

/**
 * The parts of GitHub's git-data answers the repository reader relies on (GitHub's OpenAPI
 * description: `git-ref`, `git-tree`, `blob`). Objects are not strict: GitHub adds fields.
 */

const Sha = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, 'must be a git SHA');

/** GET /repos/{owner}/{repo}: only the default branch, when the caller names no branch. */
export const RepoInfoSchema = z.object({ default_branch: z.string().min(1).max(255) });

/** GET /repos/{owner}/{repo}/git/ref/heads/{branch}. */
export const GitRefSchema = z.object({
  ref: z.string(),
  object: z.object({ type: z.string(), sha: Sha }),
});

/**
 * One entry of GET …/git/trees/{sha}. `mode` tells a regular file (100644, 100755) from a
 * symlink (120000, listed with type `blob`) and a submodule (160000, type `commit`). `size` is
 * given for blobs only.
 */
export const GitTreeEntrySchema = z.object({
  path: z.string().min(1).max(4096),
  mode: z.string().max(6),
  type: z.enum(['blob', 'tree', 'commit']),
  sha: Sha,
  size: z.int().min(0).optional(),
});
export type GitTreeEntry = z.infer<typeof GitTreeEntrySchema>;

export const GitTreeSchema = z.object({
  sha: Sha,
  /** GitHub cuts a recursive listing past 100,000 entries or 7 MB and says so here. */
  truncated: z.boolean(),
  tree: z.array(GitTreeEntrySchema),
});

/** GET …/git/blobs/{sha}: the content, base64 (with newlines) for every blob. */
export const GitBlobSchema = z.object({
  sha: Sha,
  size: z.int().min(0).nullable(),
  encoding: z.string(),
  content: z.string(),
});
