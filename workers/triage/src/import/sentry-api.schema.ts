import { z } from 'zod';

/**
 * The fields of Sentry's "List an Organization's Issues" answer that the importer reads
 * (`GET /api/0/organizations/{org}/issues/`, getsentry/sentry-api-schema openapi-derefed.json).
 * Unknown fields are stripped; the emulator's answers are checked against the whole description.
 */
export const SentryApiIssueSchema = z.object({
  id: z.string().regex(/^\d{1,20}$/),
  shortId: z.string().max(128),
  permalink: z.string().max(2048),
  status: z.string(),
  /** `error`, `performance`, `feedback`, …; absent from older self-hosted versions. */
  issueCategory: z.string().optional(),
  lastSeen: z.string().max(64).nullable(),
});
export type SentryApiIssue = z.infer<typeof SentryApiIssueSchema>;

export const SentryApiIssueListSchema = z.array(SentryApiIssueSchema).max(100);

export interface SentryPageLink {
  cursor: string;
  /** Whether the page behind the cursor has results: Sentry always sends both links. */
  results: boolean;
}

/**
 * The `rel="next"` link of Sentry's `Link` header: `<url>; rel="next"; results="true";
 * cursor="0:100:0"` (docs.sentry.io/api/pagination/). Read with string operations on a bounded
 * header; null when absent or malformed.
 */
export function nextPageLink(header: string | null): SentryPageLink | null {
  if (header === null || header.length > 8_192) return null;
  for (const part of header.split(/,\s*(?=<)/)) {
    const params = new Map<string, string>();
    for (const param of part.split(';').slice(1)) {
      const m = /^\s*([a-z]+)="([^"]*)"\s*$/.exec(param);
      if (m?.[1] !== undefined && m[2] !== undefined) params.set(m[1], m[2]);
    }
    const cursor = params.get('cursor');
    if (params.get('rel') !== 'next' || cursor === undefined) continue;
    if (!/^[\w:.-]{1,200}$/.test(cursor)) return null;
    return { cursor, results: params.get('results') === 'true' };
  }
  return null;
}
