import {
  INGEST_LIMITS,
  type PlaywrightReport,
  PlaywrightReportSchema,
  type PlaywrightSpec,
  type PlaywrightSuite,
  type PlaywrightTestError,
} from '@homeostat/shared';
import { z } from 'zod';

/**
 * `npm run report-tests` (issue 13, item 2): posts a Playwright JSON report from CI to ingest's
 * `POST /v1/test-failures`. A full report carries what the server never reads and may not accept
 * (stdout, attachments, steps, code snippets, the commit author, diffs) and can exceed the 256 KiB
 * body cap, so it is trimmed to the failed tests and split into reports of at most 50 failures
 * (the server's per-request limit) and ~240 KiB; each part keeps the run's start time, so the
 * event ids, derived from it and the test, are the same whichever part a test lands in, and
 * sending a part again is harmless (`duplicate`). Rate-limited answers are retried after their
 * `Retry-After`, a bounded number of times.
 */

const MAX_PART_BYTES = 240 * 1024;
const MESSAGE_CAP = 8 * 1024;
const STACK_CAP = 32 * 1024;

export interface UploadOptions {
  /** The ingest Worker's base URL. */
  url: string;
  /** A public ingest key of the extension (`X-Homeostat-Key`). */
  key: string;
  sha?: string;
  version?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per part when ingest answers 429/503 or rate-limits some events. */
  maxAttempts?: number;
  timeoutMs?: number;
}

export interface UploadSummary {
  failures: number;
  parts: number;
  commit: string | null;
  counts: Record<'new' | 'known' | 'duplicate' | 'rate_limited', number>;
}

export class UploadError extends Error {
  override readonly name = 'UploadError';
}

const ResponseSchema = z.object({
  accepted: z.number(),
  failures: z.number(),
  commit: z.string().nullable(),
  results: z.array(
    z.object({
      eventId: z.string(),
      fingerprint: z.string().nullable(),
      status: z.enum(['new', 'known', 'duplicate', 'rate_limited']),
    }),
  ),
});

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

function clip(text: string | undefined, max: number): string | undefined {
  return text === undefined || text.length <= max ? text : text.slice(0, max);
}

function trimError(error: PlaywrightTestError | undefined): PlaywrightTestError | undefined {
  if (error === undefined) return undefined;
  const { snippet: _snippet, cause, ...rest } = error;
  const out: PlaywrightTestError = {
    ...rest,
    ...(rest.message === undefined ? {} : { message: clip(rest.message, MESSAGE_CAP) }),
    ...(rest.stack === undefined ? {} : { stack: clip(rest.stack, STACK_CAP) }),
    ...(rest.value === undefined ? {} : { value: clip(rest.value, MESSAGE_CAP) }),
  };
  const trimmedCause = trimError(cause);
  if (trimmedCause !== undefined) out.cause = trimmedCause;
  return out;
}

/** The failed tests of a spec, each with its results stripped to what the server reads. */
function failedSpec(spec: PlaywrightSpec): PlaywrightSpec | null {
  const tests = spec.tests
    .filter((t) => t.status === 'unexpected')
    .map((t) => ({
      ...t,
      results: t.results.map(({ stdout: _o, stderr: _e, attachments: _a, steps: _s, ...r }) => ({
        ...r,
        stdout: [],
        stderr: [],
        attachments: [],
        error: trimError(r.error),
        errors: (r.errors ?? [])
          .slice(0, 5)
          .map((e) => ({ ...e, message: clip(e.message, MESSAGE_CAP) ?? '' })),
      })),
    }));
  return tests.length ? { ...spec, tests } : null;
}

interface Leaf {
  /** The suites from the top down to the spec, without their specs and children. */
  path: Omit<PlaywrightSuite, 'specs' | 'suites'>[];
  spec: PlaywrightSpec;
  failures: number;
}

function leaves(report: PlaywrightReport): Leaf[] {
  const out: Leaf[] = [];
  const visit = (suite: PlaywrightSuite, path: Leaf['path']) => {
    const { specs, suites, ...head } = suite;
    const here = [...path, head];
    for (const spec of specs) {
      const failed = failedSpec(spec);
      if (failed) out.push({ path: here, spec: failed, failures: failed.tests.length });
    }
    for (const child of suites ?? []) visit(child, here);
  };
  for (const suite of report.suites) visit(suite, []);
  return out;
}

