/**
 * Sentry's REST API as the importer uses it (issue 13, item 2), held honest by
 * `sentry-openapi-validator.ts`: every answer is checked against Sentry's published OpenAPI
 * description (`sentry-openapi.subset.json`). A `(Request) => Promise<Response>`; Web APIs only,
 * so it runs inside workerd tests as well as behind a Node server.
 *
 * Served: `GET /api/0/organizations/{org}/issues/` (with `project`, `query`, `environment`,
 * `sort=date`, `limit`, `cursor`) and `GET …/issues/{id}/events/{event_id|latest|oldest}/`.
 * As Sentry does:
 * - Bearer tokens; 401 `{"detail": "Invalid token"}` otherwise (docs.sentry.io/api/auth/).
 * - Pagination by `Link` header, `rel="previous"` and `rel="next"` always present with
 *   `results="true|false"` and `cursor="<value>:<offset>:<is_prev>"` (docs.sentry.io/api/pagination/).
 * - A fixed-window limit per caller and endpoint; every answer carries `X-Sentry-Rate-Limit-Limit`,
 *   `-Remaining`, `-Reset` (epoch seconds), `-ConcurrentLimit`, `-ConcurrentRemaining`, and an
 *   exceeded limit answers 429 `{"detail": "You are attempting to use this endpoint too frequently.
 *   Limit is N requests in W seconds"}` with those headers and no `Retry-After`
 *   (getsentry/sentry, src/sentry/middleware/ratelimit.py). `retryAfterOn429` adds one, as a proxy
 *   in front of a self-hosted Sentry may.
 * - `is:unresolved` is the default query; issues of other categories and resolved ones are left
 *   out by `is:unresolved issue.category:error`, the only queries understood here.
 */

export interface EmulatedFrame {
  function?: string | null;
  absPath: string;
  lineNo?: number | null;
  colNo?: number | null;
  inApp?: boolean;
}

export interface EmulatedEventInput {
  org: string;
  project: string;
  /** Events with the same group key land in one issue, as Sentry's grouping would put them. */
  group: string;
  type: string;
  value: string;
  /** Oldest first, the crashing frame last (Sentry's order). */
  frames: EmulatedFrame[];
  /** Sentry's source-mapped frames; when given, `frames` are the raw ones (`rawStacktrace`). */
  mappedFrames?: EmulatedFrame[];
  release?: string;
  environment?: string;
  user?: { id?: string; ip_address?: string; email?: string };
  url?: string;
  category?: 'error' | 'performance' | 'feedback';
  at?: number;
}

interface StoredEvent {
  id: string;
  issueId: string;
  input: EmulatedEventInput;
  at: number;
}

interface StoredIssue {
  id: string;
  org: string;
  project: string;
  group: string;
  shortId: string;
  status: 'unresolved' | 'resolved';
  category: 'error' | 'performance' | 'feedback';
  events: StoredEvent[];
}

interface ProjectInfo {
  id: string;
  slug: string;
  counter: number;
}

export interface SentryEmulatorOptions {
  token: string;
  now?: () => number;
  /** Requests per window per endpoint (Sentry's default is 40 per 1 s; docs.sentry.io/api/ratelimits). */
  rateLimit?: { limit: number; windowSeconds: number };
  retryAfterOn429?: boolean;
  /** A self-hosted Sentry from before issue categories: `issue.category:` is a search error. */
  legacySearch?: boolean;
}

const ISSUES = /^\/api\/0\/organizations\/([^/]+)\/issues\/$/;
const EVENT = /^\/api\/0\/organizations\/([^/]+)\/issues\/([^/]+)\/events\/([^/]+)\/$/;

