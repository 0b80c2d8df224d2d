import type { CostItem } from './ingest-cost.ts';
import type { LoadResult, Scale } from './ingest-load.ts';
import type { Metrics } from './ingest-measure.ts';
import { SENTRY_ERRORS, sentryTeamPaygUsd } from './list-prices.ts';

/** Printing for `npm run bench`'s ingest part: tables, costs, and the issue's targets. */

export interface ScaleRun {
  scale: Scale;
  load: LoadResult;
  metrics: Metrics;
  transitions: number;
  cost: { items: CostItem[]; total: number; complete: boolean };
}

/** Issue 14's targets, each a ratio or a count measured in the same run as its baseline. */
export const TARGETS = {
  doCallsPerEvent: 1.1,
  d1RowsPer10k: 1_500,
  throughputRatio: 0.35,
  p99Ratio: 4,
  usdPerMillionEvents: 0.5,
  /** Per-event cost at 10× may exceed 1× by at most this share (run-to-run noise). */
  scaleGrowth: 0.1,
} as const;

const pad = (s: string, n: number) => s.padStart(n);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const usd = (n: number | null) => (n === null ? 'n/m' : `$${n.toFixed(4)}`);

export function printLoad(base: LoadResult, runs: readonly ScaleRun[]): void {
  console.log(
    `  ${''.padEnd(30)}${pad('req/s', 9)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('tput', 7)}${pad('p99', 7)}`,
  );
  console.log(
    `  ${'empty Worker (baseline)'.padEnd(30)}${pad(base.rps.toFixed(0), 9)}${pad(String(base.p50), 9)}${pad(String(base.p99), 9)}`,
  );
  for (const r of runs) {
    console.log(
      `  ${`ingest ${r.scale.name}`.padEnd(30)}${pad(r.load.rps.toFixed(0), 9)}${pad(String(r.load.p50), 9)}${pad(String(r.load.p99), 9)}${pad((r.load.rps / base.rps).toFixed(2), 7)}${pad(`${(r.load.p99 / Math.max(1, base.p99)).toFixed(2)}×`, 7)}`,
    );
  }
  const bad = runs.filter((r) => r.load.non2xx + r.load.errors > 0);
  console.log(
    `  non-2xx/errors: baseline ${base.non2xx}/${base.errors}${runs.map((r) => `, ${r.scale.name} ${r.load.non2xx}/${r.load.errors}`).join('')}${bad.length > 0 ? '  (!)' : ''}`,
  );
}

export function printCounts(runs: readonly ScaleRun[]): void {
  console.log('per 10,000 events (the Worker’s own counters; D1 rows are D1’s meta):');
  const per10k = (r: ScaleRun, n: number) =>
    Math.round((n / Math.max(1, r.metrics.events)) * 10_000);
  const rows: [string, (r: ScaleRun) => string][] = [
    ['events counted', (r) => String(r.metrics.events)],
    ['Durable Object calls', (r) => String(per10k(r, r.metrics.doCalls))],
    ['D1 batches (flushes)', (r) => String(per10k(r, r.metrics.d1Batches))],
    ['D1 statements', (r) => String(per10k(r, r.metrics.d1Statements))],
    ['D1 rows written', (r) => String(per10k(r, r.metrics.d1RowsWritten))],
    [
      'D1 rows read',
      (r) => (r.metrics.d1RowsRead === undefined ? 'n/m' : String(per10k(r, r.metrics.d1RowsRead))),
    ],
    [
      'DO SQLite rows written',
      (r) =>
        r.metrics.doRowsWritten === undefined ? 'n/m' : String(per10k(r, r.metrics.doRowsWritten)),
    ],
    [
      'queue messages',
      (r) =>
        `${per10k(r, r.metrics.queueMessages)} (${r.metrics.queueMessages} for ${r.transitions} transitions)`,
    ],
    [
      'D1 rows per flush',
      (r) => (r.metrics.d1RowsWritten / Math.max(1, r.metrics.d1Batches)).toFixed(1),
    ],
    ['events per flush', (r) => (r.metrics.events / Math.max(1, r.metrics.d1Batches)).toFixed(1)],
  ];
  console.log(`  ${''.padEnd(26)}${runs.map((r) => pad(r.scale.name, 24)).join('')}`);
  for (const [label, value] of rows) {
    console.log(`  ${label.padEnd(26)}${runs.map((r) => pad(value(r), 24)).join('')}`);
  }
}

