import { type GitHubRequest, GRAPHQL_PATH, repoPath } from '../../github/github-request.ts';
import { headsRefPath } from './fix-branch.ts';

/**
 * The Git Data and Pulls requests of the PR writer as data (like github-request.ts for issues):
 * the live gateway sends them and the dry-run gateway records exactly the same objects. Values
 * only GitHub could know in dry-run mode (a tree or commit id, a pull request number) are the
 * placeholders below; the outbox entry's `depends_on` names the entry that would produce them.
 */

export const PENDING_TREE_SHA = '{tree_sha}';
export const PENDING_BASE_TREE = '{base_tree}';
export const PENDING_COMMIT_SHA = '{commit_sha}';
export const PENDING_PULL_NUMBER = '{pull_number}';
/** The GraphQL global id (`node_id`) of a pull request that exists only in the outbox. */
export const PENDING_PULL_NODE_ID = '{pull_node_id}';

/**
 * Takes a draft out of draft, the one write REST lacks: `PATCH …/pulls/{n}` has no `draft`
 * field in GitHub's OpenAPI description (docs.github.com/graphql/reference/mutations
 * #markpullrequestreadyforreview). Variables, never interpolation: the id is data.
 */
export const MARK_READY_MUTATION =
  'mutation MarkReady($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { id number isDraft } } }';

export interface TreeEntryInput {
  path: string;
  mode: '100644' | '100755';
  type: 'blob';
  sha: string;
}

export interface PullPatch {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
}

function pullPath(slug: string, pull: number | string): string {
  return `${repoPath(slug)}/pulls/${pull}`;
}

export const gitRequests = {
  getBranchRef(slug: string, branch: string): GitHubRequest {
    return {
      method: 'GET',
      path: `${repoPath(slug)}/git/ref/${headsRefPath(branch)}`,
      idempotent: true,
    };
  },
  getCommit(slug: string, sha: string): GitHubRequest {
    return { method: 'GET', path: `${repoPath(slug)}/git/commits/${sha}`, idempotent: true };
  },
  getTree(slug: string, treeSha: string, recursive: boolean): GitHubRequest {
    return {
      method: 'GET',
      path: `${repoPath(slug)}/git/trees/${treeSha}`,
      ...(recursive ? { query: { recursive: 1 } } : {}),
      idempotent: true,
    };
  },
  createBlob(slug: string, content: string): GitHubRequest {
    // Content-addressed: sending it twice stores the same object once.
    return {
      method: 'POST',
      path: `${repoPath(slug)}/git/blobs`,
      body: { content, encoding: 'utf-8' },
      idempotent: true,
    };
  },
  createTree(slug: string, baseTree: string, tree: TreeEntryInput[]): GitHubRequest {
    return {
      method: 'POST',
      path: `${repoPath(slug)}/git/trees`,
      body: { base_tree: baseTree, tree },
      idempotent: true,
    };
  },
  createCommit(
    slug: string,
    commit: { message: string; tree: string; parents: string[] },
  ): GitHubRequest {
    // No author or committer: GitHub writes the token's own identity, so Homeostat's commits are
    // attributed to the account the repository owner granted, never to a name we make up.
    return {
      method: 'POST',
      path: `${repoPath(slug)}/git/commits`,
      body: { message: commit.message, tree: commit.tree, parents: commit.parents },
      // A repeat makes a second, unreferenced commit object: harmless, nothing points at it.
      idempotent: true,
    };
  },
  createRef(slug: string, branch: string, sha: string): GitHubRequest {
    return {
      method: 'POST',
      path: `${repoPath(slug)}/git/refs`,
      body: { ref: `refs/heads/${branch}`, sha },
      idempotent: false,
    };
  },
  forceRef(slug: string, branch: string, sha: string): GitHubRequest {
    return {
      method: 'PATCH',
      path: `${repoPath(slug)}/git/refs/${headsRefPath(branch)}`,
      body: { sha, force: true },
      idempotent: true,
    };
  },
  listPullsForBranch(slug: string, owner: string, branch: string): GitHubRequest {
    return {
      method: 'GET',
      path: `${repoPath(slug)}/pulls`,
      query: { head: `${owner}:${branch}`, state: 'all', per_page: 100 },
      idempotent: true,
    };
  },
  getPull(slug: string, pull: number): GitHubRequest {
    return { method: 'GET', path: pullPath(slug, pull), idempotent: true };
  },
  createPull(
    slug: string,
    pr: { title: string; body: string; head: string; base: string; draft: boolean },
  ): GitHubRequest {
    return {
      method: 'POST',
      path: `${repoPath(slug)}/pulls`,
      body: {
        title: pr.title,
        body: pr.body,
        head: pr.head,
        base: pr.base,
        draft: pr.draft,
        maintainer_can_modify: true,
      },
      idempotent: false,
    };
  },
  updatePull(slug: string, pull: number | string, patch: PullPatch): GitHubRequest {
    return { method: 'PATCH', path: pullPath(slug, pull), body: { ...patch }, idempotent: true };
  },
  addLabels(slug: string, pull: number | string, labels: string[]): GitHubRequest {
    // Pull requests are issues: their labels live on the issues endpoint.
    return {
      method: 'POST',
      path: `${repoPath(slug)}/issues/${pull}/labels`,
      body: { labels },
      idempotent: true,
    };
  },
  requestReviewers(
    slug: string,
    pull: number | string,
    reviewers: string[],
    teamReviewers: string[],
  ): GitHubRequest {
    return {
      method: 'POST',
      path: `${pullPath(slug, pull)}/requested_reviewers`,
      body: { reviewers, team_reviewers: teamReviewers },
      idempotent: true,
    };
  },
  markReady(nodeId: string): GitHubRequest {
    return {
      method: 'POST',
      path: GRAPHQL_PATH,
      body: { query: MARK_READY_MUTATION, variables: { id: nodeId } },
      // Un-drafting a PR that is already ready changes nothing.
      idempotent: true,
    };
  },
  merge(slug: string, pull: number | string, sha: string, commitTitle?: string): GitHubRequest {
    return {
      method: 'PUT',
      path: `${pullPath(slug, pull)}/merge`,
      // `sha` pins the merge to the head CI judged: GitHub refuses (409) if the head moved.
      body: {
        sha,
        merge_method: 'squash',
        ...(commitTitle === undefined ? {} : { commit_title: commitTitle }),
      },
      // A repeat after an unknown outcome is refused (405, already merged), never merged twice.
      idempotent: true,
    };
  },
};