function hex32(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class SentryEmulator {
  readonly requests: { method: string; path: string; query: Record<string, string[]> }[] = [];
  #options: SentryEmulatorOptions;
  #now: () => number;
  #projects = new Map<string, ProjectInfo>();
  #issues: StoredIssue[] = [];
  #nextIssueId = 4_000_000_000;
  #windows = new Map<string, { start: number; count: number }>();
  #faults: ('hang' | number)[] = [];

  constructor(options: SentryEmulatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  setRateLimit(limit: SentryEmulatorOptions['rateLimit']): void {
    this.#options = { ...this.#options, rateLimit: limit };
    this.#windows.clear();
  }

  /** The next requests fail: with an HTTP status, or by never answering (`hang`). */
  failNext(...faults: ('hang' | number)[]): void {
    this.#faults.push(...faults);
  }

  addEvent(input: EmulatedEventInput): { issueId: string; eventId: string } {
    const key = `${input.org}/${input.project}`;
    let project = this.#projects.get(key);
    if (project === undefined) {
      project = { id: String(100 + this.#projects.size), slug: input.project, counter: 0 };
      this.#projects.set(key, project);
    }
    let issue = this.#issues.find(
      (i) => i.org === input.org && i.project === input.project && i.group === input.group,
    );
    if (issue === undefined) {
      project.counter++;
      issue = {
        id: String(this.#nextIssueId++),
        org: input.org,
        project: input.project,
        group: input.group,
        shortId: `${input.project.toUpperCase()}-${project.counter.toString(36).toUpperCase()}`,
        status: 'unresolved',
        category: input.category ?? 'error',
        events: [],
      };
      this.#issues.push(issue);
    } else if (issue.status === 'resolved') {
      issue.status = 'unresolved';
    }
    const event: StoredEvent = {
      id: hex32(),
      issueId: issue.id,
      input,
      at: input.at ?? this.#now(),
    };
    issue.events.push(event);
    return { issueId: issue.id, eventId: event.id };
  }

  resolve(issueId: string): void {
    const issue = this.#issues.find((i) => i.id === issueId);
    if (issue) issue.status = 'resolved';
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) query[k] = [...(query[k] ?? []), v];
    this.requests.push({ method: request.method, path: url.pathname, query });

    const fault = this.#faults.shift();
    if (fault === 'hang') {
      // Never answers; only the caller's own timeout (AbortSignal) ends the wait.
      return new Promise<Response>((_, reject) => {
        request.signal.addEventListener('abort', () => reject(request.signal.reason));
      });
    }
    if (typeof fault === 'number') return json({ detail: 'Internal Error' }, fault);

    if (request.method !== 'GET') return json({ detail: 'Method not allowed' }, 405);
    const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
    if (token !== this.#options.token) return json({ detail: 'Invalid token' }, 401);

    const issues = ISSUES.exec(url.pathname);
    const event = EVENT.exec(url.pathname);
    const endpoint = issues ? 'issues' : event ? 'event' : null;
    if (endpoint === null) return json({ detail: 'The requested resource does not exist' }, 404);
    const limited = this.#rateLimit(endpoint);
    if (limited.exceeded) {
      const { limit, windowSeconds } = this.#options.rateLimit ?? { limit: 0, windowSeconds: 1 };
      const res = json(
        {
          detail: `You are attempting to use this endpoint too frequently. Limit is ${limit} requests in ${windowSeconds} seconds`,
        },
        429,
        limited.headers,
      );
      if (this.#options.retryAfterOn429) {
        res.headers.set(
          'retry-after',
          String(Math.max(1, limited.resetSeconds - Math.floor(this.#now() / 1000))),
        );
      }
      return res;
    }
    if (issues?.[1] !== undefined) return this.#listIssues(issues[1], url, limited.headers);
    if (event?.[1] !== undefined && event[2] !== undefined && event[3] !== undefined) {
      return this.#getEvent(event[1], event[2], event[3], url, limited.headers);
    }
    return json({ detail: 'The requested resource does not exist' }, 404);
  };

  #rateLimit(endpoint: string): {
    exceeded: boolean;
    headers: Record<string, string>;
    resetSeconds: number;
  } {
    const config = this.#options.rateLimit ?? { limit: 40, windowSeconds: 1 };
    const now = this.#now();
    const windowMs = config.windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    let window = this.#windows.get(endpoint);
    if (window === undefined || window.start !== start) {
      window = { start, count: 0 };
      this.#windows.set(endpoint, window);
    }
    window.count++;
    const resetSeconds = Math.floor((start + windowMs) / 1000);
    return {
      exceeded: window.count > config.limit,
      resetSeconds,
      headers: {
        'x-sentry-rate-limit-limit': String(config.limit),
        'x-sentry-rate-limit-remaining': String(Math.max(0, config.limit - window.count)),
        'x-sentry-rate-limit-reset': String(resetSeconds),
        'x-sentry-rate-limit-concurrentlimit': '25',
        'x-sentry-rate-limit-concurrentremaining': '24',
      },
    };
  }

  #listIssues(org: string, url: URL, headers: Record<string, string>): Response {
    const projects = url.searchParams.getAll('project');
    const q = url.searchParams.get('query') ?? 'is:unresolved';
    const terms = q.split(/\s+/).filter(Boolean);
    const known = new Set(
      this.#options.legacySearch ? ['is:unresolved'] : ['is:unresolved', 'issue.category:error'],
    );
    if (terms.some((t) => !known.has(t))) {
      return json(
        { detail: 'Error parsing search query: unsupported in the emulator' },
        400,
        headers,
      );
    }
    const environments = url.searchParams.getAll('environment');
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 100)));
    const cursor = url.searchParams.get('cursor') ?? '0:0:0';
    const offset = Number(/^\d+:(\d+):[01]$/.exec(cursor)?.[1] ?? Number.NaN);
    if (!Number.isInteger(offset))
      return json({ detail: 'Invalid cursor parameter.' }, 400, headers);
    const matching = this.#issues
      .filter((i) => i.org === org)
      .filter((i) => projects.length === 0 || projects.includes(i.project))
      .filter((i) => !terms.includes('is:unresolved') || i.status === 'unresolved')
      .filter((i) => !terms.includes('issue.category:error') || i.category === 'error')
      .filter(
        (i) =>
          environments.length === 0 ||
          i.events.some((e) => environments.includes(e.input.environment ?? '')),
      )
      // sort=date: most recently seen first (Sentry's default).
      .sort((a, b) => lastAt(b) - lastAt(a) || Number(b.id) - Number(a.id));
    const page = matching.slice(offset, offset + limit);
    const base = `${url.origin}${url.pathname}`;
    const link = (rel: string, off: number, isPrev: 0 | 1, results: boolean) => {
      const c = `0:${off}:${isPrev}`;
      const params = new URLSearchParams(url.searchParams);
      params.set('cursor', c);
      return `<${base}?${params}>; rel="${rel}"; results="${results}"; cursor="${c}"`;
    };
    const links = [
      link('previous', Math.max(0, offset - limit), 1, offset > 0),
      link('next', offset + limit, 0, offset + limit < matching.length),
    ].join(', ');
    return json(
      page.map((i) => this.#serializeIssue(i)),
      200,
      { ...headers, link: links },
    );
  }

  #getEvent(
    org: string,
    issueId: string,
    which: string,
    url: URL,
    headers: Record<string, string>,
  ): Response {
    const issue = this.#issues.find((i) => i.org === org && i.id === issueId);
    const environments = url.searchParams.getAll('environment');
    const events = (issue?.events ?? []).filter(
      (e) => environments.length === 0 || environments.includes(e.input.environment ?? ''),
    );
    const sorted = [...events].sort((a, b) => a.at - b.at);
    const event =
      which === 'latest'
        ? sorted.at(-1)
        : which === 'oldest'
          ? sorted[0]
          : sorted.find((e) => e.id === which);
    if (issue === undefined || event === undefined) {
      return json({ detail: 'The requested resource does not exist' }, 404, headers);
    }
    const index = sorted.indexOf(event);
    return json(
      this.#serializeEvent(
        issue,
        event,
        sorted[index - 1]?.id ?? null,
        sorted[index + 1]?.id ?? null,
      ),
      200,
      headers,
    );
  }

  #serializeIssue(issue: StoredIssue) {
    const first = issue.events[0];
    const last = issue.events.at(-1);
    const input = last?.input ?? first?.input;
    const project = this.#projects.get(`${issue.org}/${issue.project}`);
    const users = new Set(
      issue.events.map((e) => e.input.user?.id ?? e.input.user?.ip_address ?? e.id),
    );
    const firstSeen = first ? iso(first.at) : null;
    const lastSeen = last ? iso(last.at) : null;
    const count = String(issue.events.length);
    return {
      id: issue.id,
      shareId: null,
      shortId: issue.shortId,
      title: `${input?.type ?? 'Error'}: ${input?.value ?? ''}`,
      culprit: lastFrame(input)?.function ?? null,
      permalink: `https://${issue.org}.sentry.io/issues/${issue.id}/`,
      logger: null,
      level: 'error',
      status: issue.status,
      statusDetails: {},
      substatus: issue.status === 'unresolved' ? 'ongoing' : null,
      isPublic: false,
      platform: 'javascript',
      priority: 'high',
      priorityLockedAt: null,
      seerFixabilityScore: null,
      seerAutofixLastTriggered: null,
      seerExplorerAutofixLastTriggered: null,
      project: {
        id: project?.id ?? '0',
        name: issue.project,
        slug: issue.project,
        platform: 'javascript',
      },
      type: issue.category === 'error' ? 'error' : 'generic',
      issueType: issue.category === 'error' ? 'error' : 'performance_n_plus_one_db_queries',
      issueCategory: issue.category,
      metadata: {
        type: input?.type ?? 'Error',
        value: input?.value ?? '',
        filename: lastFrame(input)?.absPath ?? '',
      },
      numComments: 0,
      assignedTo: null,
      isBookmarked: false,
      isSubscribed: false,
      subscriptionDetails: null,
      hasSeen: false,
      annotations: [],
      isUnhandled: true,
      count,
      userCount: users.size,
      firstSeen,
      lastSeen,
      derivedData: {
        blocker: 'none',
        progress: 'none',
        status: 'open',
        viewCount: 0,
        hasOpenFixPr: false,
        isAssigned: false,
        hasRootCause: false,
        lastCompletedAutofixStep: 'none',
        lastProgressedAt: null,
      },
      stats: { '24h': [] },
      lifetime: { count, userCount: users.size, firstSeen, lastSeen },
      filtered: null,
      sessionCount: 0,
      inbox: { reason: 0, reason_details: null, date_added: firstSeen ?? iso(0) },
      owners: { type: 'ownershipRule', owner: 'team:1', date_added: firstSeen ?? iso(0) },
      integrationIssues: [],
      sentryAppIssues: [],
      latestEventHasAttachments: false,
      matchingEventId: null,
      matchingEventEnvironment: null,
    };
  }

  #serializeEvent(
    issue: StoredIssue,
    event: StoredEvent,
    previous: string | null,
    next: string | null,
  ) {
    const { input } = event;
    const project = this.#projects.get(`${issue.org}/${issue.project}`);
    const frames = (list: EmulatedFrame[]) =>
      list.map((f) => ({
        function: f.function ?? null,
        errors: null,
        colNo: f.colNo ?? null,
        vars: null,
        package: null,
        absPath: f.absPath,
        inApp: f.inApp ?? true,
        lineNo: f.lineNo ?? null,
        module: null,
        filename: new URL(f.absPath).pathname,
        platform: null,
        instructionAddr: null,
        context: [],
        symbolAddr: null,
        trust: null,
        symbol: null,
      }));
    const stack = (list: EmulatedFrame[]) => ({
      frames: frames(list),
      framesOmitted: null,
      registers: null,
      hasSystemFrames: true,
    });
    const tags = [
      ...(input.environment ? [{ key: 'environment', value: input.environment }] : []),
      { key: 'level', value: 'error' },
      ...(input.release ? [{ key: 'release', value: input.release }] : []),
      ...(input.user?.email ? [{ key: 'user', value: `email:${input.user.email}` }] : []),
    ];
    const entries: unknown[] = [
      {
        type: 'exception',
        data: {
          values: [
            {
              type: input.type,
              value: input.value,
              module: null,
              mechanism: { type: 'onerror', handled: false },
              threadId: null,
              stacktrace: stack(input.mappedFrames ?? input.frames),
              rawStacktrace: input.mappedFrames ? stack(input.frames) : null,
            },
          ],
          excOmitted: null,
          hasSystemFrames: true,
        },
      },
    ];
    if (input.url) {
      entries.push({
        type: 'request',
        data: {
          fragment: null,
          cookies: [],
          inferredContentType: null,
          env: null,
          headers: [],
          url: input.url,
          query: [],
          data: null,
          method: null,
        },
      });
    }
    return {
      id: event.id,
      groupID: issue.id,
      eventID: event.id,
      projectID: project?.id ?? '0',
      message: '',
      title: `${input.type}: ${input.value}`,
      location: lastFrame(input)?.absPath ?? null,
      user: input.user
        ? {
            id: input.user.id ?? null,
            email: input.user.email ?? null,
            username: null,
            ip_address: input.user.ip_address ?? null,
            name: null,
            geo: null,
            data: null,
          }
        : null,
      tags,
      platform: 'javascript',
      dateReceived: iso(event.at + 300),
      contexts: { browser: { name: 'Chrome', version: '131.0.0', type: 'browser' } },
      size: 4096,
      entries,
      dist: null,
      sdk: { name: 'sentry.javascript.browser', version: '11.12.0' },
      context: {},
      packages: {},
      type: 'error',
      metadata: { type: input.type, value: input.value },
      errors: [],
      occurrence: null,
      _meta: {},
      crashFile: null,
      culprit: lastFrame(input)?.function ?? null,
      dateCreated: iso(event.at),
      fingerprints: [issue.group],
      groupingConfig: { id: 'newstyle:2023-01-11', enhancements: '' },
      release: input.release
        ? {
            id: 1,
            commitCount: 0,
            data: {},
            dateCreated: iso(event.at),
            dateReleased: null,
            deployCount: 0,
            ref: null,
            lastCommit: null,
            lastDeploy: null,
            status: 'open',
            url: null,
            userAgent: null,
            version: input.release,
            versionInfo: null,
          }
        : null,
      userReport: null,
      sdkUpdates: [],
      resolvedWith: [],
      nextEventID: next,
      previousEventID: previous,
    };
  }
}

function lastAt(issue: StoredIssue): number {
  return Math.max(...issue.events.map((e) => e.at));
}

function lastFrame(input: EmulatedEventInput | undefined): EmulatedFrame | undefined {
  return (input?.mappedFrames ?? input?.frames)?.at(-1);
}

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
