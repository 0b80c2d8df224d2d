import { CLOUDFLARE } from './list-prices.ts';

/**
 * The Cloudflare cost of one million ingest events at list prices (issue 14 item 6), item by item,
 * from what one bench run measured. Every item says how its quantity was obtained; an item the run
 * could not measure is `null`, never guessed, and makes the total a lower bound.
 */

export interface RunCounts {
  events: number;
  /** Requests to the ingest Worker. */
  requests: number;
  /** Durable Object stub calls (RPC sessions), from the Worker's counters. */
  doCalls: number;
  /** D1 batches: one per object flush, each from one alarm invocation. */
  d1Batches: number;
  d1RowsWritten: number;
  d1RowsRead: number | null;
  doRowsWritten: number | null;
  doRowsRead: number | null;
  queueMessages: number;
  /** CPU ms the Worker and its objects spent beyond the runtime's own request handling. */
  workerCpuMs: number;
  d1BytesGrown: number;
  doBytesGrown: number;
}

export interface CostItem {
  name: string;
  /** Quantity per event, formatted with its unit. */
  perEvent: string;
  /** USD per million events; null when the run could not measure the quantity. */
  usd: number | null;
  how: string;
}

const fmt = (n: number, digits = 3) =>
  n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(digits);

export function costPerMillionEvents(c: RunCounts): {
  items: CostItem[];
  total: number;
  complete: boolean;
} {
  const per = (n: number) => n / Math.max(1, c.events);
  const { workers, durableObjects: dob, d1, queues } = CLOUDFLARE;
  const doRequests = c.doCalls + c.d1Batches;
  // Active time ≈ the run's CPU: the objects' calls do no I/O (their storage is synchronous
  // SQLite); alarms awaiting D1 are the exception and are not in this estimate.
  const gbSeconds = (per(c.workerCpuMs) / 1000) * dob.memoryGb;
  const items: CostItem[] = [
    {
      name: 'Workers requests',
      perEvent: `${fmt(per(c.requests + c.queueMessages))} req`,
      usd: per(c.requests + c.queueMessages) * workers.usdPerMillionRequests,
      how: 'ingest requests (counted) + at most one triage consumer invocation per queue message',
    },
    {
      name: 'Workers CPU',
      perEvent: `${fmt(per(c.workerCpuMs))} ms`,
      usd: per(c.workerCpuMs) * workers.usdPerMillionCpuMs,
      how: 'workerd process CPU (/proc) in the ingest run minus the empty Worker’s CPU per request; includes the objects’ and local D1’s CPU, so it overstates',
    },
    {
      name: 'Durable Object requests',
      perEvent: `${fmt(per(doRequests))} req`,
      usd: per(doRequests) * dob.usdPerMillionRequests,
      how: 'stub calls (counted) + one alarm invocation per D1 flush batch',
    },
    {
      name: 'Durable Object duration',
      perEvent: `${fmt(gbSeconds * 1e6)} µGB-s`,
      usd: gbSeconds * dob.usdPerMillionGbSeconds,
      how: 'active time taken as the CPU time above (Worker and objects together, so an overstatement, but alarms’ waits on D1 are left out), at 128 MB',
    },
    {
      name: 'Durable Object SQLite rows written',
      perEvent: c.doRowsWritten === null ? 'not measured' : `${fmt(per(c.doRowsWritten))} rows`,
      usd: c.doRowsWritten === null ? null : per(c.doRowsWritten) * dob.usdPerMillionRowsWritten,
      how: 'the objects’ own storage rows (sql cursor rowsWritten), when the Worker’s counters report them',
    },
    {
      name: 'Durable Object SQLite rows read',
      perEvent: c.doRowsRead === null ? 'not measured' : `${fmt(per(c.doRowsRead))} rows`,
      usd: c.doRowsRead === null ? null : per(c.doRowsRead) * dob.usdPerMillionRowsRead,
      how: 'as above, rowsRead',
    },
    {
      name: 'Durable Object storage (1 month)',
      perEvent: `${fmt(per(c.doBytesGrown))} B`,
      usd: per(c.doBytesGrown) * 1e6 * 1e-9 * dob.usdPerGbMonth,
      how: 'growth of the objects’ SQLite files during the run, kept one month',
    },
    {
      name: 'D1 rows written',
      perEvent: `${fmt(per(c.d1RowsWritten))} rows`,
      usd: per(c.d1RowsWritten) * d1.usdPerMillionRowsWritten,
      how: 'D1’s own meta.rows_written, summed by the Worker’s counters',
    },
    {
      name: 'D1 rows read',
      perEvent: c.d1RowsRead === null ? 'not measured' : `${fmt(per(c.d1RowsRead))} rows`,
      usd: c.d1RowsRead === null ? null : per(c.d1RowsRead) * d1.usdPerMillionRowsRead,
      how: 'D1’s own meta.rows_read, summed by the Worker’s counters (triage’s reads not included)',
    },
    {
      name: 'D1 storage (1 month)',
      perEvent: `${fmt(per(c.d1BytesGrown))} B`,
      usd: per(c.d1BytesGrown) * 1e6 * 1e-9 * d1.usdPerGbMonth,
      how: 'growth of the database (meta.size_after) during the run, kept one month',
    },
    {
      name: 'Queue operations',
      perEvent: `${fmt(per(c.queueMessages * queues.operationsPerMessage))} ops`,
      usd: per(c.queueMessages * queues.operationsPerMessage) * queues.usdPerMillionOperations,
      how: 'messages sent (counted) × 3: write, read, delete of one < 64 KB message',
    },
    {
      name: 'R2',
      perEvent: '0',
      usd: 0,
      how: 'not on the ingest path (source maps only, uploaded by the release CLI)',
    },
  ];
  const total = items.reduce((sum, i) => sum + (i.usd ?? 0), 0);
  return { items, total, complete: items.every((i) => i.usd !== null) };
}
