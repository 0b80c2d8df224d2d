import { type CommitObject, fromBase64, GitStore, type TreeEntry, toBase64 } from './git-store.ts';
import { type AppRegistration, accessTokensInstallation, GitHubApps } from './github-apps.ts';
import {
  type AuthorAssociation,
  annotationObject,
  type CheckAnnotationState,
  type CheckRunState,
  type CheckSuiteState,
  type CommentState,
  type CommitStatusState,
  checkRunObject,
  checkSuiteObject,
  commentObject,
  commitObject,
  commitStatusObject,
  gitCommitObject,
  graphqlUrl,
  type IssueState,
  issueObject,
  type LabelState,
  labelObject,
  type PullForCheck,
  type PullState,
  pullNodeId,
  pullObject,
  type RepoState,
  refObject,
  repositoryObject,
  repoUrls,
  type Urls,
  type UserState,
  userObject,
  type WorkflowState,
} from './github-objects.ts';
import {
  checkRunWebhookObject,
  type EmulatorEventListener,
  installationObject,
  organizationObject,
  PUSH_COMMITS_LIMIT,
  pushCommitObject,
  pushRepositoryObject,
  statusCommitObject,
  type WebhookEventName,
  workflowObject,
  workflowRunObject,
  ZERO_SHA,
} from './webhook-payloads.ts';

/**
 * An in-process GitHub REST API for tests: a `(Request) => Promise<Response>` handler that keeps
 * state the way GitHub does for the endpoints Homeostat uses — issues (numbered together with
 * pull requests, labels auto-created on use, closing records who closed), comments, labels, file
 * contents, git refs/blobs/trees/commits (hashed as git hashes them), pull requests and merges,
 * check runs and suites. It also emits GitHub's rate-limit headers, enforces a primary quota when
 * a test sets one, requires the configured token, and lets a test inject faults (secondary rate
 * limits, 5xx). Wrap it in `validatingFetch` so every exchange is checked against GitHub's OpenAPI
 * description (issue 5, item 9).
 */

export interface EmulatorOptions {
  /** API base URL the client is configured with, e.g. https://api.github.com or …/api/v3. */
  baseUrl?: string;
  htmlUrl?: string;
  /** When set, every request must carry `Authorization: Bearer|token <token>`. */
  token?: string;
  /** The account the token belongs to (acts on every write made through the API). */
  actor?: { login: string; type: 'User' | 'Bot' };
  now?: () => number;
  /** The GitHub App installation webhook deliveries name (issue 10, item 7); default 1. */
  installationId?: number;
  /**
   * Entries a recursive tree listing may hold before GitHub cuts it and says `truncated: true`
   * (GitHub's limit is 100,000 entries or 7 MB; a test sets a small one).
   */
  maxTreeEntries?: number;
}

export interface Fault {
  method?: string;
  /** Matched against the path after the base URL, e.g. /^\/repos\/[^/]+\/[^/]+\/issues$/. */
  path?: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests receive this fault; default 1. */
  times?: number;
  /**
   * GitHub acts on the request but the answer is lost (a timeout or proxy error on the way
   * back): the state changes and the client still sees the fault. The case that makes blind
   * retries of creates dangerous.
   */
  afterHandling?: boolean;
  /**
   * No answer at all (issue 11, item 4): the request stays open until the client's own signal
   * aborts it, as a hung GitHub would. With `afterHandling`, GitHub acted first.
   */
  hang?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

interface Repo {
  state: RepoState;
  git: GitStore;
  issues: Map<number, IssueState>;
  comments: Map<number, CommentState>;
  labels: Map<string, LabelState>; // by lowercased name: GitHub label names are case-insensitive
  pulls: Map<number, PullState>;
  suites: Map<number, CheckSuiteState>;
  runs: Map<number, CheckRunState>;
  statuses: CommitStatusState[];
  nextNumber: number;
}

interface Ctx {
  repo: Repo;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  url: URL;
}

type Handler = (ctx: Ctx) => Promise<Response> | Response;

/** A repository role (GitHub's base roles; custom roles are not emulated). */
export type CollaboratorRole = 'read' | 'triage' | 'write' | 'maintain' | 'admin';

const DOCS = 'https://docs.github.com/rest';

class HttpError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.message));
    this.status = status;
    this.body = body;
  }
}

function notFound(): HttpError {
  return new HttpError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
}

function invalid(resource: string, field: string, code: string, message?: string): HttpError {
  return new HttpError(422, {
    message: 'Validation Failed',
    errors: [{ resource, field, code, ...(message === undefined ? {} : { message }) }],
    documentation_url: DOCS,
    status: '422',
  });
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

/** How GitHub's GraphQL refuses: 200, `errors`, and `data` null or partial. */
function graphqlErrors(errors: Record<string, unknown>[], data: unknown = null): Response {
  return json(200, { data, errors });
}

function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' ? v : undefined;
}

function labelNames(value: unknown): string[] {
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && 'labels' in value
      ? (value as { labels: unknown }).labels
      : [];
  if (!Array.isArray(list)) return [];
  return list.flatMap((l: unknown) => {
    if (typeof l === 'string') return [l];
    if (typeof l === 'object' && l !== null && typeof (l as { name?: unknown }).name === 'string') {
      return [(l as { name: string }).name];
    }
    return [];
  });
}

/** A check run's fields as the local CI sets them: the API's body, camel-cased. */
export interface CheckRunInput {
  status?: CheckRunState['status'];
  conclusion?: NonNullable<CheckRunState['conclusion']>;
  detailsUrl?: string;
  externalId?: string;
  output?: {
    title: string;
    summary: string;
    text?: string;
    annotations?: (Omit<CheckAnnotationState, 'title' | 'rawDetails'> & {
      title?: string;
      rawDetails?: string;
    })[];
  };
}

/** The GitHub Actions workflow a check run is a job of. */
export interface WorkflowInput {
  name: string;
  /** e.g. .github/workflows/ci.yml */
  path: string;
  /** What triggered it: pull_request, push … */
  event: string;
  /** Who triggered it; default the app. */
  actor?: UserState;
  /** Default: the head commit's first line. */
  displayTitle?: string;
}

function checkRunBody(input: CheckRunInput): Record<string, unknown> {
  const o = input.output;
  return {
    ...(input.status === undefined ? {} : { status: input.status }),
    ...(input.conclusion === undefined ? {} : { conclusion: input.conclusion }),
    ...(input.detailsUrl === undefined ? {} : { details_url: input.detailsUrl }),
    ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    ...(o === undefined
      ? {}
      : {
          output: {
            title: o.title,
            summary: o.summary,
            ...(o.text === undefined ? {} : { text: o.text }),
            ...(o.annotations === undefined
              ? {}
              : {
                  annotations: o.annotations.map((a) => ({
                    path: a.path,
                    start_line: a.startLine,
                    end_line: a.endLine,
                    annotation_level: a.level,
                    message: a.message,
                    ...(a.title === undefined ? {} : { title: a.title }),
                    ...(a.rawDetails === undefined ? {} : { raw_details: a.rawDetails }),
                  })),
                }),
          },
        }),
  };
}

/** GitHub takes at most 50 annotations per create/update request (REST docs, "Create a check run"). */
const MAX_ANNOTATIONS_PER_REQUEST = 50;

function annotationsOf(output: Record<string, unknown>): CheckAnnotationState[] {
  const raw = output.annotations;
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_ANNOTATIONS_PER_REQUEST) {
    throw invalid('CheckRun', 'output.annotations', 'invalid');
  }
  return raw.map((a: unknown) => {
    const e = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
    const path = str(e, 'path');
    const message = str(e, 'message');
    const level = str(e, 'annotation_level');
    const start = e.start_line;
    const end = e.end_line;
    if (
      path === undefined ||
      message === undefined ||
      typeof start !== 'number' ||
      typeof end !== 'number' ||
      (level !== 'notice' && level !== 'warning' && level !== 'failure')
    ) {
      throw invalid('CheckRun', 'output.annotations', 'invalid');
    }
    return {
      path,
      startLine: start,
      endLine: end,
      level,
      message,
      title: str(e, 'title') ?? null,
      rawDetails: str(e, 'raw_details') ?? null,
    };
  });
}

export class GitHubEmulator {
  readonly urls: Urls;
  readonly #token: string | undefined;
  /** The pathname GraphQL is served at (graphqlUrl: differs from REST's on GHES). */
  readonly #graphqlPath: string;
  readonly #now: () => number;
  readonly #maxTreeEntries: number;
  readonly #repos = new Map<string, Repo>();
  readonly #routes: { method: string; regex: RegExp; names: string[]; handler: Handler }[] = [];
  readonly #faults: Fault[] = [];
  readonly actor: UserState;
  readonly requests: LoggedRequest[] = [];
  /** The GitHub Actions app: owner of the local CI's check runs (test/emulators/github/local-ci.ts). */
  readonly actionsApp: UserState = { id: 15368, login: 'github-actions[bot]', type: 'Bot' };
  readonly #listeners = new Set<EmulatorEventListener>();
  readonly #humans = new Map<string, UserState>();
  readonly #workflows = new Map<string, { id: number; runs: number }>();
  /** Collaborators' roles by repository id, then lower-cased login (`setCollaborator`). */
  readonly #collaborators = new Map<number, Map<string, CollaboratorRole>>();
  readonly #installationId: number;
  /** GitHub Apps and the installation tokens they were issued (`addApp`, github-apps.ts). */
  readonly #apps: GitHubApps;
  #nextId = 1000;
  #rate = { limit: 5000, remaining: 5000, resetAt: 0 };

  constructor(options: EmulatorOptions = {}) {
    this.urls = {
      api: (options.baseUrl ?? 'https://api.github.com').replace(/\/$/, ''),
      html: options.htmlUrl ?? 'https://github.com',
    };
    this.#token = options.token;
    this.#graphqlPath = new URL(graphqlUrl(this.urls.api)).pathname;
    this.#now = options.now ?? Date.now;
    this.#installationId = options.installationId ?? 1;
    this.#apps = new GitHubApps(this.#now);
    this.#maxTreeEntries = options.maxTreeEntries ?? 100_000;
    this.actor = {
      id: this.#id(),
      login: options.actor?.login ?? 'homeostat[bot]',
      type: options.actor?.type ?? 'Bot',
    };
    this.#rate.resetAt = Math.floor(this.#now() / 1000) + 3600;
    this.#defineRoutes();
  }

