import { fromBase64, GitStore, type TreeEntry, toBase64 } from './git-store.ts';
import {
  type AuthorAssociation,
  type CheckRunState,
  type CheckSuiteState,
  type CommentState,
  checkRunObject,
  checkSuiteObject,
  commentObject,
  commitObject,
  gitCommitObject,
  type IssueState,
  issueObject,
  type LabelState,
  labelObject,
  type PullForCheck,
  type PullState,
  pullObject,
  type RepoState,
  refObject,
  repositoryObject,
  repoUrls,
  type Urls,
  type UserState,
  userObject,
} from './github-objects.ts';

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

export class GitHubEmulator {
  readonly urls: Urls;
  readonly #token: string | undefined;
  readonly #now: () => number;
  readonly #maxTreeEntries: number;
  readonly #repos = new Map<string, Repo>();
  readonly #routes: { method: string; regex: RegExp; names: string[]; handler: Handler }[] = [];
  readonly #faults: Fault[] = [];
  readonly actor: UserState;
  readonly requests: LoggedRequest[] = [];
  #nextId = 1000;
  #rate = { limit: 5000, remaining: 5000, resetAt: 0 };

  constructor(options: EmulatorOptions = {}) {
    this.urls = {
      api: (options.baseUrl ?? 'https://api.github.com').replace(/\/$/, ''),
      html: options.htmlUrl ?? 'https://github.com',
    };
    this.#token = options.token;
    this.#now = options.now ?? Date.now;
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
      /** A repository that already has issues: numbering continues from here (default 1). */
      firstIssueNumber?: number;
    } = {},
  ): Promise<void> {
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
      nextNumber: options.firstIssueNumber ?? 1,
    };
    const files = new Map<string, TreeEntry>();
    for (const [path, content] of Object.entries(options.files ?? { 'README.md': `# ${name}\n` })) {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      const sha = await repo.git.putBlob(bytes);
      files.set(path, { path, mode: '100644', type: 'blob', sha });
    }
    const tree = await repo.git.buildTree(files);
    const author = { name: 'Octo Cat', email: 'octocat@example.com', date: this.#iso() };
    const commit = await repo.git.putCommit({
      tree,
      parents: [],
      message: 'Initial commit',
      author,
      committer: author,
    });
    repo.git.refs.set(`refs/heads/${repo.state.defaultBranch}`, commit.sha);
    this.#repos.set(slug.toLowerCase(), repo);
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

  /** A person acting on the web UI: these change state without going through the client. */
  humanCloses(slug: string, number: number, login = 'octocat'): void {
    const issue = this.issue(slug, number);
    issue.state = 'closed';
    issue.stateReason = 'completed';
    issue.closedAt = this.#iso();
    issue.closedBy = { id: this.#id(), login, type: 'User' };
  }

  humanLabels(slug: string, number: number, label: string): void {
    const repo = this.#repo(slug);
    this.#ensureLabels(repo, [label]);
    const issue = this.issue(slug, number);
    if (!issue.labels.some((l) => l.toLowerCase() === label.toLowerCase()))
      issue.labels.push(label);
  }

  humanComments(
    slug: string,
    number: number,
    body: string,
    association: AuthorAssociation = 'OWNER',
  ): CommentState {
    const repo = this.#repo(slug);
    return this.#comment(
      repo,
      number,
      body,
      { id: this.#id(), login: 'octocat', type: 'User' },
      association,
    );
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
    if (this.#token !== undefined) {
      const auth = request.headers.get('authorization') ?? '';
      if (auth !== `Bearer ${this.#token}` && auth !== `token ${this.#token}`) {
        return json(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
      }
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
      issue.pullRequest ? { pullRequest: { mergedAt: pull?.mergedAt ?? null } } : {},
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
      user: this.actor,
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

  #suiteFor(repo: Repo, headSha: string): CheckSuiteState {
    const existing = [...repo.suites.values()].find((s) => s.headSha === headSha);
    if (existing !== undefined) return existing;
    const branch = [...repo.git.refs].find(([, sha]) => sha === headSha)?.[0];
    const suite: CheckSuiteState = {
      id: this.#id(),
      headSha,
      headBranch: branch?.replace(/^refs\/heads\//, '') ?? null,
      createdAt: this.#iso(),
      updatedAt: this.#iso(),
    };
    repo.suites.set(suite.id, suite);
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
      for (const label of this.#ensureLabels(repo, labelNames(body))) {
        if (!issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) {
          issue.labels.push(label.name);
        }
      }
      issue.updatedAt = this.#iso();
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
      repo.git.refs.set(ref, sha);
      return json(200, refObject(ref, sha, repo.state, this.urls));
    });
    this.#route('DELETE', `${R}/git/refs/{ref}`, ({ repo, params }) => {
      if (!repo.git.refs.delete(`refs/${params.ref}`))
        throw invalid('Reference', 'ref', 'invalid', 'Reference does not exist');
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
      return json(200, this.#pullJson(repo, pull));
    });
    this.#route('GET', `${R}/pulls/{pull_number}/merge`, ({ repo, params }) => {
      const pull = repo.pulls.get(Number(params.pull_number));
      if (pull === undefined || !pull.merged) throw notFound();
      return new Response(null, { status: 204 });
    });
    this.#route('PUT', `${R}/pulls/{pull_number}/merge`, async ({ repo, params, body }) => {
      const pull = repo.pulls.get(Number(params.pull_number));
      const issue = repo.issues.get(Number(params.pull_number));
      if (pull === undefined || issue === undefined) throw notFound();
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
      const author = { name: this.actor.login, email: 'noreply@github.com', date: this.#iso() };
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
      pull.mergedBy = this.actor;
      pull.mergeCommitSha = merged.sha;
      issue.state = 'closed';
      issue.closedAt = pull.mergedAt;
      issue.closedBy = this.actor;
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
      return json(201, commitObject(merged, repo.state, this.urls));
    });

    // Checks
    this.#route('POST', `${R}/check-runs`, ({ repo, body }) => {
      const name = str(body, 'name');
      const headSha = str(body, 'head_sha');
      if (name === undefined) throw invalid('CheckRun', 'name', 'missing_field');
      if (headSha === undefined || !repo.git.commits.has(headSha))
        throw invalid('CheckRun', 'head_sha', 'invalid');
      const suite = this.#suiteFor(repo, headSha);
      const conclusion = (str(body, 'conclusion') ?? null) as CheckRunState['conclusion'];
      const status =
        conclusion === null
          ? ((str(body, 'status') ?? 'queued') as CheckRunState['status'])
          : 'completed';
      const output = (body.output ?? {}) as Record<string, unknown>;
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
      };
      repo.runs.set(run.id, run);
      suite.updatedAt = this.#iso();
      return json(
        201,
        checkRunObject(run, repo.state, this.actor, this.#pullsForSha(repo, headSha), this.urls),
      );
    });
    this.#route('GET', `${R}/check-runs/{check_run_id}`, ({ repo, params }) => {
      const run = repo.runs.get(Number(params.check_run_id));
      if (run === undefined) throw notFound();
      return json(
        200,
        checkRunObject(
          run,
          repo.state,
          this.actor,
          this.#pullsForSha(repo, run.headSha),
          this.urls,
        ),
      );
    });
    this.#route('PATCH', `${R}/check-runs/{check_run_id}`, ({ repo, params, body }) => {
      const run = repo.runs.get(Number(params.check_run_id));
      if (run === undefined) throw notFound();
      const conclusion = str(body, 'conclusion') as CheckRunState['conclusion'] | undefined;
      const status = str(body, 'status') as CheckRunState['status'] | undefined;
      if (status !== undefined) run.status = status;
      if (conclusion !== undefined) {
        run.conclusion = conclusion;
        run.status = 'completed';
        run.completedAt = str(body, 'completed_at') ?? this.#iso();
      }
      return json(
        200,
        checkRunObject(
          run,
          repo.state,
          this.actor,
          this.#pullsForSha(repo, run.headSha),
          this.urls,
        ),
      );
    });
    this.#route('GET', `${R}/commits/{ref}/check-runs`, ({ repo, params, query }) => {
      const sha = repo.git.resolve(params.ref ?? '')?.sha ?? params.ref;
      const name = query.get('check_name');
      const runs = [...repo.runs.values()].filter(
        (r) => r.headSha === sha && (name === null || r.name === name),
      );
      return json(200, {
        total_count: runs.length,
        check_runs: runs.map((r) =>
          checkRunObject(r, repo.state, this.actor, this.#pullsForSha(repo, r.headSha), this.urls),
        ),
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
            this.actor,
            this.#pullsForSha(repo, s.headSha),
            this.urls,
            this.#openIssues(repo),
          ),
        ),
      });
    });
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
