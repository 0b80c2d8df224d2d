import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { createRefreshTokenSource } from '../../src/cws/cws-auth.ts';
import { createCwsClient } from '../../src/cws/cws-client.ts';
import { deliverOutbox } from '../../src/notify/outbox.ts';
import type { ReleaseNotifier } from '../../src/notify/release-notifier.ts';
import { getRollout } from '../../src/rollout/rollout-store.ts';
import { createHarness, healthy } from '../support/canary-harness.ts';

/**
 * Hung and late answers from the outside (issue 11, item 4): a tick whose store call hangs ends
 * within its deadline, and an answer that comes after a newer decision never lands on top of it.
 */

/** Every percentage call that reached the store, answered or not. */
const percentageCalls = (h: ReturnType<typeof createHarness>) =>
  h.emulator.calls.filter(
    (c) => c.method === 'setPublishedDeployPercentage' && c.itemId === h.extensionId,
  );

/** The harness's store, but with a deadline of `ms` on every call. */
function withDeadline(h: ReturnType<typeof createHarness>, ms: number) {
  const auth = createRefreshTokenSource(
    h.emulator.tokenUrl,
    { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
    { fetch: h.emulator.fetch, timeoutMs: ms },
  );
  h.wrapStore(() =>
    createCwsClient({
      baseUrl: h.emulator.baseUrl,
      publisherId: 'pub-1',
      itemId: h.extensionId,
      auth,
      fetch: h.emulator.fetch,
      timeoutMs: ms,
    }),
  );
}

/**
 * Starts ticks until one makes the store call that `arrived` watches (the first promotion), and
 * returns that tick still running (wrapped: an async function would wait for a returned promise).
 */
async function tickUntilStoreCall(h: ReturnType<typeof createHarness>, arrived: Promise<void>) {
  const reached = arrived.then(() => true);
  for (let i = 0; i < 200; i++) {
    const running = h.tick();
    if (await Promise.race([running.then(() => false), reached])) return { running };
  }
  throw new Error('no store call in 200 ticks');
}

describe('late and hung store answers', { timeout: 60_000 }, () => {
  test('a hung promotion ends within its deadline as a transient failure; the next tick finds it applied', async ({
    expect,
  }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(200, healthy);
    await h.register();
    withDeadline(h, 40);
    const { arrived } = h.emulator.hangNext('setPublishedDeployPercentage', {
      afterHandling: true,
    });
    const report = await (await tickUntilStoreCall(h, arrived)).running;
    expect(report.errors).toEqual([]);
    expect(report.rollouts[0]?.decision).toBe('promote');
    const decision = (await h.decisions()).at(-1);
    expect(decision).toMatchObject({ decision: 'promote', action_status: 'failed' });
    expect(JSON.parse(decision?.action_result ?? '{}')).toMatchObject({
      error: 'store_transient',
    });
    // The store did act: the next promotion re-reads it and does not call it a second time.
    const r = await h.tickUntil((x) => x.stage_index === 1);
    expect(r.pending_action).toBeNull();
    expect(percentageCalls(h)).toHaveLength(1);
  });

  test('a promotion answered after a newer registration superseded the rollout is not recorded over it', async ({
    expect,
  }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(200, healthy);
    const old = await h.register();
    const { arrived, release } = h.emulator.answerLate('setPublishedDeployPercentage');
    const { running } = await tickUntilStoreCall(h, arrived);
    // While the store holds its answer, a newer version is registered: the newer decision.
    await h.register({ version: '1.2.0' });
    const superseded = await getRollout(env.DB, old.id);
    expect(superseded).toMatchObject({ state: 'DETACHED', detail: 'superseded by 1.2.0' });
    release();
    const report = await running;
    expect(report.rollouts.find((o) => o.rolloutId === old.id)?.decision).toBe('lost_race');
    const after = await getRollout(env.DB, old.id);
    expect(after).toMatchObject({
      state: 'DETACHED',
      detail: 'superseded by 1.2.0',
      stage_index: 0,
      pending_action: null,
      rev: superseded?.rev,
    });
  });
});

describe('late notification answers', () => {
  test('a delivery that fails after a later tick re-sent the row leaves it sent', async ({
    expect,
  }) => {
    const h = createHarness();
    h.publishCanary();
    await h.seed(10, healthy);
    await h.register();
    h.github.failing = true;
    await h.tick();
    const [row] = await h.notifications();
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });

    // Delivery A claims the row and hangs; its claim lapses; delivery B claims it and succeeds.
    let failA: (err: Error) => void = () => {};
    let arrivedA: () => void = () => {};
    const aArrived = new Promise<void>((resolve) => {
      arrivedA = resolve;
    });
    const slow: ReleaseNotifier = {
      post: () =>
        new Promise((_, reject) => {
          failA = reject;
          arrivedA();
        }),
    };
    const deliveryA = deliverOutbox(env.DB, { github: slow, slack: null }, h.now + 120_000);
    await aArrived;
    h.github.failing = false;
    const b = await deliverOutbox(env.DB, { github: h.github, slack: null }, h.now + 900_000);
    expect(b.sent).toBe(1);
    expect((await h.notifications())[0]).toMatchObject({ status: 'sent', attempts: 3 });

    failA(new Error('late failure'));
    await deliveryA;
    expect((await h.notifications())[0]).toMatchObject({ status: 'sent', attempts: 3 });
  });
});
