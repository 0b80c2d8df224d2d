/**
 * Counters read by `npm run bench` (issue 3 asks for DO calls, D1 statements/rows and queue
 * messages per 10,000 events, measured rather than derived). They live in isolate memory: in
 * local workerd the Worker and its Durable Objects share one isolate, so one set of counters sees
 * both. Exposed only when the `BENCH_METRICS` var is "1"; production never sets it.
 */
export const benchMetrics = {
  requests: 0,
  events: 0,
  doCalls: 0,
  d1Batches: 0,
  d1Statements: 0,
  d1RowsWritten: 0,
  queueMessages: 0,
};

export function countDoCall(): void {
  benchMetrics.doCalls++;
}

export function resetBenchMetrics(): void {
  for (const key of Object.keys(benchMetrics) as (keyof typeof benchMetrics)[])
    benchMetrics[key] = 0;
}
