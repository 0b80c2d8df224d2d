import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { WINDOW_MS } from '../../src/judge/judge.ts';
import { tickRollout } from '../../src/rollout/rollout-tick.ts';
import { createHarness, healthy } from '../support/canary-harness.ts';

const percentageCalls = (h: ReturnType<typeof createHarness>) =>
  h
    .mutations()
    .filter((m) => m.method === 'setPublishedDeployPercentage')
    .map((m) => (m.body as { deployPercentage: number }).deployPercentage);

describe('idempotency and audit (research/canary.md §6.7)', { timeout: 60_000 }, () => {
  test('two overlapping ticks on the same rollout act at most once per stage', async ({
    expect,
  }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(200, healthy);
    await h.register();
    let lost = 0;
    for (let i = 0; i < 200; i++) {
      const snapshot = await h.rollout();
      if (snapshot.stage_index >= 2) break;
      const tickAt = h.now + WINDOW_MS;
      const envFor = (t: number) => ({
        db: env.DB,
        config: h.config,
        tickAt: t,
        storeFor: h.deps.storeFor,
        channels: ['github'] as const,
      });
      // Both read the same row (same rev) and race to act on it.
      const [a, b] = await Promise.all([
        tickRollout(envFor(tickAt), snapshot),
        tickRollout(envFor(tickAt + 1), snapshot),
      ]);
      lost += [a, b].filter((o) => o.decision === 'lost_race').length;
      expect([a, b].filter((o) => o.decision !== 'lost_race')).toHaveLength(1);
      await h.tick();
    }
    expect(lost).toBeGreaterThan(10);
    expect(percentageCalls(h)).toEqual([10, 25]);
    const promotions = (await h.decisions()).filter((d) => d.decision === 'promote');
    expect(promotions).toHaveLength(2);
  });

  test('a crash between the store call and the state write does not promote twice', async ({
    expect,
  }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(200, healthy);
    await h.register();
    let crashed = false;
    h.wrapStore((client) => ({
      ...client,
      async setPublishedDeployPercentage(p) {
        await client.setPublishedDeployPercentage(p);
        crashed = true;
        // The isolate dies after the store applied the call, before D1 heard of it.
        throw new Error('isolate terminated');
      },
    }));
    for (let i = 0; i < 200 && !crashed; i++) await h.tick();
    expect(crashed).toBe(true);
    const stuck = await h.rollout();
    expect(stuck.state).toBe('STAGE');
    expect(stuck.stage_index).toBe(0);
    expect(stuck.pending_action).toEqual({ kind: 'promote', fromStage: 0, target: 10 });

    h.wrapStore((client) => client);
    await h.tick();
    const resumed = await h.rollout();
    expect(resumed.stage_index).toBe(1);
    expect(resumed.pending_action).toBeNull();
    expect(percentageCalls(h)).toEqual([10]);
    const last = (await h.decisions()).at(-1);
    expect(last).toMatchObject({
      decision: 'resume',
      action: 'promote',
      action_status: 'already_applied',
    });
  });

  test('expired store credentials: one alert, holds, never a promotion (§6.2)', async ({
    expect,
  }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(200, healthy);
    await h.register();
    await h.tick(); // preflight with valid credentials
    h.emulator.revokeRefreshToken('client-1', 'refresh-1');
    for (let i = 0; i < 60; i++) await h.tick();
    const r = await h.rollout();
    expect(r.state).toBe('STAGE');
    expect(r.stage_index).toBe(0);
    expect(r.open_alert).toBe('store_auth_expired');
    expect(percentageCalls(h)).toEqual([]);
    const holds = (await h.decisions()).slice(1);
    expect(
      holds.every((d) => d.decision === 'hold' && d.reasons.includes('store_auth_expired')),
    ).toBe(true);
    // Nothing was judged while the store could not be read: no window was consumed.
    expect(holds.every((d) => d.judge_input === null)).toBe(true);
    const alerts = h.github.posts.filter(
      (p) => p.extensionId === h.extensionId && p.title.includes('credentials'),
    );
    expect(alerts).toHaveLength(1);
  });

  test('a newer version published by hand detaches the rollout instead of fighting it', async ({
    expect,
  }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(100, healthy);
    await h.register();
    for (let i = 0; i < 5; i++) await h.tick();
    h.emulator.publishByHand(h.extensionId, '1.2.0', 5);
    await h.tick();
    const r = await h.rollout();
    expect(r.state).toBe('DETACHED');
    expect(r.detail).toBe('newer_version');
    for (let i = 0; i < 3; i++) await h.tick();
    expect((await h.rollout()).rev).toBe(r.rev);
    expect(percentageCalls(h)).toEqual([]);
  });

  test('a take-down detaches; a percentage raised by hand is followed', async ({ expect }) => {
    const down = createHarness();
    down.publishCanary();
    await down.seed(50, healthy);
    await down.register();
    await down.tick();
    down.emulator.item(down.extensionId).takenDown = true;
    await down.tick();
    expect((await down.rollout()).detail).toBe('taken_down');

    const raised = createHarness();
    raised.publishCanary();
    await raised.seed(50, healthy);
    await raised.register();
    await raised.tick();
    const channel = raised.emulator.item(raised.extensionId).channels[0];
    if (channel === undefined) throw new Error('no channel');
    channel.deployPercentage = 25;
    await raised.tick();
    const r = await raised.rollout();
    expect(r).toMatchObject({ state: 'STAGE', stage_index: 2 });
    expect((await raised.decisions()).at(-1)?.reasons).toContain('percentage_changed_externally');
  });

  test('an item under 10,000 users cannot be promoted: frozen with an alert', async ({
    expect,
  }) => {
    const h = createHarness({ users7d: 8_000 });
    h.publishCanary();
    await h.seed(200, healthy);
    await h.register();
    const r = await h.tickUntil((x) => x.state === 'FROZEN');
    expect(r.detail).toBe('store_not_eligible');
    const last = h.github.posts.filter((p) => p.extensionId === h.extensionId).at(-1);
    expect(last?.title).toContain('store_not_eligible');
    expect(last?.body).toContain('devconsole');
  });

  test('a failed notification is retried on a later tick and never lost', async ({ expect }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(20, healthy);
    await h.register();
    h.github.failing = true;
    await h.tick();
    const [failed] = await h.notifications();
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    h.github.failing = false;
    // Backoff: 1 minute after the first failure, so the next 5-minute tick retries.
    await h.tick();
    const [sent] = await h.notifications();
    expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
    expect(h.github.posts.filter((p) => p.extensionId === h.extensionId)).toHaveLength(1);
  });
});
