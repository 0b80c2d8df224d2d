/**
 * List prices the ingest bench turns its measured counts into (issue 14 item 6). The one place
 * prices live: change them here, with the page and the date they were read.
 *
 * Read on 2026-12-06. This machine has no network beyond the npm registry, so each page was read
 * from the stored copy the project's search tool serves (its corpus of public pages and
 * repositories), not live; the source of every figure is named beside it. Marginal rates on the
 * paid plans, without the monthly allowances ($5 Workers Paid base, 10M requests, 30M CPU ms, 1M
 * Durable Object requests, 400,000 GB-s, 25B/50M rows, 1M queue operations): the bench prices an
 * event, and at volume the allowances are a fixed discount, not a per-event price.
 */

export interface PriceSource {
  page: string;
  /** Where the text was actually read, when not the live page. */
  readFrom: string;
  readOn: string;
}

const READ_ON = '2026-12-06';

export const CLOUDFLARE = {
  workers: {
    source: {
      page: 'https://developers.cloudflare.com/workers/platform/pricing/',
      readFrom: 'stored copy of that page (search corpus "pages")',
      readOn: READ_ON,
    },
    /** Standard usage model: "+$0.30 per additional million" requests. */
    usdPerMillionRequests: 0.3,
    /** "+$0.02 per additional million CPU milliseconds". */
    usdPerMillionCpuMs: 0.02,
  },
  durableObjects: {
    source: {
      page: 'https://developers.cloudflare.com/durable-objects/platform/pricing/',
      readFrom:
        'stored copy of that page (search corpus "docs") and its source, cloudflare/cloudflare-docs src/content/partials/durable-objects/durable-objects-pricing.mdx @07e200b7',
      readOn: READ_ON,
    },
    /** "1 million, + $0.15/million"; includes RPC sessions (each stub call) and alarm invocations. */
    usdPerMillionRequests: 0.15,
    /** "400,000 GB-s, + $12.50/million GB-s", wall-clock while active, billed at 128 MB. */
    usdPerMillionGbSeconds: 12.5,
    memoryGb: 0.128,
    /** SQLite storage backend: rows read/written "match D1 pricing"; setAlarm() is one row written. */
    usdPerMillionRowsRead: 0.001,
    usdPerMillionRowsWritten: 1.0,
    /** "5 GB-month, + $0.20/ GB-month". */
    usdPerGbMonth: 0.2,
  },
  d1: {
    source: {
      page: 'https://developers.cloudflare.com/d1/platform/pricing/',
      readFrom: 'stored copy of that page (search corpus "pages")',
      readOn: READ_ON,
    },
    /** "First 25 billion / month included + $0.001 / million rows". */
    usdPerMillionRowsRead: 0.001,
    /** "First 50 million / month included + $1.00 / million rows". */
    usdPerMillionRowsWritten: 1.0,
    /** "First 5 GB included + $0.75 / GB-mo". */
    usdPerGbMonth: 0.75,
  },
  queues: {
    source: {
      page: 'https://developers.cloudflare.com/queues/platform/pricing/',
      readFrom:
        'stored copy of https://developers.cloudflare.com/queues/pricing/ (search corpus "pages")',
      readOn: READ_ON,
    },
    /** "$0.40 / million operations"; one operation per 64 KB written, read or deleted. */
    usdPerMillionOperations: 0.4,
    /** "In most cases, it takes 3 operations to deliver a message: 1 write, 1 read, and 1 delete." */
    operationsPerMessage: 3,
  },
  r2: {
    source: {
      page: 'https://developers.cloudflare.com/r2/pricing/',
      readFrom:
        'stored copy of a mirror of that page, https://ja-cloudflare-opendocs-dev.pages.dev/r2/pricing (search corpus "pages")',
      readOn: READ_ON,
    },
    /** Class A (writes) "$4.50 per 1,000,000", class B (reads) "$0.36 per 1,000,000". */
    usdPerMillionClassA: 4.5,
    usdPerMillionClassB: 0.36,
  },
} as const satisfies Record<string, { source: PriceSource; [price: string]: unknown }>;

/**
 * Sentry's errors on the Team plan, pay-as-you-go, per error by monthly volume tier (the plan
 * includes the first 50k errors). The page's own note: "all per-category prices listed below have
 * been rounded".
 */
export const SENTRY_ERRORS = {
  source: {
    page: 'https://docs.sentry.io/pricing/ ("Errors Pricing", Team PAYG column)',
    readFrom:
      'stored copy of its source, getsentry/sentry-docs docs/pricing/index.mdx @0002f347 (the live page was unreachable from here)',
    readOn: READ_ON,
  },
  includedErrors: 50_000,
  /** [up to this many errors in the month, USD per error in the tier]. */
  teamPaygTiers: [
    [100_000, 0.0003625],
    [500_000, 0.0002188],
    [10_000_000, 0.0001875],
    [20_000_000, 0.0001625],
    [Number.POSITIVE_INFINITY, 0.00015],
  ],
} as const;

/** What `errors` errors in one month cost on Sentry's Team plan PAYG, beyond the included ones. */
export function sentryTeamPaygUsd(errors: number): number {
  let usd = 0;
  let from: number = SENTRY_ERRORS.includedErrors;
  for (const [upTo, price] of SENTRY_ERRORS.teamPaygTiers) {
    if (errors <= from) break;
    usd += (Math.min(errors, upTo) - from) * price;
    from = upTo;
  }
  return usd;
}
