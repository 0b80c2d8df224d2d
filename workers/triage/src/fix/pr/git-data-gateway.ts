import type { HomeostatConfig } from '@homeostat/shared';
import { TriageError } from '../../errors.ts';
import { type GitHubClient, type GitHubResponse, parseGitHub } from '../../github/github-client.ts';
import { githubCredentials } from '../../github/github-credentials.ts';
import { createGitHubClient, type RuntimeDeps } from '../../github/github-factory.ts';
import type { GitHubRequest } from '../../github/github-request.ts';
import { recordOutbox } from '../../outbox/outbox.ts';
import {
  GitBlobCreatedSchema,
  GitCommitSchema,
  GitRefSchema,
  GitTreeSchema,
  GraphQLErrorsSchema,
  MarkReadyAnswerSchema,
  MergeResultSchema,
  type PullInfo,
  PullListSchema,
  PullSchema,
} from './git-data.schema.ts';
import {
  gitRequests,
  PENDING_COMMIT_SHA,
  PENDING_PULL_NODE_ID,
  PENDING_PULL_NUMBER,
  PENDING_TREE_SHA,
  type PullPatch,
  type TreeEntryInput,
} from './git-data-request.ts';

/**
 * The Git Data and Pulls operations of the PR writer (issue 10, item 2), kept apart from the
 * issue gateway (github-gateway.ts) so that stays small. Two implementations chosen by mode, as
 * for issues: `LiveGitDataGateway` sends through the GitHub client; `OutboxGitDataGateway`
 * (dry-run, no token) records every write in the outbox as the exact request and answers reads
 * with "nothing known". Writes carry an idempotency `key` (the outbox needs it; live idempotency
 * comes from the writer's D1 record) and may name the outbox entry they depend on.
 */

/** A pull request on GitHub, or one that exists only as an outbox entry in dry-run mode. */
export type PullRef = { kind: 'github'; number: number } | { kind: 'pending'; key: string };

export interface NewPull {
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
}

export interface WriteKey {
  key: string;
  /** The outbox entry whose result a placeholder in this request stands for. */
  dependsOn?: string;
  /** What the entry is for, shown with the outbox. */
  purpose: string;
}

export type MergeOutcome =
  | { outcome: 'merged'; sha: string }
  | { outcome: 'head_changed' }
  | { outcome: 'not_mergeable' }
  | { outcome: 'recorded'; key: string };

/** 'not_found': GitHub knows no such pull request (REST 404, GraphQL NOT_FOUND). */
export type MarkReadyOutcome = 'ready' | 'not_found' | 'recorded';