/** Rebuilds the suite tree of a set of leaves, in their order. */
function suitesOf(parts: Leaf[]): PlaywrightSuite[] {
  const roots: PlaywrightSuite[] = [];
  for (const leaf of parts) {
    let level = roots;
    let node: PlaywrightSuite | undefined;
    for (const head of leaf.path) {
      node = level.find(
        (s) => s.title === head.title && s.file === head.file && s.line === head.line,
      );
      if (node === undefined) {
        node = { ...head, specs: [], suites: [] };
        level.push(node);
      }
      node.suites ??= [];
      level = node.suites;
    }
    node?.specs.push(leaf.spec);
  }
  return roots;
}

/** The report's failed tests in parts the server takes: ≤ 50 failures and ≤ ~240 KiB each. */
export function splitReport(report: PlaywrightReport): PlaywrightReport[] {
  const metadata = report.config.metadata ?? {};
  const git = metadata.gitCommit as { hash?: unknown } | undefined;
  const ci = metadata.ci as { commitHash?: unknown } | undefined;
  const config = {
    rootDir: report.config.rootDir,
    ...(report.config.configFile ? { configFile: report.config.configFile } : {}),
    ...(report.config.version ? { version: report.config.version } : {}),
    // Only the commit hashes: author names and emails, and diffs, stay in CI.
    metadata: {
      ...(typeof git?.hash === 'string' ? { gitCommit: { hash: git.hash } } : {}),
      ...(typeof ci?.commitHash === 'string' ? { ci: { commitHash: ci.commitHash } } : {}),
    },
  };
  const part = (list: Leaf[]): PlaywrightReport => ({
    config,
    suites: suitesOf(list),
    errors: [],
    stats: report.stats,
  });
  const parts: PlaywrightReport[] = [];
  let current: Leaf[] = [];
  let failures = 0;
  for (const leaf of leaves(report)) {
    const candidate = [...current, leaf];
    const tooMany = failures + leaf.failures > INGEST_LIMITS.maxEvents;
    const tooBig = JSON.stringify(part(candidate)).length > MAX_PART_BYTES;
    if (current.length > 0 && (tooMany || tooBig)) {
      parts.push(part(current));
      current = [leaf];
      failures = leaf.failures;
    } else {
      current = candidate;
      failures += leaf.failures;
    }
  }
  if (current.length > 0) parts.push(part(current));
  return parts;
}

export async function uploadReport(raw: unknown, options: UploadOptions): Promise<UploadSummary> {
  const parsed = PlaywrightReportSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 5)
      .map((i) => i.path.join('.') || '(root)')
      .join(', ');
    throw new UploadError(`not a Playwright JSON report (at ${where})`);
  }
  const parts = splitReport(parsed.data);
  const summary: UploadSummary = {
    failures: parts.reduce((n, p) => n + countFailures(p.suites), 0),
    parts: parts.length,
    commit: null,
    counts: { new: 0, known: 0, duplicate: 0, rate_limited: 0 },
  };
  const query = new URLSearchParams();
  if (options.sha !== undefined) query.set('sha', options.sha);
  if (options.version !== undefined) query.set('version', options.version);
  const endpoint = `${options.url.replace(/\/+$/, '')}/v1/test-failures${query.size ? `?${query}` : ''}`;
  for (const part of parts) {
    const answer = await postPart(endpoint, part, options);
    summary.commit = answer.commit;
    for (const r of answer.results) summary.counts[r.status]++;
  }
  return summary;
}

function countFailures(suites: readonly PlaywrightSuite[]): number {
  return suites.reduce(
    (n, s) =>
      n + s.specs.reduce((m, spec) => m + spec.tests.length, 0) + countFailures(s.suites ?? []),
    0,
  );
}

async function postPart(
  endpoint: string,
  part: PlaywrightReport,
  options: UploadOptions,
): Promise<z.infer<typeof ResponseSchema>> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = options.maxAttempts ?? 4;
  const body = JSON.stringify(part);
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-homeostat-key': options.key },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      if (attempt >= attempts) {
        throw new UploadError(`ingest did not answer: ${err instanceof Error ? err.message : err}`);
      }
      await sleep(2 ** attempt * 1000);
      continue;
    }
    const wait = Math.min(120, Number(res.headers.get('retry-after') ?? 5) || 5) * 1000;
    if (res.status === 202) {
      const answer = ResponseSchema.parse(await res.json());
      const limited = answer.results.some((r) => r.status === 'rate_limited');
      // Resending is safe: events already recorded come back `duplicate`.
      if (!limited || attempt >= attempts) return answer;
      await sleep(wait);
      continue;
    }
    if ((res.status === 429 || res.status === 503) && attempt < attempts) {
      await sleep(wait);
      continue;
    }
    const error = ErrorSchema.safeParse(await res.json().catch(() => null));
    throw new UploadError(
      `ingest answered ${res.status}${error.success ? ` ${error.data.error.code}: ${error.data.error.message}` : ''}`,
    );
  }
}