export function printCosts(runs: readonly ScaleRun[]): void {
  console.log(
    'Cloudflare cost per 1,000,000 events at list prices (scripts/bench/list-prices.ts):',
  );
  const first = runs[0];
  if (first === undefined) return;
  console.log(`  ${''.padEnd(36)}${runs.map((r) => pad(r.scale.name, 22)).join('')}`);
  first.cost.items.forEach((item, i) => {
    const cells = runs.map((r) => {
      const it = r.cost.items[i];
      return pad(`${usd(it?.usd ?? null)} ${it?.perEvent ?? ''}`, 22);
    });
    console.log(`  ${item.name.padEnd(36)}${cells.join('')}`);
  });
  console.log(
    `  ${'total'.padEnd(36)}${runs.map((r) => pad(`${usd(r.cost.total)}${r.cost.complete ? '' : ' (lower bound)'}`, 22)).join('')}`,
  );
  console.log('  how each quantity was measured:');
  for (const item of first.cost.items) console.log(`    ${item.name}: ${item.how}`);
  const sentry = sentryTeamPaygUsd(1_000_000);
  console.log(
    `Sentry, for comparison: 1,000,000 errors in a month on the Team plan pay-as-you-go cost $${sentry.toFixed(2)} beyond the ${SENTRY_ERRORS.includedErrors.toLocaleString('en')} included (tiers $0.0003625–$0.0001875 per error), ${SENTRY_ERRORS.source.page}, read ${SENTRY_ERRORS.source.readOn} from ${SENTRY_ERRORS.source.readFrom}.`,
  );
}

export function printTargets(base: LoadResult, runs: readonly ScaleRun[]): boolean {
  console.log('targets (issue 14; ratios against the empty Worker measured in this run):');
  let all = true;
  const line = (ok: boolean, text: string) => {
    all &&= ok;
    console.log(`  ${verdict(ok)}  ${text}`);
  };
  for (const r of runs) {
    const events = Math.max(1, r.metrics.events);
    const doPerEvent = r.metrics.doCalls / events;
    const rows = (r.metrics.d1RowsWritten / events) * 10_000;
    const tput = r.load.rps / base.rps;
    const p99 = r.load.p99 / Math.max(1, base.p99);
    const n = r.scale.name;
    line(
      doPerEvent <= TARGETS.doCallsPerEvent,
      `${n}: Durable Object calls ${doPerEvent.toFixed(2)} per event (≤ ${TARGETS.doCallsPerEvent})`,
    );
    line(
      rows <= TARGETS.d1RowsPer10k,
      `${n}: D1 rows written ${rows.toFixed(0)} per 10,000 events (≤ ${TARGETS.d1RowsPer10k.toLocaleString('en')})`,
    );
    line(
      tput >= TARGETS.throughputRatio,
      `${n}: throughput ${tput.toFixed(2)} of the empty Worker (≥ ${TARGETS.throughputRatio})`,
    );
    line(
      p99 <= TARGETS.p99Ratio,
      `${n}: p99 ${p99.toFixed(2)}× the empty Worker’s (≤ ${TARGETS.p99Ratio}×)`,
    );
    line(
      r.cost.total <= TARGETS.usdPerMillionEvents,
      `${n}: $${r.cost.total.toFixed(4)} per million events (≤ $${TARGETS.usdPerMillionEvents.toFixed(2)})${r.cost.complete ? '' : ' — lower bound: Durable Object SQLite rows not measured'}`,
    );
  }
  const [one, ten] = runs;
  if (one !== undefined && ten !== undefined) {
    const growth = ten.cost.total / Math.max(1e-12, one.cost.total) - 1;
    line(
      growth <= TARGETS.scaleGrowth,
      `scale: cost per event at ${ten.scale.name} is ${(growth * 100).toFixed(0)}% ${growth >= 0 ? 'above' : 'below'} ${one.scale.name} (must not grow; ≤ +${TARGETS.scaleGrowth * 100}% for noise)`,
    );
    for (let i = 0; i < one.cost.items.length; i++) {
      const a = one.cost.items[i];
      const b = ten.cost.items[i];
      if (a?.usd == null || b?.usd == null || a.usd < 0.001) continue;
      const g = b.usd / a.usd - 1;
      if (g > TARGETS.scaleGrowth)
        console.log(
          `        grows: ${a.name} +${(g * 100).toFixed(0)}% (${a.perEvent} → ${b.perEvent} per event)`,
        );
    }
  }
  return all;
}