export interface GitDataGateway {
  readonly mode: 'live' | 'dry-run';
  /** Requests sent to GitHub so far (run records: "how many GitHub calls one fix costs"). */
  readonly calls: number;
  /** The commit a branch points at; null when it does not exist (dry-run: always null). */
  branchHead(repo: string, branch: string): Promise<string | null>;
  /** The tree of a commit and the modes of the given paths in it (dry-run: null). */
  commitTree(
    repo: string,
    commitSha: string,
    paths: readonly string[],
  ): Promise<{ treeSha: string; modes: Map<string, string> } | null>;
  /** Stores a blob; `sha` is its locally computed id (the answer is checked against it). */
  createBlob(repo: string, content: string, sha: string, w: WriteKey): Promise<string>;
  createTree(
    repo: string,
    baseTree: string,
    entries: TreeEntryInput[],
    w: WriteKey,
  ): Promise<string>;
  createCommit(
    repo: string,
    commit: { message: string; tree: string; parents: string[] },
    w: WriteKey,
  ): Promise<string>;
  /** Creates `refs/heads/<branch>`; 'exists' when it already did (a concurrent or lost write). */
  createBranch(
    repo: string,
    branch: string,
    sha: string,
    w: WriteKey,
  ): Promise<'created' | 'exists'>;
  /** Points the branch at `sha` even if that is not a fast-forward (the retry's new commit). */
  forceBranch(repo: string, branch: string, sha: string, w: WriteKey): Promise<void>;
  /** Pull requests whose head is the branch, open or closed, newest first (dry-run: none). */
  findPulls(repo: string, branch: string): Promise<PullInfo[]>;
  getPull(repo: string, pull: number): Promise<PullInfo | null>;
  createPull(
    repo: string,
    pr: NewPull,
    w: WriteKey,
  ): Promise<{ ref: PullRef; info: PullInfo | null } | 'exists'>;
  updatePull(repo: string, pull: PullRef, patch: PullPatch, w: WriteKey): Promise<void>;
  addLabels(repo: string, pull: PullRef, labels: string[], w: WriteKey): Promise<void>;
  /** False when GitHub refused the request (e.g. a reviewer without access, or the author). */
  requestReviewers(
    repo: string,
    pull: PullRef,
    reviewers: string[],
    teamReviewers: string[],
    w: WriteKey,
  ): Promise<boolean>;
  merge(
    repo: string,
    pull: PullRef,
    sha: string,
    w: WriteKey & { commitTitle?: string },
  ): Promise<MergeOutcome>;
  /**
   * Takes the pull request out of draft in place, through GitHub's GraphQL mutation (REST has no
   * way to). `nodeId` (its GraphQL id, REST `node_id`) spares a read when the caller just made
   * one. A GraphQL refusal is a `TriageError`, never GitHub's raw error text.
   */
  markReady(
    repo: string,
    pull: PullRef,
    w: WriteKey & { nodeId?: string },
  ): Promise<MarkReadyOutcome>;
}

function numberOf(ref: PullRef): number {
  if (ref.kind === 'github') return ref.number;
  throw new TriageError('github_rejected', 'pull request exists only in the dry-run outbox', {
    internal: `pending pull request ${ref.key} used in live mode`,
  });
}

function placeholderFree(values: string[]): void {
  // A dry-run placeholder reaching the live gateway would be sent to GitHub as if it were an id.
  if (values.some((v) => v.startsWith('{') && v.endsWith('}'))) {
    throw new TriageError('github_rejected', 'a dry-run placeholder reached the live gateway', {
      internal: values.join(','),
    });
  }
}

function status(err: unknown): number | undefined {
  return err instanceof TriageError && err.code === 'github_rejected'
    ? err.upstreamStatus
    : undefined;
}

export class LiveGitDataGateway implements GitDataGateway {
  readonly mode = 'live';
  readonly #client: GitHubClient;
  #calls = 0;

  constructor(client: GitHubClient) {
    this.#client = client;
  }

  get calls(): number {
    return this.#calls;
  }

