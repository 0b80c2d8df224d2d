import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import worker from '../src/index.ts';

const CRON = '*/5 * * * *';

async function tick(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: CRON, scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function runs(scheduledAt: number) {
  const { results } = await env.DB.prepare(
    "SELECT * FROM cron_runs WHERE worker = 'canary-monitor' AND scheduled_at = ?",
  )
    .bind(scheduledAt)
    .all<{ cron: string; outcome: string; finished_at: number | null }>();
  return results;
}

describe('canary-monitor cron', () => {
  test('records each tick as a finished run', async ({ expect }) => {
    const at = Date.UTC(2026, 10, 21, 12, 5);
    await tick(at);
    const rows = await runs(at);
    expect(rows).toEqual([expect.objectContaining({ cron: CRON, outcome: 'ok' })]);
    expect(rows[0]?.finished_at).toEqual(expect.any(Number));
  });

  test('a repeated delivery of the same tick runs once', async ({ expect }) => {
    const at = Date.UTC(2026, 10, 21, 12, 10);
    await tick(at);
    await tick(at);
    expect(await runs(at)).toHaveLength(1);
    const next = at + 5 * 60_000;
    await tick(next);
    expect(await runs(next)).toHaveLength(1);
  });
});