  #id(): number {
    return this.#nextId++;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  // ---- test-facing API ------------------------------------------------------------------------

  /** The handler to give the client (`fetch`); wrap with `validatingFetch` in tests. */
  readonly fetch = (request: Request): Promise<Response> => this.#handle(request);

  /** Creates a repository with an initial commit holding `files` on the default branch. */
  async addRepo(
    slug: string,
    options: {
      defaultBranch?: string;
      /** Text is stored as UTF-8; bytes as given (binary files). */
      files?: Record<string, string | Uint8Array>;
      /** Git file modes other than 100644, by path: executables and symbolic links. */
      modes?: Record<string, '100755' | '120000'>;
      message?: string;
      /** A repository that already has issues: numbering continues from here (default 1). */
      firstIssueNumber?: number;
    } = {},
  ): Promise<string> {
    const [owner = '', name = ''] = slug.split('/');
    const repo: Repo = {
      state: {
        id: this.#id(),
        owner: { id: this.#id(), login: owner, type: 'Organization' },
        name,
        defaultBranch: options.defaultBranch ?? 'main',
        createdAt: this.#iso(),
      },
      git: new GitStore(),
      issues: new Map(),
      comments: new Map(),
      labels: new Map(),
      pulls: new Map(),
      suites: new Map(),
      runs: new Map(),
      statuses: [],
      nextNumber: options.firstIssueNumber ?? 1,
    };
    const files = new Map<string, TreeEntry>();
    for (const [path, content] of Object.entries(options.files ?? { 'README.md': `# ${name}\n` })) {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      const sha = await repo.git.putBlob(bytes);
      files.set(path, { path, mode: options.modes?.[path] ?? '100644', type: 'blob', sha });
    }
    const tree = await repo.git.buildTree(files);
    const author = { name: 'Octo Cat', email: 'octocat@example.com', date: this.#iso() };
    const commit = await repo.git.putCommit({
      tree,
      parents: [],
      message: options.message ?? 'Initial commit',
      author,
      committer: author,
    });
    repo.git.refs.set(`refs/heads/${repo.state.defaultBranch}`, commit.sha);
    this.#repos.set(slug.toLowerCase(), repo);
    return commit.sha;
  }

  /**
   * Registers a GitHub App installed on `repos` (issue 12, section 3). From then on every request
   * needs the configured token or a live installation token, and an installation token reaches
   * only its installation's repositories (404 elsewhere, as GitHub hides what a token cannot see).
   */
  addApp(registration: AppRegistration): Promise<void> {
    return this.#apps.add(registration);
  }

  /** Revokes an installation's tokens (the next request with one gets 401). */
  revokeAppTokens(installationId: number): void {
    this.#apps.revoke(installationId);
  }

  /** How many installation tokens were issued. */
  get appTokensIssued(): number {
    return this.#apps.issued;
  }

  injectFault(fault: Fault): void {
    this.#faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** Sets the primary rate limit, as `GET /rate_limit` would report it. */
  setRateLimit(rate: { limit?: number; remaining: number; resetAt?: number }): void {
    this.#rate = {
      limit: rate.limit ?? this.#rate.limit,
      remaining: rate.remaining,
      resetAt: rate.resetAt ?? this.#rate.resetAt,
    };
  }

  #repo(slug: string): Repo {
    const repo = this.#repos.get(slug.toLowerCase());
    if (repo === undefined) throw new Error(`emulator has no repository ${slug}`);
    return repo;
  }

  /** Issues (not pull requests) of a repository, in creation order. */
  issues(slug: string): (IssueState & { labels: string[] })[] {
    return [...this.#repo(slug).issues.values()].filter((i) => !i.pullRequest);
  }

  issue(slug: string, number: number): IssueState {
    const issue = this.#repo(slug).issues.get(number);
    if (issue === undefined) throw new Error(`no issue #${number} in ${slug}`);
    return issue;
  }

  comments(slug: string, number: number): CommentState[] {
    return [...this.#repo(slug).comments.values()].filter((c) => c.issueNumber === number);
  }

  /** Gives a person a role on the repository (null: none), as its settings page would. */
  setCollaborator(slug: string, login: string, role: CollaboratorRole | null): void {
    const id = this.#repo(slug).state.id;
    const roles = this.#collaborators.get(id) ?? new Map<string, CollaboratorRole>();
    if (role === null) roles.delete(login.toLowerCase());
    else roles.set(login.toLowerCase(), role);
    this.#collaborators.set(id, roles);
  }

  /** A person acting on the web UI: these change state without going through the client. */
  humanCloses(slug: string, number: number, login = 'octocat'): void {
    const repo = this.#repo(slug);
    const issue = this.issue(slug, number);
    issue.state = 'closed';
    issue.stateReason = 'completed';
    issue.closedAt = this.#iso();
    issue.closedBy = this.#human(login);
    this.#stateEvent(repo, issue, 'closed', issue.closedBy);
  }

  humanLabels(slug: string, number: number, label: string, login = 'octocat'): void {
    const repo = this.#repo(slug);
    const [created] = this.#ensureLabels(repo, [label]);
    const issue = this.issue(slug, number);
    if (!issue.labels.some((l) => l.toLowerCase() === label.toLowerCase())) {
      issue.labels.push(label);
      if (created !== undefined)
        this.#labelEvent(repo, issue, created, 'labeled', this.#human(login));
    }
  }

  humanComments(
    slug: string,
    number: number,
    body: string,
    association: AuthorAssociation = 'OWNER',
    login = 'octocat',
  ): CommentState {
    const repo = this.#repo(slug);
    return this.#comment(repo, number, body, this.#human(login), association);
  }

  /**
   * A person pushes one commit to `branch` (created from the default branch when missing):
   * `files` maps paths to new contents, `null` deletes. Fires `push` and, for an open pull
   * request with that head, `pull_request.synchronize`. Returns the commit SHA.
   */
  async humanPushes(
    slug: string,
    branch: string,
    files: Record<string, string | Uint8Array | null>,
    options: { login?: string; message?: string } = {},
  ): Promise<string> {
    const repo = this.#repo(slug);
    const user = this.#human(options.login ?? 'octocat');
    const ref = `refs/heads/${branch}`;
    const before = repo.git.refs.get(ref);
    const parent = repo.git.commits.get(
      before ?? repo.git.refs.get(`refs/heads/${repo.state.defaultBranch}`) ?? '',
    );
    if (parent === undefined) throw new Error(`no branch to push on in ${slug}`);
    const tree = repo.git.flatten(parent.tree);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) {
        tree.delete(path);
        continue;
      }
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      const sha = await repo.git.putBlob(bytes);
      tree.set(path, { path, mode: tree.get(path)?.mode ?? '100644', type: 'blob', sha });
    }
    const author = { name: user.login, email: this.#noreply(user), date: this.#iso() };
    const commit = await repo.git.putCommit({
      tree: await repo.git.buildTree(tree),
      parents: [parent.sha],
      message: options.message ?? `Update ${Object.keys(files).join(', ')}`,
      author,
      committer: author,
    });
    repo.git.refs.set(ref, commit.sha);
    this.#pushEvent(repo, ref, before ?? ZERO_SHA, commit.sha, user, false);
    return commit.sha;
  }

  /** A person opens a pull request on the web (the head branch must exist). */
  humanOpensPr(
    slug: string,
    pr: { head: string; base?: string; title: string; body?: string; draft?: boolean },
    login = 'octocat',
  ): number {
    const repo = this.#repo(slug);
    const user = this.#human(login);
    const base = pr.base ?? repo.state.defaultBranch;
    if (!repo.git.refs.has(`refs/heads/${pr.head}`)) throw new Error(`no branch ${pr.head}`);
    const issue = this.#newIssue(repo, pr.title, pr.body ?? null, [], true, user);
    const pull: PullState = {
      id: this.#id(),
      number: issue.number,
      head: pr.head,
      base,
      draft: pr.draft === true,
      merged: false,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
    };
    repo.pulls.set(pull.number, pull);
    this.#pullEvent(repo, pull, 'opened', user);
    return pull.number;
  }

  /** A person presses "Merge pull request" (whatever the checks say). Returns the merge SHA. */
  async humanMerges(
    slug: string,
    number: number,
    login = 'octocat',
    method: 'merge' | 'squash' | 'rebase' = 'merge',
  ): Promise<string> {
    const repo = this.#repo(slug);
    const { pull, issue } = this.#pullAndIssue(repo, number);
    const merged = await this.#merge(repo, pull, issue, this.#human(login), {
      merge_method: method,
    });
    return merged.sha;
  }

  /** A person closes a pull request without merging it. */
  humanClosesPr(slug: string, number: number, login = 'octocat'): void {
    const repo = this.#repo(slug);
    const { pull, issue } = this.#pullAndIssue(repo, number);
    if (issue.state !== 'open') return;
    issue.state = 'closed';
    issue.closedAt = this.#iso();
    issue.closedBy = this.#human(login);
    issue.updatedAt = issue.closedAt;
    this.#pullEvent(repo, pull, 'closed', issue.closedBy);
  }

  /**
   * A person presses "Ready for review" (GitHub's REST API has no such call: clients use the
   * GraphQL `markPullRequestReadyForReview` mutation, served by `#graphql`).
   */
  humanMarksReady(slug: string, number: number, login = 'octocat'): void {
    const repo = this.#repo(slug);
    const { pull } = this.#pullAndIssue(repo, number);
    if (!pull.draft) return;
    pull.draft = false;
    this.#pullEvent(repo, pull, 'ready_for_review', this.#human(login));
  }

  // ---- webhooks and the CI's side of the checks API -------------------------------------------