  async #send(request: GitHubRequest): Promise<GitHubResponse> {
    this.#calls++;
    return this.#client.send(request);
  }

  async branchHead(repo: string, branch: string): Promise<string | null> {
    try {
      const res = await this.#send(gitRequests.getBranchRef(repo, branch));
      return parseGitHub(GitRefSchema, res, 'get ref').object.sha;
    } catch (err) {
      if (status(err) === 404) return null;
      throw err;
    }
  }

  async commitTree(
    repo: string,
    commitSha: string,
    paths: readonly string[],
  ): Promise<{ treeSha: string; modes: Map<string, string> }> {
    placeholderFree([commitSha]);
    const commit = parseGitHub(
      GitCommitSchema,
      await this.#send(gitRequests.getCommit(repo, commitSha)),
      'get commit',
    );
    const treeSha = commit.tree.sha;
    // Modes keep an executable file executable; one recursive read answers every path. A
    // truncated listing (100,000 entries) may miss some: those keep the regular-file mode.
    const tree = parseGitHub(
      GitTreeSchema,
      await this.#send(gitRequests.getTree(repo, treeSha, true)),
      'get tree',
    );
    const wanted = new Set(paths);
    const modes = new Map<string, string>();
    for (const e of tree.tree)
      if (wanted.has(e.path) && e.type === 'blob') modes.set(e.path, e.mode);
    return { treeSha, modes };
  }

  async createBlob(repo: string, content: string, sha: string): Promise<string> {
    const res = await this.#send(gitRequests.createBlob(repo, content));
    const stored = parseGitHub(GitBlobCreatedSchema, res, 'create blob').sha;
    if (stored !== sha) {
      throw new TriageError('github_invalid_response', 'GitHub stored different bytes', {
        internal: `blob id ${stored} differs from the local ${sha}`,
      });
    }
    return stored;
  }

  async createTree(repo: string, baseTree: string, entries: TreeEntryInput[]): Promise<string> {
    placeholderFree([baseTree]);
    const res = await this.#send(gitRequests.createTree(repo, baseTree, entries));
    return parseGitHub(GitTreeSchema, res, 'create tree').sha;
  }

  async createCommit(
    repo: string,
    commit: { message: string; tree: string; parents: string[] },
  ): Promise<string> {
    placeholderFree([commit.tree, ...commit.parents]);
    const res = await this.#send(gitRequests.createCommit(repo, commit));
    return parseGitHub(GitCommitSchema, res, 'create commit').sha;
  }

  async createBranch(repo: string, branch: string, sha: string): Promise<'created' | 'exists'> {
    placeholderFree([sha]);
    try {
      const res = await this.#send(gitRequests.createRef(repo, branch, sha));
      parseGitHub(GitRefSchema, res, 'create ref');
      return 'created';
    } catch (err) {
      // 422 "Reference already exists": created by a lost earlier answer, or by someone else.
      if (status(err) === 422) return 'exists';
      throw err;
    }
  }

  async forceBranch(repo: string, branch: string, sha: string): Promise<void> {
    placeholderFree([sha]);
    const res = await this.#send(gitRequests.forceRef(repo, branch, sha));
    parseGitHub(GitRefSchema, res, 'update ref');
  }

  async findPulls(repo: string, branch: string): Promise<PullInfo[]> {
    const owner = repo.split('/')[0] ?? '';
    const res = await this.#send(gitRequests.listPullsForBranch(repo, owner, branch));
    // Only this repository's own branch: a fork's branch of the same name is someone else's.
    return parseGitHub(PullListSchema, res, 'list pulls')
      .filter((p) => p.headRef === branch)
      .sort((a, b) => b.number - a.number);
  }

  async getPull(repo: string, pull: number): Promise<PullInfo | null> {
    try {
      return parseGitHub(PullSchema, await this.#send(gitRequests.getPull(repo, pull)), 'get pull');
    } catch (err) {
      if (status(err) === 404) return null;
      throw err;
    }
  }

  async createPull(
    repo: string,
    pr: NewPull,
  ): Promise<{ ref: PullRef; info: PullInfo | null } | 'exists'> {
    try {
      const info = parseGitHub(
        PullSchema,
        await this.#send(gitRequests.createPull(repo, pr)),
        'create pull',
      );
      return { ref: { kind: 'github', number: info.number }, info };
    } catch (err) {
      // 422 "A pull request already exists for owner:branch": one was made by a lost answer.
      if (status(err) === 422) return 'exists';
      throw err;
    }
  }

  async updatePull(repo: string, pull: PullRef, patch: PullPatch): Promise<void> {
    const res = await this.#send(gitRequests.updatePull(repo, numberOf(pull), patch));
    parseGitHub(PullSchema, res, 'update pull');
  }

  async addLabels(repo: string, pull: PullRef, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.#send(gitRequests.addLabels(repo, numberOf(pull), labels));
  }

  async requestReviewers(
    repo: string,
    pull: PullRef,
    reviewers: string[],
    teamReviewers: string[],
  ): Promise<boolean> {
    try {
      await this.#send(
        gitRequests.requestReviewers(repo, numberOf(pull), reviewers, teamReviewers),
      );
      return true;
    } catch (err) {
      // 422: a reviewer who is not a collaborator, or the pull request's own author.
      if (status(err) === 422) return false;
      throw err;
    }
  }

  async merge(
    repo: string,
    pull: PullRef,
    sha: string,
    w: { commitTitle?: string },
  ): Promise<MergeOutcome> {
    placeholderFree([sha]);
    try {
      const res = await this.#send(gitRequests.merge(repo, numberOf(pull), sha, w.commitTitle));
      const merged = parseGitHub(MergeResultSchema, res, 'merge');
      return merged.merged ? { outcome: 'merged', sha: merged.sha } : { outcome: 'not_mergeable' };
    } catch (err) {
      // GitHub's documented answers: 409 "Head branch was modified", 405 not mergeable (a
      // draft, a conflict, checks or reviews that branch protection still requires).
      const s = status(err);
      if (s === 409) return { outcome: 'head_changed' };
      if (s === 405) return { outcome: 'not_mergeable' };
      throw err;
    }
  }

  async markReady(
    repo: string,
    pull: PullRef,
    w: WriteKey & { nodeId?: string },
  ): Promise<'ready' | 'not_found'> {
    const n = numberOf(pull);
    let nodeId = w.nodeId;
    if (nodeId === undefined) {
      const info = await this.getPull(repo, n);
      if (info === null) return 'not_found';
      nodeId = info.nodeId;
    }
    placeholderFree([nodeId]);
    const res = await this.#send(gitRequests.markReady(nodeId));
    // GraphQL refuses with 200 and an `errors` list, not with an HTTP status (docs.github.com/
    // graphql/guides/forming-calls-with-graphql), so the client cannot classify it: we do.
    const refused = GraphQLErrorsSchema.safeParse(res.data);
    if (refused.success) {
      const types = [...new Set(refused.data.errors.map((e) => e.type))].slice(0, 5);
      if (types.includes('NOT_FOUND')) return 'not_found';
      const internal = `markPullRequestReadyForReview on ${repo}#${n}: ${types.join(',')}`;
      if (types.includes('RATE_LIMITED')) {
        // The client read the rate-limit headers of this answer: its next request waits for
        // the reset by itself; the queue retries a minute later at the earliest.
        throw new TriageError('github_rate_limited', 'GitHub rate limit reached', {
          retryAfterSeconds: 60,
          internal,
        });
      }
      throw new TriageError('github_rejected', 'GitHub refused the GraphQL request', {
        internal,
      });
    }
    const ready = parseGitHub(MarkReadyAnswerSchema, res, 'mark ready for review').data
      .markPullRequestReadyForReview.pullRequest;
    if (ready.isDraft || ready.id !== nodeId) {
      throw new TriageError('github_invalid_response', 'GitHub did not un-draft the PR', {
        internal: `markPullRequestReadyForReview on ${repo}#${n}: isDraft ${ready.isDraft}`,
      });
    }
    return 'ready';
  }
}

