import { OUTBOUND_TIMEOUT_MS } from '@homeostat/shared';
import { Octokit } from '@octokit/core';
import { z } from 'zod';
import { TriageError } from '../errors.ts';
import { GitHubErrorBodySchema } from './github.schema.ts';
import type { GitHubCredentials } from './github-auth.ts';
import { type GitHubRequest, GRAPHQL_PATH } from './github-request.ts';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface GitHubClientOptions {
  /** `github.apiBaseUrl` from the config: api.github.com, a GHES `/api/v3` URL, or an emulator. */
  baseUrl: string;
  credentials: GitHubCredentials;
  /** Injected by tests (the emulator); production uses the runtime's fetch. */
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Tries per request, first included, for retryable failures. */
  maxAttempts?: number;
  /**
   * The longest wait the client spends inside one invocation. A longer rate-limit wait is
   * returned to the caller as a retryable error with `retryAfterSeconds`, so the queue message is
   * retried later instead of holding a Worker for minutes.
   */
  maxInlineWaitMs?: number;
  /**
   * Deadline of one try (issue 11, item 4); default OUTBOUND_TIMEOUT_MS.github. A try that
   * times out is a network failure whose outcome is unknown: retried when idempotent, else
   * surfaced as retryable `github_unavailable`.
   */
  timeoutMs?: number;
  userAgent?: string;
}

export interface GitHubResponse {
  status: number;
  headers: Record<string, string>;
  data: unknown;
}

export interface RateLimitSnapshot {
  remaining: number;
  /** Epoch milliseconds at which the window resets. */
  resetAt: number;
}

/** What Octokit throws (a `RequestError`), read structurally: zod at the edge. */
const OctokitErrorSchema = z.object({
  status: z.number(),
  message: z.string().optional(),
  response: z
    .object({
      headers: z.record(z.string(), z.unknown()).catch({}),
      data: z.unknown(),
    })
    .optional(),
});

/** A failed try: GitHub's answer, or status 0 for none (a network failure or a timeout). */
interface Failure {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
  timedOut?: boolean;
}

const SECONDARY_DEFAULT_WAIT_MS = 60_000; // "wait for at least one minute" (GitHub REST docs)
const SERVER_ERROR_BASE_MS = 1_000;

function header(headers: Record<string, unknown>, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

const noop = () => {};

const GHES_REST_SUFFIX = /\/api\/v3\/?$/;

/**
 * Where `POST /graphql` goes for a REST base URL. GitHub.com (and an emulator) serve GraphQL next
 * to REST (`https://api.github.com/graphql`), but GitHub Enterprise Server serves REST at
 * `<host>/api/v3` and GraphQL at `<host>/api/graphql`, so `<base>/graphql` would be a REST 404
 * there. Octokit's own GraphQL client makes the same replacement (@octokit/graphql,
 * dist-src/graphql.js: `GHES_V3_SUFFIX_REGEX = /\/api\/v3\/?$/` → `/api/graphql`).
 */
export function graphqlUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/$/, '');
  return GHES_REST_SUFFIX.test(base)
    ? base.replace(GHES_REST_SUFFIX, '/api/graphql')
    : `${base}${GRAPHQL_PATH}`;
}

/**
 * GitHub REST client on `@octokit/core` (issue 5, item 1). Sends `GitHubRequest`s, honours the
 * primary rate limit (`x-ratelimit-remaining`/`x-ratelimit-reset`: waits, or refuses to send
 * while exhausted), secondary limits (`retry-after`, 403/429) and retries 5xx and network
 * failures with exponential backoff, but only for idempotent requests: a create whose outcome is
 * unknown is surfaced as retryable so the caller can look before it creates again
 * (fingerprint-issue.ts). Every failure becomes a `TriageError` with a closed code.
 */
export class GitHubClient {
  readonly #octokit: Octokit;
  readonly #graphqlUrl: string;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxAttempts: number;
  readonly #maxInlineWaitMs: number;
  readonly #timeoutMs: number;
  readonly #credentials: GitHubCredentials;
  #rateLimit: RateLimitSnapshot | undefined;