  /**
   * Subscribes to what GitHub would send as webhooks when state changes through the API or a
   * human action (issue 10, item 7). Listeners run synchronously inside the change, so they must
   * only queue work (test/emulators/github/webhook-sender.ts, local-ci.ts). Returns unsubscribe.
   */
  onEvent(listener: EmulatorEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The repository's git objects and refs, for tests and the local CI (read, do not write). */
  git(slug: string): GitStore {
    return this.#repo(slug).git;
  }

  pull(slug: string, number: number): PullState & { headSha: string; state: 'open' | 'closed' } {
    const repo = this.#repo(slug);
    const { pull, issue } = this.#pullAndIssue(repo, number);
    const headSha = repo.git.refs.get(`refs/heads/${pull.head}`) ?? pull.mergeCommitSha ?? '';
    return { ...pull, headSha, state: issue.state };
  }

  /** Open pull requests whose head branch is `branch`. */
  openPullsWithHead(slug: string, branch: string): number[] {
    const repo = this.#repo(slug);
    return [...repo.pulls.values()]
      .filter((p) => p.head === branch && repo.issues.get(p.number)?.state === 'open')
      .map((p) => p.number);
  }

  checkRuns(slug: string, headSha?: string): CheckRunState[] {
    return [...this.#repo(slug).runs.values()].filter(
      (r) => headSha === undefined || r.headSha === headSha,
    );
  }

  commitStatuses(slug: string, sha?: string): CommitStatusState[] {
    return this.#repo(slug).statuses.filter((st) => sha === undefined || st.sha === sha);
  }

  /**
   * Creates a check run as `POST /check-runs` does, owned by `app` (default: the token's
   * account), without going through the API: the local CI is GitHub itself, not a client, so it
   * spends no rate limit and leaves no entry in `requests`. `workflow` makes the run a job of a
   * GitHub Actions workflow run (one check suite per workflow run), which adds `workflow_run`
   * deliveries.
   */
  createCheckRun(
    slug: string,
    input: CheckRunInput & { name: string; headSha: string; workflow?: WorkflowInput },
    app: UserState = this.actor,
  ): CheckRunState {
    const repo = this.#repo(slug);
    return this.#createRun(
      repo,
      { ...checkRunBody(input), name: input.name, head_sha: input.headSha },
      app,
      input.workflow,
    );
  }

  /** Updates a check run as `PATCH /check-runs/{id}` does (annotations are appended). */
  updateCheckRun(slug: string, id: number, input: CheckRunInput): CheckRunState {
    const repo = this.#repo(slug);
    const run = repo.runs.get(id);
    if (run === undefined) throw new Error(`no check run ${id} in ${slug}`);
    this.#updateRun(repo, run, checkRunBody(input));
    return run;
  }