export class OutboxGitDataGateway implements GitDataGateway {
  readonly mode = 'dry-run';
  readonly calls = 0;
  readonly #db: D1Database;
  readonly #now: () => number;

  constructor(db: D1Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async #record(repo: string, w: WriteKey, request: GitHubRequest): Promise<void> {
    await recordOutbox(
      this.#db,
      {
        key: w.key,
        repo,
        purpose: w.purpose,
        request,
        ...(w.dependsOn === undefined ? {} : { dependsOn: w.dependsOn }),
      },
      this.#now(),
    );
  }

  async branchHead(): Promise<string | null> {
    return null;
  }

  async commitTree(): Promise<null> {
    return null;
  }

  async createBlob(repo: string, content: string, sha: string, w: WriteKey): Promise<string> {
    await this.#record(repo, w, gitRequests.createBlob(repo, content));
    return sha;
  }

  async createTree(
    repo: string,
    baseTree: string,
    entries: TreeEntryInput[],
    w: WriteKey,
  ): Promise<string> {
    await this.#record(repo, w, gitRequests.createTree(repo, baseTree, entries));
    return PENDING_TREE_SHA;
  }

  async createCommit(
    repo: string,
    commit: { message: string; tree: string; parents: string[] },
    w: WriteKey,
  ): Promise<string> {
    await this.#record(repo, w, gitRequests.createCommit(repo, commit));
    return PENDING_COMMIT_SHA;
  }

