/**
 * Counters for `npm run bench` (issue 3, issue 14: what ingest costs per event, measured rather
 * than derived). They live in isolate memory: in local workerd the Worker and its Durable Objects
 * share one isolate, so one set of counters sees both. Only the bench wrapper (bench-env.ts)
 * writes them, and only when the `BENCH_METRICS` var is "1"; production never sets it and no
 * production module imports this file.
 */
export const benchMetrics = {
  /** Requests to the Worker's ingest doors (`/v1/…` and the other public routes). */
  requests: 0,
  /** Events that reached a Fingerprint object (admitted events; the bench admits all). */
  events: 0,
  /** Calls to Durable Object stubs, from the Worker and from other objects. */
  doCalls: 0,
  d1Batches: 0,
  d1Statements: 0,
  /** D1's own `meta.rows_written`, summed over every statement. */
  d1RowsWritten: 0,
  /** D1's own `meta.rows_read`, summed over every statement. */
  d1RowsRead: 0,
  queueMessages: 0,
  /** Rows the Durable Objects' own SQLite storage wrote and read (billed like D1's). */
  doRowsWritten: 0,
  doRowsRead: 0,
};

export type BenchMetrics = typeof benchMetrics;

export function resetBenchMetrics(): void {
  for (const key of Object.keys(benchMetrics) as (keyof BenchMetrics)[]) benchMetrics[key] = 0;
}