  constructor(options: GitHubClientOptions) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#maxInlineWaitMs = options.maxInlineWaitMs ?? 10_000;
    this.#timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS.github;
    this.#graphqlUrl = graphqlUrl(options.baseUrl);
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
    this.#octokit = new Octokit({
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      userAgent: options.userAgent ?? 'homeostat-triage',
      request: { fetch: fetchImpl },
      log: { debug: noop, info: noop, warn: noop, error: noop },
    });
    this.#credentials = options.credentials;
  }

  /** The last rate-limit state GitHub reported, for run records and tests. */
  get rateLimit(): RateLimitSnapshot | undefined {
    return this.#rateLimit;
  }

  async send(request: GitHubRequest): Promise<GitHubResponse> {
    let reauthorized = false;
    for (let attempt = 1; ; attempt++) {
      await this.#waitForPrimaryWindow();
      // Per try, outside the catch below: a renewable credential may have been renewed since the
      // last try, and its own failure (an App key GitHub refuses) is already a typed TriageError.
      const authorization = await this.#credentials.authorization();
      let failure: Failure;
      // A fresh deadline per try; Octokit hands it to fetch, so it covers the body as well.
      const signal = AbortSignal.timeout(this.#timeoutMs);
      try {
        // An absolute URL is used as is by Octokit (@octokit/endpoint prefixes only relative
        // ones with the base URL): that is how GraphQL reaches GHES's `/api/graphql`.
        const target = request.path === GRAPHQL_PATH ? this.#graphqlUrl : request.path;
        const res = await this.#octokit.request(`${request.method} ${target}`, {
          ...(request.query ?? {}),
          ...(request.body === undefined ? {} : { data: request.body }),
          ...(authorization === null ? {} : { headers: { authorization } }),
          request: { signal },
        });
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
        }
        this.#observe(headers);
        return { status: res.status, headers, data: res.data };
      } catch (err) {
        const parsed = OctokitErrorSchema.safeParse(err);
        if (signal.aborted) {
          // Octokit reports an abort as a 500 (or rethrows it): it is no answer at all.
          failure = { status: 0, headers: {}, data: undefined, timedOut: true };
        } else if (!parsed.success) {
          // Not an HTTP answer at all: the outcome is unknown, like a network failure.
          failure = { status: 0, headers: {}, data: undefined };
        } else {
          failure = {
            status: parsed.data.status,
            headers: parsed.data.response?.headers ?? {},
            data: parsed.data.response?.data,
          };
        }
      }
      this.#observe(failure.headers);
      // A 401 on a renewable credential (an App installation token revoked or expired early):
      // GitHub did not act, so the request is sent once more with a fresh token.
      const invalidate = this.#credentials.invalidate;
      if (failure.status === 401 && authorization !== null && invalidate && !reauthorized) {
        reauthorized = true;
        invalidate.call(this.#credentials, authorization);
        continue;
      }
      const decision = this.#classify(failure, attempt, request);
      if (decision.kind === 'fail') throw decision.error;
      await this.#sleep(decision.waitMs);
    }
  }

  #observe(headers: Record<string, unknown>): void {
    const remaining = header(headers, 'x-ratelimit-remaining');
    const reset = header(headers, 'x-ratelimit-reset');
    if (remaining === undefined || reset === undefined) return;
    const r = Number(remaining);
    const s = Number(reset);
    if (Number.isFinite(r) && Number.isFinite(s))
      this.#rateLimit = { remaining: r, resetAt: s * 1000 };
  }

  /** While the primary quota is exhausted nothing is sent: GitHub would refuse it anyway. */
  async #waitForPrimaryWindow(): Promise<void> {
    const rl = this.#rateLimit;
    if (rl === undefined || rl.remaining > 0) return;
    const waitMs = rl.resetAt - this.#now() + 1_000;
    if (waitMs <= 0) return;
    if (waitMs > this.#maxInlineWaitMs) {
      throw new TriageError('github_rate_limited', 'GitHub rate limit exhausted', {
        retryAfterSeconds: Math.ceil(waitMs / 1000),
        internal: 'primary rate limit: remaining 0 until reset',
      });
    }
    await this.#sleep(waitMs);
    this.#rateLimit = undefined;
  }

  #classify(
    failure: Failure,
    attempt: number,
    request: GitHubRequest,
  ): { kind: 'retry'; waitMs: number } | { kind: 'fail'; error: TriageError } {
    const { status, headers } = failure;
    const message = GitHubErrorBodySchema.parse(failure.data).message ?? '';
    const retryAfter = header(headers, 'retry-after');
    const remaining = header(headers, 'x-ratelimit-remaining');
    const reset = header(headers, 'x-ratelimit-reset');
    const rateLimited =
      status === 429 ||
      (status === 403 &&
        (retryAfter !== undefined || remaining === '0' || /rate limit/i.test(message)));
    const attemptsLeft = attempt < this.#maxAttempts;
    if (rateLimited) {
      // Order from GitHub's docs: retry-after first, then the primary reset, then ≥ 1 minute,
      // growing exponentially while secondary limits keep refusing.
      let waitMs: number;
      if (retryAfter !== undefined && Number.isFinite(Number(retryAfter))) {
        waitMs = Number(retryAfter) * 1000;
      } else if (remaining === '0' && reset !== undefined && Number.isFinite(Number(reset))) {
        waitMs = Math.max(0, Number(reset) * 1000 - this.#now()) + 1_000;
      } else {
        waitMs = SECONDARY_DEFAULT_WAIT_MS * 2 ** (attempt - 1);
      }
      if (attemptsLeft && waitMs <= this.#maxInlineWaitMs) return { kind: 'retry', waitMs };
      return {
        kind: 'fail',
        error: new TriageError('github_rate_limited', 'GitHub rate limit reached', {
          retryAfterSeconds: Math.ceil(waitMs / 1000),
          upstreamStatus: status,
          internal: `${request.method} ${request.path}: ${status} rate limited`,
        }),
      };
    }
    if (status === 0 || status >= 500) {
      const waitMs = SERVER_ERROR_BASE_MS * 2 ** (attempt - 1);
      if (request.idempotent && attemptsLeft && waitMs <= this.#maxInlineWaitMs) {
        return { kind: 'retry', waitMs };
      }
      return {
        kind: 'fail',
        error: new TriageError('github_unavailable', 'GitHub is unavailable', {
          retryAfterSeconds: Math.ceil(waitMs / 1000),
          upstreamStatus: status,
          internal: `${request.method} ${request.path}: ${
            failure.timedOut === true ? `no answer within ${this.#timeoutMs} ms` : status
          } after ${attempt} attempt(s)`,
        }),
      };
    }
    return {
      kind: 'fail',
      error: new TriageError('github_rejected', 'GitHub rejected the request', {
        upstreamStatus: status,
        internal: `${request.method} ${request.path}: ${status} ${message.slice(0, 200)}`,
      }),
    };
  }
}

/** Parses a GitHub response body with a schema; a mismatch is GitHub not behaving as documented. */
export function parseGitHub<T>(schema: z.ZodType<T>, res: GitHubResponse, what: string): T {
  const parsed = schema.safeParse(res.data);
  if (!parsed.success) {
    throw new TriageError('github_invalid_response', 'GitHub answered with an unexpected body', {
      internal: `${what}: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.code}`)
        .join('; ')}`,
    });
  }
  return parsed.data;
}