  /** Sets a commit status as `POST /statuses/{sha}` does, by `creator` (default the token's). */
  setCommitStatus(
    slug: string,
    sha: string,
    input: {
      state: CommitStatusState['state'];
      context?: string;
      description?: string;
      targetUrl?: string;
    },
    creator: UserState = this.actor,
  ): CommitStatusState {
    const repo = this.#repo(slug);
    return this.#setStatus(
      repo,
      sha,
      {
        state: input.state,
        context: input.context,
        description: input.description,
        target_url: input.targetUrl,
      },
      creator,
    );
  }

  #human(login: string): UserState {
    let user = this.#humans.get(login);
    if (user === undefined) {
      user = { id: this.#id(), login, type: 'User' };
      this.#humans.set(login, user);
    }
    return user;
  }

  #noreply(user: UserState): string {
    // GitHub writes `<id>+<login>@users.noreply.github.com`; a bot's `[bot]` suffix is left out
    // because the description types the field as an email address.
    return `${user.id}+${user.login.replace(/\[bot\]$/, '')}@users.noreply.github.com`;
  }

  #pullAndIssue(repo: Repo, number: number): { pull: PullState; issue: IssueState } {
    const pull = repo.pulls.get(number);
    const issue = repo.issues.get(number);
    if (pull === undefined || issue === undefined) {
      throw new Error(`no pull request #${number} in ${repoUrls(repo.state, this.urls).fullName}`);
    }
    return { pull, issue };
  }

  #emit(repo: Repo, name: WebhookEventName, payload: Record<string, unknown>, sender: UserState) {
    if (this.#listeners.size === 0) return;
    const owner = repo.state.owner;
    const event = {
      name,
      repo: repoUrls(repo.state, this.urls).fullName,
      payload: {
        ...payload,
        repository:
          payload.repository ?? repositoryObject(repo.state, this.urls, this.#openIssues(repo)),
        ...(owner.type === 'Organization'
          ? { organization: organizationObject(owner, this.urls) }
          : {}),
        sender: userObject(sender, this.urls),
        installation: installationObject(this.#installationId),
      },
    };
    for (const listener of this.#listeners) listener(event);
  }

  #pullEvent(
    repo: Repo,
    pull: PullState,
    action: string,
    sender: UserState,
    extra: Record<string, unknown> = {},
  ): void {
    this.#emit(
      repo,
      'pull_request',
      { action, number: pull.number, pull_request: this.#pullJson(repo, pull), ...extra },
      sender,
    );
  }

  /** An issue or pull request closed or reopened: GitHub names the event after which it is. */
  #stateEvent(repo: Repo, issue: IssueState, action: 'closed' | 'reopened', sender: UserState) {
    const pull = repo.pulls.get(issue.number);
    if (pull !== undefined) this.#pullEvent(repo, pull, action, sender);
    else this.#emit(repo, 'issues', { action, issue: this.#issueJson(repo, issue) }, sender);
  }

  #labelEvent(
    repo: Repo,
    issue: IssueState,
    label: LabelState,
    action: 'labeled' | 'unlabeled',
    sender: UserState,
  ): void {
    const extra = { label: labelObject(label, repo.state, this.urls) };
    const pull = repo.pulls.get(issue.number);
    if (pull !== undefined) this.#pullEvent(repo, pull, action, sender, extra);
    else
      this.#emit(repo, 'issues', { action, issue: this.#issueJson(repo, issue), ...extra }, sender);
  }

  /** Files a commit added, removed and modified against its first parent. */
  #changes(repo: Repo, commit: CommitObject) {
    const after = repo.git.flatten(commit.tree);
    const parent = repo.git.commits.get(commit.parents[0] ?? '');
    const before =
      parent === undefined ? new Map<string, TreeEntry>() : repo.git.flatten(parent.tree);
    return {
      added: [...after.keys()].filter((p) => !before.has(p)),
      removed: [...before.keys()].filter((p) => !after.has(p)),
      modified: [...after]
        .filter(([p, e]) => before.has(p) && before.get(p)?.sha !== e.sha)
        .map(([p]) => p),
    };
  }

  /**
   * `push`, then `pull_request.synchronize` for every open pull request whose head moved. The
   * commits listed are those `after` brought that `before` (or, for a new ref, any other ref)
   * did not have, oldest first, at most 20 as GitHub lists them.
   */
  #pushEvent(
    repo: Repo,
    ref: string,
    before: string,
    after: string,
    sender: UserState,
    forced: boolean,
  ): void {
    const created = before === ZERO_SHA;
    const deleted = after === ZERO_SHA;
    const known = new Set<string>();
    const roots = created
      ? [...repo.git.refs].filter(([r]) => r !== ref).map(([, sha]) => sha)
      : [before];
    const stack = [...roots];
    while (stack.length > 0) {
      const sha = stack.pop();
      if (sha === undefined || known.has(sha)) continue;
      known.add(sha);
      stack.push(...(repo.git.commits.get(sha)?.parents ?? []));
    }
    const fresh: CommitObject[] = [];
    const walk = deleted ? [] : [after];
    const seen = new Set<string>();
    while (walk.length > 0) {
      const sha = walk.shift();
      const commit = sha === undefined ? undefined : repo.git.commits.get(sha);
      if (commit === undefined || seen.has(commit.sha) || known.has(commit.sha)) continue;
      seen.add(commit.sha);
      fresh.push(commit);
      walk.push(...commit.parents);
    }
    const commits = fresh.reverse().slice(-PUSH_COMMITS_LIMIT);
    const head = deleted ? undefined : repo.git.commits.get(after);
    const { html } = repoUrls(repo.state, this.urls);
    const short = ref.replace(/^refs\/(heads|tags)\//, '');
    this.#emit(
      repo,
      'push',
      {
        ref,
        before,
        after,
        created,
        deleted,
        forced,
        base_ref: null,
        compare: created
          ? `${html}/compare/${short}`
          : `${html}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
        commits: commits.map((c) =>
          pushCommitObject(c, repo.state, this.urls, this.#changes(repo, c), true),
        ),
        head_commit:
          head === undefined
            ? null
            : pushCommitObject(head, repo.state, this.urls, this.#changes(repo, head), true),
        repository: pushRepositoryObject(repo.state, this.urls, this.#openIssues(repo)),
        pusher: { name: sender.login, email: this.#noreply(sender) },
      },
      sender,
    );
    if (deleted || !ref.startsWith('refs/heads/')) return;
    for (const pull of repo.pulls.values()) {
      if (`refs/heads/${pull.head}` === ref && repo.issues.get(pull.number)?.state === 'open') {
        this.#pullEvent(repo, pull, 'synchronize', sender, { before, after });
      }
    }
  }

  #checkRunEvent(repo: Repo, run: CheckRunState, action: 'created' | 'completed'): void {
    const suite = repo.suites.get(run.suiteId);
    if (suite === undefined) return;
    const app = run.app ?? this.actor;
    this.#emit(
      repo,
      'check_run',
      {
        action,
        check_run: checkRunWebhookObject(
          run,
          suite,
          this.#suiteRuns(repo, suite),
          repo.git.commits.get(suite.headSha),
          repo.state,
          app,
          this.#pullsForSha(repo, run.headSha),
          this.urls,
          this.#openIssues(repo),
        ),
      },
      app,
    );
  }

  #suiteRuns(repo: Repo, suite: CheckSuiteState): CheckRunState[] {
    return [...repo.runs.values()].filter((r) => r.suiteId === suite.id);
  }

  #workflowRunEvent(repo: Repo, suite: CheckSuiteState, action: 'requested' | 'completed') {
    const workflow = suite.workflow;
    if (workflow === undefined) return;
    const app = suite.app ?? this.actor;
    this.#emit(
      repo,
      'workflow_run',
      {
        action,
        workflow: workflowObject(workflow, repo.state, this.urls, repo.state.createdAt),
        workflow_run: workflowRunObject(
          { ...suite, workflow },
          this.#suiteRuns(repo, suite),
          repo.git.commits.get(suite.headSha),
          repo.state,
          app,
          this.#pullsForSha(repo, suite.headSha),
          this.urls,
          this.#openIssues(repo),
        ),
      },
      app,
    );
  }

  /** `check_run.completed`, then the suite's (and workflow run's) completion once all are done. */
  #runCompleted(repo: Repo, run: CheckRunState): void {
    this.#checkRunEvent(repo, run, 'completed');
    const suite = repo.suites.get(run.suiteId);
    if (suite === undefined) return;
    const runs = this.#suiteRuns(repo, suite);
    if (!runs.every((r) => r.status === 'completed')) return;
    const app = suite.app ?? this.actor;
    this.#emit(
      repo,
      'check_suite',
      {
        action: 'completed',
        check_suite: checkSuiteObject(
          suite,
          runs,
          repo.git.commits.get(suite.headSha),
          repo.state,
          app,
          this.#pullsForSha(repo, suite.headSha),
          this.urls,
          this.#openIssues(repo),
        ),
      },
      app,
    );
    this.#workflowRunEvent(repo, suite, 'completed');
  }

  // ---- request handling -----------------------------------------------------------------------

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const basePath = new URL(this.urls.api).pathname.replace(/\/$/, '');
    const path = url.pathname.startsWith(basePath)
      ? url.pathname.slice(basePath.length)
      : url.pathname;
    const text = await request.text();
    let body: Record<string, unknown> = {};
    if (text !== '') {
      try {
        const parsed: unknown = JSON.parse(text);
        body =
          typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      } catch {
        return this.#finish(
          request.method,
          path,
          url,
          text,
          json(400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' }),
        );
      }
    }
    const response = await this.#dispatch(request, path, url, body);
    return this.#finish(request.method, path, url, text === '' ? undefined : body, response);
  }

  #finish(method: string, path: string, url: URL, body: unknown, response: Response): Response {
    this.requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      status: response.status,
    });
    return response;
  }

  #rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.#rate.limit),
      'x-ratelimit-remaining': String(this.#rate.remaining),
      'x-ratelimit-reset': String(this.#rate.resetAt),
      'x-ratelimit-used': String(this.#rate.limit - this.#rate.remaining),
      'x-ratelimit-resource': 'core',
    };
  }

  async #dispatch(
    request: Request,
    path: string,
    url: URL,
    body: Record<string, unknown>,
  ): Promise<Response> {
    const withRate = (res: Response): Response => {
      const headers = new Headers(res.headers);
      for (const [k, v] of Object.entries(this.#rateHeaders())) {
        if (!headers.has(k)) headers.set(k, v);
      }
      return new Response(res.body, { status: res.status, headers });
    };
    const installation = accessTokensInstallation(request.method, path);
    if (installation !== null) {
      return this.#apps.exchange(request.headers.get('authorization'), installation);
    }
    if (this.#token !== undefined || this.#apps.any) {
      const auth = request.headers.get('authorization') ?? '';
      const fixed =
        this.#token !== undefined &&
        (auth === `Bearer ${this.#token}` || auth === `token ${this.#token}`);
      const scope = fixed ? null : this.#apps.scope(auth);
      if (!fixed && scope === null) {
        return json(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
      }
      const slug = /^\/repos\/([^/]+\/[^/]+)(\/|$)/.exec(path)?.[1];
      if (
        scope !== null &&
        slug !== undefined &&
        !scope.has(decodeURIComponent(slug).toLowerCase())
      ) {
        return json(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      }
    }
    if (this.#isGraphql(request.method, url) && !request.headers.has('authorization')) {
      // Unlike REST, GitHub's GraphQL API serves no anonymous requests.
      return json(401, {
        message: 'This endpoint requires you to be authenticated.',
        documentation_url:
          'https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql',
      });
    }
    const fault = this.#faults.find(
      (f) =>
        (f.method === undefined || f.method === request.method) &&
        (f.path === undefined || f.path.test(path)) &&
        (f.times ?? 0) > 0,
    );
    if (fault !== undefined) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.afterHandling === true) await this.#serve(request.method, path, url, body);
      if (fault.hang === true) {
        return new Promise<never>((_, reject) => {
          const signal = request.signal;
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      const headers = new Headers(fault.headers);
      return withRate(
        Response.json(
          fault.body ?? {
            message: `emulated ${fault.status}`,
            documentation_url: DOCS,
            status: String(fault.status),
          },
          { status: fault.status, headers },
        ),
      );
    }
    const nowSeconds = Math.floor(this.#now() / 1000);
    if (nowSeconds >= this.#rate.resetAt) {
      this.#rate = { ...this.#rate, remaining: this.#rate.limit, resetAt: nowSeconds + 3600 };
    }
    if (this.#rate.remaining <= 0) {
      return withRate(
        json(403, {
          message: `API rate limit exceeded for ${this.actor.login}.`,
          documentation_url: `${DOCS}/overview/resources-in-the-rest-api#rate-limiting`,
          status: '403',
        }),
      );
    }
    this.#rate.remaining--;
    return withRate(await this.#serve(request.method, path, url, body));
  }

  async #serve(
    method: string,
    path: string,
    url: URL,
    body: Record<string, unknown>,
  ): Promise<Response> {
    if (this.#isGraphql(method, url)) return this.#graphql(body);
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (m === null) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1] ?? '');
      });
      try {
        const repo = this.#repos.get(`${params.owner}/${params.repo}`.toLowerCase());
        if (repo === undefined) throw notFound();
        return await route.handler({ repo, params, query: url.searchParams, body, url });
      } catch (err) {
        if (err instanceof HttpError) return json(err.status, err.body);
        throw err;
      }
    }
    return json(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
  }

  #isGraphql(method: string, url: URL): boolean {
    return method === 'POST' && url.pathname === this.#graphqlPath;
  }

  /**
   * GitHub's GraphQL endpoint for the one operation Homeostat sends there: a draft's "Ready for
   * review" (`markPullRequestReadyForReview(input: {pullRequestId})`, which REST lacks). Not a
   * GraphQL server: the mutation is recognised by name, its `id` variable names a PR `node_id`,
   * and the answer holds the fields Homeostat selects (id, number, isDraft). Anything else is
   * refused as GitHub refuses a query it cannot run: 200 with `errors`.
   */
  #graphql(body: Record<string, unknown>): Response {
    const query = str(body, 'query');
    const variables = body.variables;
    const id =
      typeof variables === 'object' && variables !== null && 'id' in variables
        ? variables.id
        : undefined;
    if (query === undefined || !query.includes('markPullRequestReadyForReview')) {
      return graphqlErrors([
        { message: 'The emulator serves only the markPullRequestReadyForReview mutation' },
      ]);
    }
    const path = ['markPullRequestReadyForReview'];
    if (typeof id !== 'string') {
      return graphqlErrors([
        { message: 'Variable $id of type ID! was provided invalid value', path },
      ]);
    }
    for (const repo of this.#repos.values()) {
      for (const pull of repo.pulls.values()) {
        if (pullNodeId(pull) !== id) continue;
        const issue = repo.issues.get(pull.number);
        if (issue?.state !== 'open') {
          return graphqlErrors(
            [{ type: 'UNPROCESSABLE', path, message: 'Pull request is closed' }],
            { markPullRequestReadyForReview: null },
          );
        }
        if (pull.draft) {
          pull.draft = false;
          issue.updatedAt = this.#iso();
          this.#pullEvent(repo, pull, 'ready_for_review', this.actor);
        }
        return json(200, {
          data: {
            markPullRequestReadyForReview: {
              pullRequest: { id, number: pull.number, isDraft: false },
            },
          },
        });
      }
    }
    return graphqlErrors(
      [
        {
          type: 'NOT_FOUND',
          path,
          message: `Could not resolve to a node with the global id of '${id}'`,
        },
      ],
      { markPullRequestReadyForReview: null },
    );
  }

  #route(method: string, template: string, handler: Handler): void {
    const names: string[] = [];
    const segments = template.split('/');
    const pattern = segments
      .map((s, i) => {
        const m = /^\{([^}]+)\}$/.exec(s);
        if (m?.[1] === undefined) return s;
        names.push(m[1]);
        return i === segments.length - 1 && (m[1] === 'path' || m[1] === 'ref')
          ? '(.+)'
          : '([^/]+)';
      })
      .join('/');
    this.#routes.push({ method, regex: new RegExp(`^${pattern}$`), names, handler });
  }

  // ---- shared state changes -------------------------------------------------------------------

  #ensureLabels(repo: Repo, names: string[]): LabelState[] {
    return names.map((name) => {
      const key = name.toLowerCase();
      let label = repo.labels.get(key);
      if (label === undefined) {
        label = { id: this.#id(), name, color: 'ededed', description: null, default: false };
        repo.labels.set(key, label);
      }
      return label;
    });
  }

  #labelsOf(repo: Repo, issue: IssueState): LabelState[] {
    return issue.labels.flatMap((n) => {
      const l = repo.labels.get(n.toLowerCase());
      return l === undefined ? [] : [l];
    });
  }

  #openIssues(repo: Repo): number {
    return [...repo.issues.values()].filter((i) => i.state === 'open').length;
  }

  #issueJson(repo: Repo, issue: IssueState) {
    const pull = repo.pulls.get(issue.number);
    return issueObject(
      issue,
      repo.state,
      this.#labelsOf(repo, issue),
      this.urls,
      issue.pullRequest
        ? { pullRequest: { mergedAt: pull?.mergedAt ?? null, draft: pull?.draft ?? false } }
        : {},
    );
  }

  #getIssue(repo: Repo, raw: string | undefined): IssueState {
    const issue = repo.issues.get(Number(raw));
    if (issue === undefined) throw notFound();
    return issue;
  }

  #newIssue(
    repo: Repo,
    title: string,
    body: string | null,
    labels: string[],
    pull: boolean,
    user: UserState = this.actor,
  ): IssueState {
    const now = this.#iso();
    const issue: IssueState = {
      id: this.#id(),
      number: repo.nextNumber++,
      title,
      body,
      state: 'open',
      stateReason: null,
      labels: this.#ensureLabels(repo, labels).map((l) => l.name),
      user,
      closedBy: null,
      locked: false,
      comments: 0,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      pullRequest: pull,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  #comment(
    repo: Repo,
    number: number,
    body: string,
    user: UserState,
    association: AuthorAssociation,
  ): CommentState {
    const issue = this.#getIssue(repo, String(number));
    const now = this.#iso();
    const comment: CommentState = {
      id: this.#id(),
      issueNumber: number,
      body,
      user,
      authorAssociation: association,
      createdAt: now,
      updatedAt: now,
    };
    repo.comments.set(comment.id, comment);
    issue.comments++;
    issue.updatedAt = now;
    this.#emit(
      repo,
      'issue_comment',
      {
        action: 'created',
        issue: this.#issueJson(repo, issue),
        comment: commentObject(comment, repo.state, this.urls),
      },
      user,
    );
    return comment;
  }

  #page<T>(ctx: Ctx, items: T[]): Response {
    const perPage = Math.min(100, Math.max(1, Number(ctx.query.get('per_page') ?? 30)));
    const page = Math.max(1, Number(ctx.query.get('page') ?? 1));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers = new Headers({ 'content-type': 'application/json; charset=utf-8' });
    if (page * perPage < items.length) {
      const next = new URL(ctx.url);
      next.searchParams.set('page', String(page + 1));
      const last = new URL(ctx.url);
      last.searchParams.set('page', String(Math.ceil(items.length / perPage)));
      headers.set('link', `<${next}>; rel="next", <${last}>; rel="last"`);
    }
    return new Response(JSON.stringify(slice), { status: 200, headers });
  }

  #pullsForSha(repo: Repo, sha: string): PullForCheck[] {
    return [...repo.pulls.values()].flatMap((pull) => {
      const headSha = repo.git.refs.get(`refs/heads/${pull.head}`);
      const baseSha = repo.git.refs.get(`refs/heads/${pull.base}`) ?? '';
      return headSha === sha && !pull.merged ? [{ pull, headSha, baseSha }] : [];
    });
  }

  /** GitHub keeps one suite per app and head SHA; for Actions, one per workflow run. */
  #suiteFor(
    repo: Repo,
    headSha: string,
    app: UserState = this.actor,
    workflow?: WorkflowInput,
  ): CheckSuiteState {
    const existing = [...repo.suites.values()].find(
      (s) =>
        s.headSha === headSha &&
        (s.app ?? this.actor).id === app.id &&
        s.workflow?.path === workflow?.path,
    );
    if (existing !== undefined) return existing;
    const branch = [...repo.git.refs].find(([, sha]) => sha === headSha)?.[0];
    const suite: CheckSuiteState = {
      id: this.#id(),
      headSha,
      headBranch: branch?.replace(/^refs\/heads\//, '') ?? null,
      createdAt: this.#iso(),
      updatedAt: this.#iso(),
      app,
    };
    if (workflow !== undefined) {
      const key = `${repo.state.id}:${workflow.path}`;
      const known = this.#workflows.get(key) ?? { id: this.#id(), runs: 0 };
      known.runs++;
      this.#workflows.set(key, known);
      suite.workflow = {
        id: known.id,
        name: workflow.name,
        path: workflow.path,
        runId: this.#id(),
        runNumber: known.runs,
        event: workflow.event,
        runStartedAt: suite.createdAt,
        actor: workflow.actor ?? app,
        displayTitle:
          workflow.displayTitle ??
          repo.git.commits.get(headSha)?.message.split('\n')[0] ??
          workflow.name,
      } satisfies WorkflowState;
    }
    repo.suites.set(suite.id, suite);
    this.#workflowRunEvent(repo, suite, 'requested');
    return suite;
  }

  // ---- routes ---------------------------------------------------------------------------------

  #defineRoutes(): void {
    const R = '/repos/{owner}/{repo}';

    this.#route('GET', R, ({ repo }) =>
      json(200, {
        ...repositoryObject(repo.state, this.urls, this.#openIssues(repo)),
        // Required in `full-repository`, the answer of this endpoint only.
        has_discussions: false,
        network_count: 0,
        subscribers_count: 0,
      }),
    );

    // "Get repository permissions for a user": `permission` is the legacy base role (maintain
    // reads as write, triage as read), `role_name` the role itself; anyone else has none.
    this.#route('GET', `${R}/collaborators/{username}/permission`, ({ repo, params }) => {
      const login = params.username ?? '';
      const role = this.#collaborators.get(repo.state.id)?.get(login.toLowerCase()) ?? null;
      const permission =
        role === 'maintain' ? 'write' : role === 'triage' ? 'read' : (role ?? 'none');
      const user = this.#human(login);
      return json(200, {
        permission,
        role_name: role ?? 'none',
        user: {
          ...userObject(user, this.urls),
          permissions: {
            pull: role !== null,
            triage: role !== null && role !== 'read',
            push: permission === 'write' || permission === 'admin',
            maintain: role === 'maintain' || role === 'admin',
            admin: role === 'admin',
          },
          role_name: role ?? 'none',
        },
      });
    });

    // Issues
    this.#route('POST', `${R}/issues`, ({ repo, body }) => {
      const title = body.title;
      if (typeof title !== 'string' && typeof title !== 'number') {
        throw invalid('Issue', 'title', 'missing_field');
      }
      const issue = this.#newIssue(
        repo,
        String(title),
        str(body, 'body') ?? null,
        labelNames(body.labels),
        false,
      );
      this.#emit(
        repo,
        'issues',
        { action: 'opened', issue: this.#issueJson(repo, issue) },
        this.actor,
      );
      for (const label of this.#labelsOf(repo, issue)) {
        this.#labelEvent(repo, issue, label, 'labeled', this.actor);
      }
      return json(201, this.#issueJson(repo, issue));
    });
    this.#route('GET', `${R}/issues`, (ctx) => {
      const state = ctx.query.get('state') ?? 'open';
      const wanted = (ctx.query.get('labels') ?? '')
        .split(',')
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l !== '');
      const since = ctx.query.get('since');
      const direction = ctx.query.get('direction') ?? 'desc';
      const sort = ctx.query.get('sort') ?? 'created';
      const items = [...ctx.repo.issues.values()]
        .filter((i) => state === 'all' || i.state === state)
        .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
        .filter((i) => since === null || i.updatedAt >= since)
        .sort((a, b) => {
          const ka = sort === 'updated' ? a.updatedAt : a.createdAt;
          const kb = sort === 'updated' ? b.updatedAt : b.createdAt;
          const c = ka < kb ? -1 : ka > kb ? 1 : a.number - b.number;
          return direction === 'asc' ? c : -c;
        })
        .map((i) => this.#issueJson(ctx.repo, i));
      return this.#page(ctx, items);
    });
    this.#route('GET', `${R}/issues/{issue_number}`, ({ repo, params }) =>
      json(200, this.#issueJson(repo, this.#getIssue(repo, params.issue_number))),
    );
    this.#route('PATCH', `${R}/issues/{issue_number}`, ({ repo, params, body }) => {
      const issue = this.#getIssue(repo, params.issue_number);
      if (typeof body.title === 'string' || typeof body.title === 'number')
        issue.title = String(body.title);
      if ('body' in body) issue.body = str(body, 'body') ?? null;
      const labelsBefore = this.#labelsOf(repo, issue);
      const stateBefore = issue.state;
      if (Array.isArray(body.labels)) {
        issue.labels = this.#ensureLabels(repo, labelNames(body.labels)).map((l) => l.name);
      }
      const state = str(body, 'state');
      if (state === 'closed' && issue.state === 'open') {
        issue.state = 'closed';
        issue.closedAt = this.#iso();
        issue.closedBy = this.actor;
        issue.stateReason = (str(body, 'state_reason') as IssueState['stateReason']) ?? 'completed';
      } else if (state === 'open' && issue.state === 'closed') {
        issue.state = 'open';
        issue.closedAt = null;
        issue.closedBy = null;
        issue.stateReason = 'reopened';
      }
      issue.updatedAt = this.#iso();
      const labelsAfter = this.#labelsOf(repo, issue);
      for (const label of labelsAfter.filter((l) => !labelsBefore.includes(l))) {
        this.#labelEvent(repo, issue, label, 'labeled', this.actor);
      }
      for (const label of labelsBefore.filter((l) => !labelsAfter.includes(l))) {
        this.#labelEvent(repo, issue, label, 'unlabeled', this.actor);
      }
      if (issue.state !== stateBefore) {
        this.#stateEvent(repo, issue, issue.state === 'closed' ? 'closed' : 'reopened', this.actor);
      }
      return json(200, this.#issueJson(repo, issue));
    });

    // Comments
    this.#route('GET', `${R}/issues/{issue_number}/comments`, (ctx) => {
      const issue = this.#getIssue(ctx.repo, ctx.params.issue_number);
      const since = ctx.query.get('since');
      const items = [...ctx.repo.comments.values()]
        .filter((c) => c.issueNumber === issue.number && (since === null || c.updatedAt >= since))
        .map((c) => commentObject(c, ctx.repo.state, this.urls));
      return this.#page(ctx, items);
    });
    this.#route('POST', `${R}/issues/{issue_number}/comments`, ({ repo, params, body }) => {
      const text = str(body, 'body');
      if (text === undefined) throw invalid('IssueComment', 'body', 'missing_field');
      const issue = this.#getIssue(repo, params.issue_number);
      if (issue.locked)
        throw new HttpError(403, {
          message: 'Issue is locked',
          documentation_url: DOCS,
          status: '403',
        });
      const comment = this.#comment(repo, issue.number, text, this.actor, 'NONE');
      return json(201, commentObject(comment, repo.state, this.urls));
    });

    // Labels
    this.#route('GET', `${R}/labels`, (ctx) =>
      this.#page(
        ctx,
        [...ctx.repo.labels.values()].map((l) => labelObject(l, ctx.repo.state, this.urls)),
      ),
    );
    this.#route('POST', `${R}/labels`, ({ repo, body }) => {
      const name = str(body, 'name');
      if (name === undefined) throw invalid('Label', 'name', 'missing_field');
      if (repo.labels.has(name.toLowerCase())) throw invalid('Label', 'name', 'already_exists');
      const label: LabelState = {
        id: this.#id(),
        name,
        color: (str(body, 'color') ?? 'ededed').replace(/^#/, ''),
        description: str(body, 'description') ?? null,
        default: false,
      };
      repo.labels.set(name.toLowerCase(), label);
      return json(201, labelObject(label, repo.state, this.urls));
    });
    this.#route('GET', `${R}/labels/{name}`, ({ repo, params }) => {
      const label = repo.labels.get((params.name ?? '').toLowerCase());
      if (label === undefined) throw notFound();
      return json(200, labelObject(label, repo.state, this.urls));
    });
    this.#route('GET', `${R}/issues/{issue_number}/labels`, (ctx) => {
      const issue = this.#getIssue(ctx.repo, ctx.params.issue_number);
      return this.#page(
        ctx,
        this.#labelsOf(ctx.repo, issue).map((l) => labelObject(l, ctx.repo.state, this.urls)),
      );
    });
    this.#route('POST', `${R}/issues/{issue_number}/labels`, ({ repo, params, body }) => {
      const issue = this.#getIssue(repo, params.issue_number);
      const added: LabelState[] = [];
      for (const label of this.#ensureLabels(repo, labelNames(body))) {
        if (!issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) {
          issue.labels.push(label.name);
          added.push(label);
        }
      }
      issue.updatedAt = this.#iso();
      for (const label of added) this.#labelEvent(repo, issue, label, 'labeled', this.actor);
      return json(
        200,
        this.#labelsOf(repo, issue).map((l) => labelObject(l, repo.state, this.urls)),
      );
    });
    this.#route('DELETE', `${R}/issues/{issue_number}/labels/{name}`, ({ repo, params }) => {
      const issue = this.#getIssue(repo, params.issue_number);
      const name = (params.name ?? '').toLowerCase();
      if (!issue.labels.some((l) => l.toLowerCase() === name)) {
        throw new HttpError(404, {
          message: 'Label does not exist',
          documentation_url: DOCS,
          status: '404',
        });
      }
      issue.labels = issue.labels.filter((l) => l.toLowerCase() !== name);
      issue.updatedAt = this.#iso();
      const removed = repo.labels.get(name);
      if (removed !== undefined) this.#labelEvent(repo, issue, removed, 'unlabeled', this.actor);
      return json(
        200,
        this.#labelsOf(repo, issue).map((l) => labelObject(l, repo.state, this.urls)),
      );
    });

    // Contents (files only, as the fixer reads them)
    this.#route('GET', `${R}/contents/{path}`, ({ repo, params, query }) => {
      const commit = repo.git.resolve(query.get('ref') ?? repo.state.defaultBranch);
      if (commit === undefined) throw notFound();
      const path = params.path ?? '';
      const entry = repo.git.flatten(commit.tree).get(path);
      const content = entry === undefined ? undefined : repo.git.blobs.get(entry.sha);
      if (entry === undefined || content === undefined) throw notFound();
      const { api, html } = repoUrls(repo.state, this.urls);
      const ref = query.get('ref') ?? repo.state.defaultBranch;
      const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
      const gitUrl = `${api}/git/blobs/${entry.sha}`;
      const htmlUrl = `${html}/blob/${ref}/${path}`;
      return json(200, {
        type: 'file',
        encoding: 'base64',
        size: content.byteLength,
        name: path.split('/').at(-1) ?? path,
        path,
        // GitHub wraps base64 content at 60 characters.
        content: (toBase64(content).match(/.{1,60}/g) ?? []).join('\n'),
        sha: entry.sha,
        url: self,
        git_url: gitUrl,
        html_url: htmlUrl,
        download_url: `https://raw.githubusercontent.com/${repoUrls(repo.state, this.urls).fullName}/${ref}/${path}`,
        _links: { self, git: gitUrl, html: htmlUrl },
      });
    });

    // Git data
    this.#route('GET', `${R}/git/ref/{ref}`, ({ repo, params }) => {
      const ref = `refs/${params.ref}`;
      const sha = repo.git.refs.get(ref);
      if (sha === undefined) throw notFound();
      return json(200, refObject(ref, sha, repo.state, this.urls));
    });
    this.#route('POST', `${R}/git/refs`, ({ repo, body }) => {
      const ref = str(body, 'ref');
      const sha = str(body, 'sha');
      if (ref === undefined || !/^refs\/.+\/.+/.test(ref))
        throw invalid(
          'Reference',
          'ref',
          'invalid',
          'Reference name must start with refs/ and have at least two slashes',
        );
      if (sha === undefined || !repo.git.commits.has(sha))
        throw invalid('Reference', 'sha', 'invalid', 'Object does not exist');
      if (repo.git.refs.has(ref))
        throw invalid('Reference', 'ref', 'already_exists', 'Reference already exists');
      repo.git.refs.set(ref, sha);
      this.#pushEvent(repo, ref, ZERO_SHA, sha, this.actor, false);
      return json(201, refObject(ref, sha, repo.state, this.urls));
    });
    this.#route('PATCH', `${R}/git/refs/{ref}`, ({ repo, params, body }) => {
      const ref = `refs/${params.ref}`;
      const current = repo.git.refs.get(ref);
      const sha = str(body, 'sha');
      if (current === undefined)
        throw invalid('Reference', 'ref', 'invalid', 'Reference does not exist');
      if (sha === undefined || !repo.git.commits.has(sha))
        throw invalid('Reference', 'sha', 'invalid', 'Object does not exist');
      if (body.force !== true && !repo.git.isAncestor(current, sha)) {
        throw invalid('Reference', 'sha', 'invalid', 'Update is not a fast forward');
      }
      const forced = !repo.git.isAncestor(current, sha);
      repo.git.refs.set(ref, sha);
      if (sha !== current) this.#pushEvent(repo, ref, current, sha, this.actor, forced);
      return json(200, refObject(ref, sha, repo.state, this.urls));
    });
    this.#route('DELETE', `${R}/git/refs/{ref}`, ({ repo, params }) => {
      const ref = `refs/${params.ref}`;
      const before = repo.git.refs.get(ref);
      if (before === undefined || !repo.git.refs.delete(ref))
        throw invalid('Reference', 'ref', 'invalid', 'Reference does not exist');
      this.#pushEvent(repo, ref, before, ZERO_SHA, this.actor, false);
      return new Response(null, { status: 204 });
    });
    this.#route('POST', `${R}/git/blobs`, async ({ repo, body }) => {
      const content = str(body, 'content');
      if (content === undefined) throw invalid('Blob', 'content', 'missing_field');
      const bytes =
        str(body, 'encoding') === 'base64'
          ? fromBase64(content)
          : new TextEncoder().encode(content);
      const sha = await repo.git.putBlob(bytes);
      return json(201, { sha, url: `${repoUrls(repo.state, this.urls).api}/git/blobs/${sha}` });
    });
    this.#route('GET', `${R}/git/blobs/{file_sha}`, ({ repo, params }) => {
      const sha = params.file_sha ?? '';
      const content = repo.git.blobs.get(sha);
      if (content === undefined) throw notFound();
      return json(200, {
        sha,
        node_id: btoa(`Blob:${sha}`),
        size: content.byteLength,
        url: `${repoUrls(repo.state, this.urls).api}/git/blobs/${sha}`,
        content: toBase64(content),
        encoding: 'base64',
      });
    });
    this.#route('POST', `${R}/git/trees`, async ({ repo, body }) => {
      const files = new Map<string, TreeEntry>();
      const base = str(body, 'base_tree');
      if (base !== undefined) {
        if (!repo.git.trees.has(base)) throw invalid('Tree', 'base_tree', 'invalid');
        for (const [p, e] of repo.git.flatten(base)) files.set(p, e);
      }
      const entries = Array.isArray(body.tree) ? body.tree : [];
      for (const raw of entries) {
        const e = raw as Record<string, unknown>;
        const path = str(e, 'path');
        if (path === undefined) throw invalid('Tree', 'tree.path', 'missing_field');
        if (e.sha === null) {
          files.delete(path);
          continue;
        }
        let sha = str(e, 'sha');
        const content = str(e, 'content');
        if (content !== undefined) sha = await repo.git.putBlob(new TextEncoder().encode(content));
        if (sha === undefined || !repo.git.blobs.has(sha))
          throw invalid('Tree', 'tree.sha', 'invalid');
        files.set(path, { path, mode: str(e, 'mode') ?? '100644', type: 'blob', sha });
      }
      const sha = await repo.git.buildTree(files);
      return json(201, this.#treeJson(repo, sha, false));
    });
    this.#route('GET', `${R}/git/trees/{tree_sha}`, ({ repo, params, query }) => {
      const commit = repo.git.resolve(params.tree_sha ?? '');
      const sha = commit?.tree ?? params.tree_sha ?? '';
      if (!repo.git.trees.has(sha)) throw notFound();
      return json(200, this.#treeJson(repo, sha, query.has('recursive')));
    });
    this.#route('POST', `${R}/git/commits`, async ({ repo, body }) => {
      const tree = str(body, 'tree');
      const message = str(body, 'message');
      if (tree === undefined || !repo.git.trees.has(tree))
        throw invalid('Commit', 'tree', 'invalid');
      if (message === undefined) throw invalid('Commit', 'message', 'missing_field');
      const parents = Array.isArray(body.parents) ? body.parents.map(String) : [];
      if (parents.some((p) => !repo.git.commits.has(p)))
        throw invalid('Commit', 'parents', 'invalid');
      const given = (body.author ?? null) as Record<string, unknown> | null;
      const author = {
        name: (given && str(given, 'name')) ?? this.actor.login,
        // GitHub writes `<id>+<login>@users.noreply.github.com`; a bot's `[bot]` suffix is left out
        // because the description types the field as an email address.
        email:
          (given && str(given, 'email')) ??
          `${this.actor.id}+${this.actor.login.replace(/\[bot\]$/, '')}@users.noreply.github.com`,
        date: (given && str(given, 'date')) ?? this.#iso(),
      };
      const commit = await repo.git.putCommit({
        tree,
        parents,
        message,
        author,
        committer: author,
      });
      return json(201, gitCommitObject(commit, repo.state, this.urls));
    });
    this.#route('GET', `${R}/git/commits/{commit_sha}`, ({ repo, params }) => {
      const commit = repo.git.commits.get(params.commit_sha ?? '');
      if (commit === undefined) throw notFound();
      return json(200, gitCommitObject(commit, repo.state, this.urls));
    });

    // Pull requests and merges
    this.#route('POST', `${R}/pulls`, ({ repo, body }) => {
      const head = str(body, 'head')?.replace(/^[^:]+:/, '');
      const base = str(body, 'base');
      const title = str(body, 'title');
      if (head === undefined || !repo.git.refs.has(`refs/heads/${head}`))
        throw invalid('PullRequest', 'head', 'invalid');
      if (base === undefined || !repo.git.refs.has(`refs/heads/${base}`))
        throw invalid('PullRequest', 'base', 'invalid');
      if (title === undefined) throw invalid('PullRequest', 'title', 'missing_field');
      const open = [...repo.pulls.values()].find(
        (p) => p.head === head && p.base === base && repo.issues.get(p.number)?.state === 'open',
      );
      if (open !== undefined) {
        throw invalid(
          'PullRequest',
          'head',
          'custom',
          `A pull request already exists for ${repo.state.owner.login}:${head}.`,
        );
      }
      const issue = this.#newIssue(repo, title, str(body, 'body') ?? null, [], true);
      const pull: PullState = {
        id: this.#id(),
        number: issue.number,
        head,
        base,
        draft: body.draft === true,
        merged: false,
        mergedAt: null,
        mergedBy: null,
        mergeCommitSha: null,
      };
      repo.pulls.set(pull.number, pull);
      this.#pullEvent(repo, pull, 'opened', this.actor);
      return json(201, this.#pullJson(repo, pull));
    });
    this.#route('GET', `${R}/pulls`, (ctx) => {
      const state = ctx.query.get('state') ?? 'open';
      const head = ctx.query.get('head')?.replace(/^[^:]+:/, '');
      const base = ctx.query.get('base');
      const items = [...ctx.repo.pulls.values()]
        .filter((p) => {
          const issue = ctx.repo.issues.get(p.number);
          return (
            issue !== undefined &&
            (state === 'all' || issue.state === state) &&
            (head === undefined || p.head === head) &&
            (base === null || p.base === base)
          );
        })
        .sort((a, b) => b.number - a.number)
        .map((p) => this.#pullJson(ctx.repo, p));
      return this.#page(ctx, items);
    });
    this.#route('GET', `${R}/pulls/{pull_number}`, ({ repo, params }) => {
      const pull = repo.pulls.get(Number(params.pull_number));
      if (pull === undefined) throw notFound();
      return json(200, this.#pullJson(repo, pull));
    });
    this.#route('PATCH', `${R}/pulls/{pull_number}`, ({ repo, params, body }) => {
      const pull = repo.pulls.get(Number(params.pull_number));
      const issue = repo.issues.get(Number(params.pull_number));
      if (pull === undefined || issue === undefined) throw notFound();
      if (typeof body.title === 'string') issue.title = body.title;
      if (typeof body.body === 'string') issue.body = body.body;
      if (typeof body.base === 'string') pull.base = body.base;
      const stateBefore = issue.state;
      if (body.state === 'closed' && issue.state === 'open') {
        issue.state = 'closed';
        issue.closedAt = this.#iso();
        issue.closedBy = this.actor;
      } else if (body.state === 'open' && issue.state === 'closed' && !pull.merged) {
        issue.state = 'open';
        issue.closedAt = null;
        issue.closedBy = null;
      }
      issue.updatedAt = this.#iso();
      if (issue.state !== stateBefore) {
        this.#pullEvent(repo, pull, issue.state === 'closed' ? 'closed' : 'reopened', this.actor);
      }
      return json(200, this.#pullJson(repo, pull));
    });
    this.#route(
      'POST',
      `${R}/pulls/{pull_number}/requested_reviewers`,
      ({ repo, params, body }) => {
        const pull = repo.pulls.get(Number(params.pull_number));
        const issue = repo.issues.get(Number(params.pull_number));
        if (pull === undefined || issue === undefined) throw notFound();
        const logins = Array.isArray(body.reviewers) ? body.reviewers.map(String) : [];
        if (logins.some((l) => l.toLowerCase() === issue.user.login.toLowerCase())) {
          // GitHub refuses the PR's author as a reviewer; its description documents this 422
          // ("not a collaborator") without a body.
          return new Response(null, { status: 422 });
        }
        const requested = pull.requestedReviewers ?? [];
        for (const login of logins) {
          if (!requested.some((r) => r.login.toLowerCase() === login.toLowerCase())) {
            requested.push(this.#human(login));
          }
        }
        pull.requestedReviewers = requested;
        return json(201, this.#pullJson(repo, pull));
      },
    );
    this.#route('GET', `${R}/pulls/{pull_number}/merge`, ({ repo, params }) => {
      const pull = repo.pulls.get(Number(params.pull_number));
      if (pull === undefined || !pull.merged) throw notFound();
      return new Response(null, { status: 204 });
    });
    this.#route('PUT', `${R}/pulls/{pull_number}/merge`, async ({ repo, params, body }) => {
      const pull = repo.pulls.get(Number(params.pull_number));
      const issue = repo.issues.get(Number(params.pull_number));
      if (pull === undefined || issue === undefined) throw notFound();
      if (pull.draft && issue.state === 'open') {
        // GitHub refuses to merge a draft through the API (405 "Pull Request is still a draft").
        throw new HttpError(405, {
          message: 'Pull Request is still a draft',
          documentation_url: DOCS,
          status: '405',
        });
      }
      const merged = await this.#merge(repo, pull, issue, this.actor, body);
      return json(200, {
        sha: merged.sha,
        merged: true,
        message: 'Pull Request successfully merged',
      });
    });
    this.#route('POST', `${R}/merges`, async ({ repo, body }) => {
      const base = str(body, 'base');
      const head = str(body, 'head');
      const baseSha = base === undefined ? undefined : repo.git.refs.get(`refs/heads/${base}`);
      const headCommit = head === undefined ? undefined : repo.git.resolve(head);
      if (base === undefined || baseSha === undefined || headCommit === undefined) throw notFound();
      if (repo.git.isAncestor(headCommit.sha, baseSha)) return new Response(null, { status: 204 });
      const author = { name: this.actor.login, email: 'noreply@github.com', date: this.#iso() };
      const merged = await repo.git.putCommit({
        tree: headCommit.tree,
        parents: [baseSha, headCommit.sha],
        message: str(body, 'commit_message') ?? `Merge ${head} into ${base}`,
        author,
        committer: author,
      });
      repo.git.refs.set(`refs/heads/${base}`, merged.sha);
      this.#pushEvent(repo, `refs/heads/${base}`, baseSha, merged.sha, this.actor, false);
      return json(201, commitObject(merged, repo.state, this.urls));
    });

    // Checks
    this.#route('POST', `${R}/check-runs`, ({ repo, body }) => {
      const run = this.#createRun(repo, body, this.actor);
      return json(201, this.#runJson(repo, run));
    });
    this.#route('GET', `${R}/check-runs/{check_run_id}`, ({ repo, params }) => {
      const run = repo.runs.get(Number(params.check_run_id));
      if (run === undefined) throw notFound();
      return json(200, this.#runJson(repo, run));
    });
    this.#route('GET', `${R}/check-runs/{check_run_id}/annotations`, (ctx) => {
      const run = ctx.repo.runs.get(Number(ctx.params.check_run_id));
      if (run === undefined) throw notFound();
      return this.#page(ctx, (run.annotations ?? []).map(annotationObject));
    });
    this.#route('PATCH', `${R}/check-runs/{check_run_id}`, ({ repo, params, body }) => {
      const run = repo.runs.get(Number(params.check_run_id));
      if (run === undefined) throw notFound();
      this.#updateRun(repo, run, body);
      return json(200, this.#runJson(repo, run));
    });
    this.#route('POST', `${R}/statuses/{sha}`, ({ repo, params, body }) =>
      json(
        201,
        commitStatusObject(
          this.#setStatus(repo, params.sha ?? '', body, this.actor),
          repo.state,
          this.urls,
        ),
      ),
    );
    this.#route('GET', `${R}/commits/{ref}/status`, ({ repo, params }) => {
      const commit = repo.git.resolve(params.ref ?? '');
      if (commit === undefined) throw notFound();
      const latest = new Map<string, CommitStatusState>();
      for (const st of repo.statuses) if (st.sha === commit.sha) latest.set(st.context, st);
      const statuses = [...latest.values()];
      const state = statuses.some((st) => st.state === 'failure' || st.state === 'error')
        ? 'failure'
        : statuses.length === 0 || statuses.some((st) => st.state === 'pending')
          ? 'pending'
          : 'success';
      const { api } = repoUrls(repo.state, this.urls);
      return json(200, {
        state,
        statuses: statuses.map((st) => commitStatusObject(st, repo.state, this.urls)),
        sha: commit.sha,
        total_count: statuses.length,
        repository: repositoryObject(repo.state, this.urls, this.#openIssues(repo)),
        commit_url: `${api}/commits/${commit.sha}`,
        url: `${api}/commits/${commit.sha}/status`,
      });
    });
    // Compare two commits (the fixer asks whether a release commit contains a merged fix).
    // Only the fields GitHub documents as required; `commits` lists the head's own commits.
    this.#route('GET', `${R}/compare/{basehead}`, ({ repo, params }) => {
      const [baseRef = '', headRef = ''] = (params.basehead ?? '').split('...');
      const base = repo.git.resolve(baseRef);
      const head = repo.git.resolve(headRef);
      if (base === undefined || head === undefined) throw notFound();
      const ahead = base.sha !== head.sha && repo.git.isAncestor(base.sha, head.sha);
      const behind = base.sha !== head.sha && repo.git.isAncestor(head.sha, base.sha);
      const status =
        base.sha === head.sha ? 'identical' : ahead ? 'ahead' : behind ? 'behind' : 'diverged';
      const { api, html } = repoUrls(repo.state, this.urls);
      const span = `${base.sha}...${head.sha}`;
      return json(200, {
        url: `${api}/compare/${span}`,
        html_url: `${html}/compare/${span}`,
        permalink_url: `${html}/compare/${span}`,
        diff_url: `${html}/compare/${span}.diff`,
        patch_url: `${html}/compare/${span}.patch`,
        base_commit: commitObject(base, repo.state, this.urls),
        merge_base_commit: commitObject(ahead ? base : behind ? head : base, repo.state, this.urls),
        status,
        ahead_by: ahead ? 1 : 0,
        behind_by: behind ? 1 : 0,
        total_commits: ahead ? 1 : 0,
        commits: ahead ? [commitObject(head, repo.state, this.urls)] : [],
      });
    });
    this.#route('GET', `${R}/commits/{ref}/check-runs`, ({ repo, params, query }) => {
      const sha = repo.git.resolve(params.ref ?? '')?.sha ?? params.ref;
      const name = query.get('check_name');
      const runs = [...repo.runs.values()].filter(
        (r) => r.headSha === sha && (name === null || r.name === name),
      );
      return json(200, {
        total_count: runs.length,
        check_runs: runs.map((r) => this.#runJson(repo, r)),
      });
    });
    this.#route('GET', `${R}/commits/{ref}/check-suites`, ({ repo, params }) => {
      const sha = repo.git.resolve(params.ref ?? '')?.sha ?? params.ref;
      const suites = [...repo.suites.values()].filter((s) => s.headSha === sha);
      return json(200, {
        total_count: suites.length,
        check_suites: suites.map((s) =>
          checkSuiteObject(
            s,
            [...repo.runs.values()].filter((r) => r.suiteId === s.id),
            repo.git.commits.get(s.headSha),
            repo.state,
            s.app ?? this.actor,
            this.#pullsForSha(repo, s.headSha),
            this.urls,
            this.#openIssues(repo),
          ),
        ),
      });
    });
  }

  /** `POST /check-runs`: fires `check_run.created` (and `completed` when created completed). */
  #createRun(
    repo: Repo,
    body: Record<string, unknown>,
    app: UserState,
    workflow?: WorkflowInput,
  ): CheckRunState {
    const name = str(body, 'name');
    const headSha = str(body, 'head_sha');
    if (name === undefined) throw invalid('CheckRun', 'name', 'missing_field');
    if (headSha === undefined || !repo.git.commits.has(headSha))
      throw invalid('CheckRun', 'head_sha', 'invalid');
    const output = (body.output ?? {}) as Record<string, unknown>;
    const annotations = annotationsOf(output);
    const suite = this.#suiteFor(repo, headSha, app, workflow);
    const conclusion = (str(body, 'conclusion') ?? null) as CheckRunState['conclusion'];
    const status =
      conclusion === null
        ? ((str(body, 'status') ?? 'queued') as CheckRunState['status'])
        : 'completed';
    const run: CheckRunState = {
      id: this.#id(),
      suiteId: suite.id,
      name,
      headSha,
      status,
      conclusion,
      startedAt: str(body, 'started_at') ?? this.#iso(),
      completedAt: status === 'completed' ? (str(body, 'completed_at') ?? this.#iso()) : null,
      externalId: str(body, 'external_id') ?? null,
      detailsUrl: str(body, 'details_url') ?? null,
      title: str(output, 'title') ?? null,
      summary: str(output, 'summary') ?? null,
      text: str(output, 'text') ?? null,
      annotations,
      app,
    };
    repo.runs.set(run.id, run);
    suite.updatedAt = this.#iso();
    this.#checkRunEvent(repo, run, 'created');
    if (run.status === 'completed') this.#runCompleted(repo, run);
    return run;
  }

  /** `PATCH /check-runs/{id}`: output replaced, annotations appended, completion announced. */
  #updateRun(repo: Repo, run: CheckRunState, body: Record<string, unknown>): void {
    const wasCompleted = run.status === 'completed';
    const conclusion = str(body, 'conclusion') as CheckRunState['conclusion'] | undefined;
    const status = str(body, 'status') as CheckRunState['status'] | undefined;
    const output = body.output as Record<string, unknown> | undefined;
    if (output !== undefined) {
      const annotations = annotationsOf(output);
      run.title = str(output, 'title') ?? run.title;
      run.summary = str(output, 'summary') ?? run.summary;
      if ('text' in output) run.text = str(output, 'text') ?? null;
      run.annotations = [...(run.annotations ?? []), ...annotations];
    }
    if (typeof body.details_url === 'string') run.detailsUrl = body.details_url;
    if (status !== undefined) run.status = status;
    if (conclusion !== undefined) {
      run.conclusion = conclusion;
      run.status = 'completed';
      run.completedAt = str(body, 'completed_at') ?? this.#iso();
    }
    const suite = repo.suites.get(run.suiteId);
    if (suite !== undefined) suite.updatedAt = this.#iso();
    if (!wasCompleted && run.status === 'completed') this.#runCompleted(repo, run);
  }

  #runJson(repo: Repo, run: CheckRunState) {
    return checkRunObject(
      run,
      repo.state,
      run.app ?? this.actor,
      this.#pullsForSha(repo, run.headSha),
      this.urls,
    );
  }

  #setStatus(
    repo: Repo,
    sha: string,
    body: Record<string, unknown>,
    creator: UserState,
  ): CommitStatusState {
    const commit = repo.git.commits.get(sha);
    if (commit === undefined) throw invalid('Status', 'sha', 'invalid', 'No commit found for SHA');
    const state = str(body, 'state');
    if (state !== 'error' && state !== 'failure' && state !== 'pending' && state !== 'success') {
      throw invalid('Status', 'state', 'invalid');
    }
    const now = this.#iso();
    const status: CommitStatusState = {
      id: this.#id(),
      sha,
      state,
      context: str(body, 'context') ?? 'default',
      description: str(body, 'description') ?? null,
      targetUrl: str(body, 'target_url') ?? null,
      creator,
      createdAt: now,
      updatedAt: now,
    };
    repo.statuses.push(status);
    const { api, fullName } = repoUrls(repo.state, this.urls);
    this.#emit(
      repo,
      'status',
      {
        id: status.id,
        sha,
        name: fullName,
        target_url: status.targetUrl,
        context: status.context,
        description: status.description,
        state,
        commit: statusCommitObject(commit, repo.state, this.urls, null),
        branches: [...repo.git.refs]
          .filter(([ref, head]) => ref.startsWith('refs/heads/') && head === sha)
          .map(([ref]) => ({
            name: ref.slice('refs/heads/'.length),
            commit: { sha, url: `${api}/commits/${sha}` },
            protected: false,
          })),
        created_at: now,
        updated_at: now,
      },
      creator,
    );
    return status;
  }

  /** Merges as `PUT /pulls/{n}/merge` does, by `by`; fires `pull_request.closed` and `push`. */
  async #merge(
    repo: Repo,
    pull: PullState,
    issue: IssueState,
    by: UserState,
    body: Record<string, unknown>,
  ): Promise<CommitObject> {
    const headSha = repo.git.refs.get(`refs/heads/${pull.head}`) ?? '';
    const baseSha = repo.git.refs.get(`refs/heads/${pull.base}`) ?? '';
    if (pull.merged || issue.state !== 'open') {
      throw new HttpError(405, {
        message: 'Pull Request is not mergeable',
        documentation_url: DOCS,
        status: '405',
      });
    }
    const expected = str(body, 'sha');
    if (expected !== undefined && expected !== headSha) {
      throw new HttpError(409, {
        message: 'Head branch was modified. Review and try the merge again.',
        documentation_url: DOCS,
        status: '409',
      });
    }
    const head = repo.git.commits.get(headSha);
    if (head === undefined) throw notFound();
    const method = str(body, 'merge_method') ?? 'merge';
    const author = { name: by.login, email: 'noreply@github.com', date: this.#iso() };
    // The emulator does not three-way merge: the result carries the head's tree, which is
    // what GitHub produces whenever the base has not moved since the branch was cut.
    const merged = await repo.git.putCommit({
      tree: head.tree,
      parents: method === 'merge' ? [baseSha, headSha] : [baseSha],
      message: str(body, 'commit_title') ?? `Merge pull request #${pull.number}`,
      author,
      committer: author,
    });
    repo.git.refs.set(`refs/heads/${pull.base}`, merged.sha);
    pull.merged = true;
    pull.mergedAt = this.#iso();
    pull.mergedBy = by;
    pull.mergeCommitSha = merged.sha;
    issue.state = 'closed';
    issue.closedAt = pull.mergedAt;
    issue.closedBy = by;
    this.#pullEvent(repo, pull, 'closed', by);
    this.#pushEvent(repo, `refs/heads/${pull.base}`, baseSha, merged.sha, by, false);
    return merged;
  }

  #treeJson(repo: Repo, sha: string, recursive: boolean) {
    const { api } = repoUrls(repo.state, this.urls);
    const all = recursive ? [...this.#walk(repo, sha, '')] : (repo.git.trees.get(sha) ?? []);
    const entries = recursive ? all.slice(0, this.#maxTreeEntries) : all;
    return {
      sha,
      url: `${api}/git/trees/${sha}`,
      truncated: entries.length < all.length,
      tree: entries.map((e) => ({
        path: e.path,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.type === 'blob' ? { size: repo.git.blobs.get(e.sha)?.byteLength ?? 0 } : {}),
        url: `${api}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
      })),
    };
  }

  *#walk(repo: Repo, sha: string, prefix: string): Generator<TreeEntry> {
    for (const e of repo.git.trees.get(sha) ?? []) {
      yield { ...e, path: `${prefix}${e.path}` };
      if (e.type === 'tree') yield* this.#walk(repo, e.sha, `${prefix}${e.path}/`);
    }
  }

  #pullJson(repo: Repo, pull: PullState) {
    const issue = this.#getIssue(repo, String(pull.number));
    const headSha = repo.git.refs.get(`refs/heads/${pull.head}`) ?? pull.mergeCommitSha ?? '';
    const baseSha = repo.git.refs.get(`refs/heads/${pull.base}`) ?? '';
    return pullObject(
      pull,
      issue,
      repo.state,
      this.#labelsOf(repo, issue),
      headSha,
      baseSha,
      this.urls,
      this.#openIssues(repo),
    );
  }

  /** The user object of the token's account, for assertions. */
  actorJson() {
    return userObject(this.actor, this.urls);
  }
}
