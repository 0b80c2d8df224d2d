import { TriageError } from '../errors.ts';
import { recordOutbox } from '../outbox/outbox.ts';
import {
  GitHubCommentListSchema,
  type GitHubIssue,
  GitHubIssueListSchema,
  GitHubIssueSchema,
} from './github.schema.ts';
import { type GitHubClient, parseGitHub } from './github-client.ts';
import { type GitHubRequest, PENDING_ISSUE_NUMBER, requests } from './github-request.ts';

/**
 * The GitHub operations triage performs, in two implementations chosen by mode (triage-mode.ts):
 * `LiveGitHubGateway` sends them through the client; `OutboxGitHubGateway` (dry-run) records
 * each write in the outbox and answers reads with "nothing known", since without credentials
 * there is no GitHub state to read. Callers pass an idempotency `key` with every write; the live
 * gateway does not need it (its idempotency comes from D1 claims and markers), the outbox does.
 */

/** An issue on GitHub, or one that exists only as an outbox entry in dry-run mode. */
export type IssueRef = { kind: 'github'; number: number } | { kind: 'pending'; key: string };

export interface NewIssue {
  title: string;
  body: string;
  labels: string[];
}

export interface GitHubGateway {
  readonly mode: 'live' | 'dry-run';
  /** Issues (not pull requests) carrying every label, open or closed, newest first. */
  findIssues(repo: string, labels: string[]): Promise<GitHubIssue[]>;
  getIssue(repo: string, issueNumber: number): Promise<GitHubIssue | null>;
  createIssue(repo: string, issue: NewIssue, key: string): Promise<IssueRef>;
  updateIssue(
    repo: string,
    ref: IssueRef,
    patch: { title?: string; body?: string; state?: 'open' | 'closed' },
    key: string,
  ): Promise<void>;
  addLabels(repo: string, ref: IssueRef, labels: string[], key: string): Promise<void>;
  removeLabel(repo: string, ref: IssueRef, label: string, key: string): Promise<void>;
  /** Bodies of the issue's comments (to find Homeostat's markers before commenting again). */
  commentBodies(repo: string, ref: IssueRef): Promise<string[]>;
  createComment(repo: string, ref: IssueRef, body: string, key: string): Promise<void>;
}

const MAX_PAGES = 3;

function githubNumber(ref: IssueRef): number {
  if (ref.kind === 'github') return ref.number;
  // A dry-run issue reached a live gateway: the caller must create it on GitHub first.
  throw new TriageError('github_rejected', 'issue exists only in the dry-run outbox', {
    internal: `pending issue ${ref.key} used in live mode`,
  });
}

export class LiveGitHubGateway implements GitHubGateway {
  readonly mode = 'live';
  readonly #client: GitHubClient;

  constructor(client: GitHubClient) {
    this.#client = client;
  }

  async findIssues(repo: string, labels: string[]): Promise<GitHubIssue[]> {
    const out: GitHubIssue[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await this.#client.send(
        requests.listIssues(repo, { labels, state: 'all', page }),
      );
      const items = parseGitHub(GitHubIssueListSchema, res, 'list issues');
      out.push(...items.filter((i) => i.pull_request === undefined));
      if (items.length < 100) break;
    }
    return out;
  }

  async getIssue(repo: string, issueNumber: number): Promise<GitHubIssue | null> {
    try {
      const res = await this.#client.send(requests.getIssue(repo, issueNumber));
      return parseGitHub(GitHubIssueSchema, res, 'get issue');
    } catch (err) {
      // 404: deleted or transferred; 410: issues disabled. Either way there is no issue to act on.
      if (
        err instanceof TriageError &&
        (err.upstreamStatus === 404 || err.upstreamStatus === 410)
      ) {
        return null;
      }
      throw err;
    }
  }

  async createIssue(repo: string, issue: NewIssue): Promise<IssueRef> {
    const res = await this.#client.send(requests.createIssue(repo, issue));
    return { kind: 'github', number: parseGitHub(GitHubIssueSchema, res, 'create issue').number };
  }

  async updateIssue(
    repo: string,
    ref: IssueRef,
    patch: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<void> {
    const res = await this.#client.send(requests.updateIssue(repo, githubNumber(ref), patch));
    parseGitHub(GitHubIssueSchema, res, 'update issue');
  }

  async addLabels(repo: string, ref: IssueRef, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.#client.send(requests.addLabels(repo, githubNumber(ref), labels));
  }

  async removeLabel(repo: string, ref: IssueRef, label: string): Promise<void> {
    try {
      await this.#client.send(requests.removeLabel(repo, githubNumber(ref), label));
    } catch (err) {
      // Already gone: the state we wanted.
      if (!(err instanceof TriageError && err.upstreamStatus === 404)) throw err;
    }
  }

  async commentBodies(repo: string, ref: IssueRef): Promise<string[]> {
    const out: string[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await this.#client.send(requests.listComments(repo, githubNumber(ref), { page }));
      const items = parseGitHub(GitHubCommentListSchema, res, 'list comments');
      out.push(...items.map((c) => c.body ?? ''));
      if (items.length < 100) break;
    }
    return out;
  }

  async createComment(repo: string, ref: IssueRef, body: string): Promise<void> {
    await this.#client.send(requests.createComment(repo, githubNumber(ref), body));
  }
}

export class OutboxGitHubGateway implements GitHubGateway {
  readonly mode = 'dry-run';
  readonly #db: D1Database;
  readonly #now: () => number;

  constructor(db: D1Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async #record(
    repo: string,
    key: string,
    purpose: string,
    ref: IssueRef | undefined,
    request: GitHubRequest,
  ): Promise<void> {
    await recordOutbox(
      this.#db,
      {
        key,
        repo,
        purpose,
        request,
        ...(ref?.kind === 'pending' ? { dependsOn: ref.key } : {}),
      },
      this.#now(),
    );
  }

  async findIssues(): Promise<GitHubIssue[]> {
    return [];
  }

  async getIssue(): Promise<GitHubIssue | null> {
    return null;
  }

  async createIssue(repo: string, issue: NewIssue, key: string): Promise<IssueRef> {
    await this.#record(repo, key, 'create_issue', undefined, requests.createIssue(repo, issue));
    return { kind: 'pending', key };
  }

  async updateIssue(
    repo: string,
    ref: IssueRef,
    patch: { title?: string; body?: string; state?: 'open' | 'closed' },
    key: string,
  ): Promise<void> {
    await this.#record(
      repo,
      key,
      'update_issue',
      ref,
      requests.updateIssue(repo, numberOf(ref), patch),
    );
  }

  async addLabels(repo: string, ref: IssueRef, labels: string[], key: string): Promise<void> {
    if (labels.length === 0) return;
    await this.#record(
      repo,
      key,
      'add_labels',
      ref,
      requests.addLabels(repo, numberOf(ref), labels),
    );
  }

  async removeLabel(repo: string, ref: IssueRef, label: string, key: string): Promise<void> {
    await this.#record(
      repo,
      key,
      'remove_label',
      ref,
      requests.removeLabel(repo, numberOf(ref), label),
    );
  }

  async commentBodies(): Promise<string[]> {
    return [];
  }

  async createComment(repo: string, ref: IssueRef, body: string, key: string): Promise<void> {
    await this.#record(
      repo,
      key,
      'create_comment',
      ref,
      requests.createComment(repo, numberOf(ref), body),
    );
  }
}

function numberOf(ref: IssueRef): number | string {
  return ref.kind === 'github' ? ref.number : PENDING_ISSUE_NUMBER;
}