  async createBranch(
    repo: string,
    branch: string,
    sha: string,
    w: WriteKey,
  ): Promise<'created' | 'exists'> {
    await this.#record(repo, w, gitRequests.createRef(repo, branch, sha));
    return 'created';
  }

  async forceBranch(repo: string, branch: string, sha: string, w: WriteKey): Promise<void> {
    await this.#record(repo, w, gitRequests.forceRef(repo, branch, sha));
  }

  async findPulls(): Promise<PullInfo[]> {
    return [];
  }

  async getPull(): Promise<PullInfo | null> {
    return null;
  }

  async createPull(
    repo: string,
    pr: NewPull,
    w: WriteKey,
  ): Promise<{ ref: PullRef; info: PullInfo | null }> {
    await this.#record(repo, w, gitRequests.createPull(repo, pr));
    return { ref: { kind: 'pending', key: w.key }, info: null };
  }

  async updatePull(repo: string, pull: PullRef, patch: PullPatch, w: WriteKey): Promise<void> {
    await this.#record(repo, withPull(w, pull), gitRequests.updatePull(repo, pullId(pull), patch));
  }

  async addLabels(repo: string, pull: PullRef, labels: string[], w: WriteKey): Promise<void> {
    if (labels.length === 0) return;
    await this.#record(repo, withPull(w, pull), gitRequests.addLabels(repo, pullId(pull), labels));
  }

  async requestReviewers(
    repo: string,
    pull: PullRef,
    reviewers: string[],
    teamReviewers: string[],
    w: WriteKey,
  ): Promise<boolean> {
    await this.#record(
      repo,
      withPull(w, pull),
      gitRequests.requestReviewers(repo, pullId(pull), reviewers, teamReviewers),
    );
    return true;
  }

  async merge(
    repo: string,
    pull: PullRef,
    sha: string,
    w: WriteKey & { commitTitle?: string },
  ): Promise<MergeOutcome> {
    await this.#record(
      repo,
      withPull(w, pull),
      gitRequests.merge(repo, pullId(pull), sha, w.commitTitle),
    );
    return { outcome: 'recorded', key: w.key };
  }

  async markReady(
    repo: string,
    pull: PullRef,
    w: WriteKey & { nodeId?: string },
  ): Promise<'recorded'> {
    // The id is GitHub's to assign: the PR's `node_id` from the answer that would create it.
    await this.#record(
      repo,
      withPull(w, pull),
      gitRequests.markReady(w.nodeId ?? PENDING_PULL_NODE_ID),
    );
    return 'recorded';
  }
}

function pullId(ref: PullRef): number | string {
  return ref.kind === 'github' ? ref.number : PENDING_PULL_NUMBER;
}

/** A request on a pending pull request depends on the entry that would have created it. */
function withPull(w: WriteKey, pull: PullRef): WriteKey {
  return pull.kind === 'pending' && w.dependsOn === undefined ? { ...w, dependsOn: pull.key } : w;
}

/** Live with GitHub credentials, dry-run (outbox) without, like `createGitHubGateway`. */
export function createGitDataGateway(
  env: Env,
  config: HomeostatConfig,
  deps: RuntimeDeps,
): GitDataGateway {
  const now = deps.now ?? Date.now;
  const credentials = githubCredentials(env, config, deps);
  if (credentials === null) return new OutboxGitDataGateway(env.DB, now);
  return new LiveGitDataGateway(createGitHubClient(config, credentials, deps));
}
