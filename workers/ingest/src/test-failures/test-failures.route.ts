import {
  type ExtensionConfig,
  ExtensionVersionSchema,
  isCommitSha,
  PlaywrightReportSchema,
  reportCommit,
  testFailureEvents,
} from '@homeostat/shared';
import type { Context } from 'hono';
import { IngestError } from '../ingest-error.ts';
import { ingestEvents } from '../ingest-pipeline.ts';
import { readJsonBody } from '../json-body.ts';

/** What `POST /v1/test-failures` answers (202). Nothing in it is copied from the report. */
export interface TestFailuresResponse {
  /** Events the pipeline took (new, known or duplicate). */
  accepted: number;
  /** Failed tests in the report; at most `INGEST_LIMITS.maxEvents` of them are sent. */
  failures: number;
  commit: string | null;
  results: { eventId: string; fingerprint: string | null; status: string }[];
}

/**
 * `POST /v1/test-failures` (issue 13, item 2): a Playwright JSON report from CI, one event per
 * failed test on the `test` surface, through the same pipeline as `/v1/events` (same ingest key,
 * 256 KiB cap before parsing, limits, scrubbing, fingerprints). The commit is `?sha=` or the
 * `X-Homeostat-Commit` header, else the report's own git metadata; the extension version the
 * tests ran against is `?version=` (else `0`, which never reopens a fixed problem).
 *
 * Each commit is one "install": a test that keeps failing on two commits is seen by two, as
 * `minInstalls` asks before a problem is new — one red run is not yet a problem. Event ids are
 * derived from the run and the test, so posting the same report again changes nothing.
 */
export async function handleTestFailures(
  c: Context<{ Bindings: Env }>,
  extension: ExtensionConfig,
) {
  const given = c.req.query('sha') ?? c.req.header('x-homeostat-commit');
  if (given !== undefined && !isCommitSha(given)) {
    throw new IngestError('invalid_request', 'sha must be a commit hash', {
      issues: [{ path: 'sha', code: 'invalid_format' }],
    });
  }
  const versionParam = c.req.query('version');
  const version = ExtensionVersionSchema.safeParse(versionParam ?? '0');
  if (!version.success) {
    throw new IngestError('invalid_request', 'version must be an extension version', {
      issues: [{ path: 'version', code: 'invalid_format' }],
    });
  }
  const report = await readJsonBody(c, PlaywrightReportSchema);
  const commit = given?.toLowerCase() ?? reportCommit(report);
  const { events, failures } = await testFailureEvents(report, commit);
  const response: TestFailuresResponse = { accepted: 0, failures, commit, results: [] };
  if (events.length === 0) return c.json(response, 202);
  const outcome = await ingestEvents(c.env, {
    extension,
    installId: `ci-${commit ?? 'unknown'}`,
    version: version.data,
    events,
    clientAddress: c.req.header('cf-connecting-ip') ?? null,
  });
  response.results = events.map((e, i) => ({
    eventId: e.eventId,
    fingerprint: outcome.fingerprints[i] ?? null,
    status: outcome.statuses[i] ?? 'rate_limited',
  }));
  response.accepted = response.results.filter((r) => r.status !== 'rate_limited').length;
  if (outcome.admitted < events.length) {
    c.header('retry-after', String(outcome.retryAfterSeconds));
  }
  return c.json(response, 202);
}
