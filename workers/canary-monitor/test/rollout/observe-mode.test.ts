import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { createCanaryCron } from '../../src/canary.cron.ts';
import { WINDOW_MS } from '../../src/judge/judge.ts';
import {
  createHarness,
  freshExtensionId,
  healthy,
  seedHealth,
  testConfig,
} from '../support/canary-harness.ts';

const CRON = '*/5 * * * *';

describe('observe mode (no store credentials)', { timeout: 60_000 }, () => {
  test('the Worker cron discovers a new version in release health and records observe decisions', async ({
    expect,
  }) => {
    const extensionId = freshExtensionId();
    // The production path: default deps from the bindings, which hold no store credentials.
    const config = testConfig(extensionId);
    const scheduled = createCanaryCron(config);
    const start = Date.UTC(2027, 0, 5, 10, 0);
    await seedHealth(extensionId, { canary: '2.1.0', baseline: '2.0.0' }, start, 40, healthy);
    for (let i = 1; i <= 12; i++) {
      const ctx = createExecutionContext();
      await scheduled(
        createScheduledController({ cron: CRON, scheduledTime: start + i * WINDOW_MS }),
        env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
    }
    const rollout = await env.DB.prepare('SELECT * FROM canary_rollouts WHERE extension_id = ?1')
      .bind(extensionId)
      .first<{
        id: number;
        version: string;
        baseline_version: string;
        source: string;
        mode: string;
        state: string;
      }>();
    expect(rollout).toMatchObject({
      version: '2.1.0',
      baseline_version: '2.0.0',
      source: 'discovered',
      mode: 'observe',
      state: 'STAGE',
    });
    const { results: decisions } = await env.DB.prepare(
      'SELECT decision, mode, judge_input FROM canary_decisions WHERE rollout_id = ?1 ORDER BY id',
    )
      .bind(rollout?.id)
      .all<{ decision: string; mode: string; judge_input: string | null }>();
    expect(decisions[0]?.decision).toBe('preflight');
    expect(decisions.length).toBe(12);
    expect(
      decisions
        .slice(1)
        .every((d) => d.decision === 'hold' && d.mode === 'observe' && d.judge_input !== null),
    ).toBe(true);
    // Delivered over the TRIAGE binding to a stub answering like triage in dry-run: recorded.
    const { results: notes } = await env.DB.prepare(
      'SELECT status, title FROM canary_notifications WHERE rollout_id = ?1',
    )
      .bind(rollout?.id)
      .all<{ status: string; title: string }>();
    expect(notes).toEqual([
      {
        status: 'recorded',
        title: '[observe] demo-extension 2.1.0: rollout started at 5% against 2.0.0',
      },
    ]);
    const runs = await env.DB.prepare(
      "SELECT count(*) AS n FROM cron_runs WHERE worker = 'canary-monitor' AND outcome = 'ok' AND scheduled_at > ?1 AND scheduled_at <= ?2",
    )
      .bind(start, start + 12 * WINDOW_MS)
      .first<{ n: number }>();
    expect(runs?.n).toBe(12);
  });

  test('an observed rollout walks its stages without a single store call', async ({ expect }) => {
    const h = createHarness({ live: false });
    await h.seed(400, healthy);
    const registered = await h.register();
    expect(registered.mode).toBe('observe');
    const done = await h.tickUntil((r) => r.state === 'COMPLETE');
    expect(done.stage_index).toBe(4);
    expect(h.emulator.calls).toEqual([]);
    const promotions = (await h.decisions()).filter((d) => d.decision === 'promote');
    expect(promotions.map((d) => d.action_status)).toEqual([
      'observe',
      'observe',
      'observe',
      'observe',
      'observe',
    ]);
    expect(
      h.github.posts.filter((p) => p.extensionId === h.extensionId).map((p) => p.title)[1],
    ).toBe('[observe] demo-extension 1.1.0: would promote to 10%');
  });

  test('an observed catastrophic release is frozen, with the rollback it would have made noted', async ({
    expect,
  }) => {
    const h = createHarness({ live: false });
    await h.seed(100, () => ({ ...healthy(), canaryAffected: 160 }));
    await h.register();
    await h.tickUntil((r) => r.state === 'FROZEN');
    const halt = (await h.decisions()).find((d) => d.decision === 'halt');
    expect(halt).toMatchObject({ action: 'freeze', action_status: 'observe' });
    expect(JSON.parse(halt?.action_result ?? '{}')).toEqual({ wouldRollback: true });
    expect(h.emulator.calls).toEqual([]);
  });

  test('canary.mode "observe" keeps a rollout observing even with credentials', async ({
    expect,
  }) => {
    const h = createHarness({ canary: { mode: 'observe' } });
    h.publishCanary();
    await h.seed(50, healthy);
    expect((await h.register()).mode).toBe('observe');
    for (let i = 0; i < 5; i++) await h.tick();
    expect(h.emulator.calls).toEqual([]);
  });

  test('the judge reads error-affected sessions, not error events (§6.5)', async ({ expect }) => {
    const h = createHarness({ live: false });
    // Every canary window: 4 affected sessions that emitted 400 errors between them.
    await h.seed(40, () => ({ ...healthy(), canaryErrorEvents: 400 }));
    await h.register();
    for (let i = 0; i < 20; i++) await h.tick();
    const last = (await h.decisions()).at(-1);
    const input = JSON.parse(last?.judge_input ?? '{}') as {
      windows: { canaryAffectedSessions: number }[];
    };
    expect(input.windows.every((w) => w.canaryAffectedSessions === 4)).toBe(true);
    expect((await h.rollout()).state).toBe('STAGE');
  });
});

describe('after a frozen rollout', { timeout: 60_000 }, () => {
  test('a newer version is discovered and can be registered; the frozen one stays frozen', async ({
    expect,
  }) => {
    const h = createHarness({ live: false });
    await h.seed(60, () => ({ ...healthy(), canaryAffected: 160 }));
    await h.register();
    const frozen = await h.tickUntil((r) => r.state === 'FROZEN');
    // The fix, 1.2.0, starts reporting sessions next to 1.0.0.
    await seedHealth(
      h.extensionId,
      { canary: '1.2.0', baseline: h.baseline },
      h.now - 20 * WINDOW_MS,
      40,
      healthy,
    );
    await h.tick();
    const { results } = await env.DB.prepare(
      'SELECT version, state, source FROM canary_rollouts WHERE extension_id = ?1 ORDER BY id',
    )
      .bind(h.extensionId)
      .all<{ version: string; state: string; source: string }>();
    expect(results).toEqual([
      { version: '1.1.0', state: 'FROZEN', source: 'api' },
      { version: '1.2.0', state: 'STAGE', source: 'discovered' },
    ]);
    expect((await h.rollout()).rev).toBe(frozen.rev);
  });
});
