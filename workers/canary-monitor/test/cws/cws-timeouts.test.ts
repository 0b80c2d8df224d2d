import { parseHomeostatConfig } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { createStoreEmulator } from '../../../../test/emulators/chrome-web-store/store-emulator.ts';
import { CanaryError } from '../../src/canary-error.ts';
import { createRefreshTokenSource } from '../../src/cws/cws-auth.ts';
import { createCwsClient } from '../../src/cws/cws-client.ts';
import { createSlackNotifier, createTriageNotifier } from '../../src/notify/release-notifier.ts';
import { ensureDeployPercentage } from '../../src/rollout/store-actions.ts';

/**
 * Every outgoing call of canary-monitor has a deadline (issue 11, item 4): a hung Chrome Web
 * Store, token endpoint or Slack webhook ends as a typed transient failure within it. The
 * deadlines here are tens of milliseconds so the hangs cost the suite almost nothing.
 */

const PUBLISHER = 'pub-1';
const ITEM = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';
const DEADLINE_MS = 40;

function setup(timeouts: { store?: number; token?: number } = {}) {
  const emulator = createStoreEmulator();
  emulator.addItem({ publisherId: PUBLISHER, itemId: ITEM, published: '1.0.0' });
  emulator.publishByHand(ITEM, '1.1.0', 5);
  emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
  const auth = createRefreshTokenSource(
    emulator.tokenUrl,
    { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
    {
      fetch: emulator.fetch,
      ...(timeouts.token === undefined ? {} : { timeoutMs: timeouts.token }),
    },
  );
  const client = createCwsClient({
    baseUrl: emulator.baseUrl,
    publisherId: PUBLISHER,
    itemId: ITEM,
    auth,
    fetch: emulator.fetch,
    ...(timeouts.store === undefined ? {} : { timeoutMs: timeouts.store }),
  });
  return { emulator, client };
}

async function failureOf(promise: Promise<unknown>): Promise<CanaryError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof CanaryError)) throw err;
  return err;
}

describe('Chrome Web Store calls have deadlines', () => {
  test('a hung store call is a retryable store_transient naming the deadline', async ({
    expect,
  }) => {
    const { emulator, client } = setup({ store: DEADLINE_MS });
    emulator.hangNext('fetchStatus');
    const started = Date.now();
    const err = await failureOf(client.fetchStatus());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.code).toBe('store_transient');
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`fetchStatus: no answer from the store within ${DEADLINE_MS} ms`);
    // The next call gets a fresh deadline and goes through.
    expect((await client.fetchStatus()).itemId).toBe(ITEM);
  });

  test('a hung token endpoint is a store_transient too', async ({ expect }) => {
    const { emulator, client } = setup({ token: DEADLINE_MS });
    emulator.hangNext('token');
    const err = await failureOf(client.fetchStatus());
    expect(err.code).toBe('store_transient');
    expect(err.message).toBe(`no answer from the token endpoint within ${DEADLINE_MS} ms`);
    expect(emulator.calls.filter((c) => c.method === 'fetchStatus')).toEqual([]);
  });

  test('a mutation the store applied but never answered is not applied twice', async ({
    expect,
  }) => {
    const { emulator, client } = setup({ store: DEADLINE_MS });
    emulator.hangNext('setPublishedDeployPercentage', { afterHandling: true });
    const err = await failureOf(ensureDeployPercentage(client, '1.1.0', 10));
    expect(err.code).toBe('store_transient');
    expect(emulator.item(ITEM).channels[0]).toEqual({ crxVersion: '1.1.0', deployPercentage: 10 });
    // The retry re-reads the store first and finds the change already made.
    const again = await ensureDeployPercentage(client, '1.1.0', 10);
    expect(again.outcome).toBe('already_applied');
    expect(emulator.calls.filter((c) => c.method === 'setPublishedDeployPercentage').length).toBe(
      1,
    );
  });

  test('the production default applies when no deadline is configured', async ({ expect }) => {
    const { emulator, client } = setup();
    // Not hung: the default deadline (30 s) leaves a normal call alone.
    expect((await client.fetchStatus()).itemId).toBe(ITEM);
    expect(emulator.calls.map((c) => c.method)).toEqual(['token', 'fetchStatus']);
  });
});

describe('the Slack webhook has a deadline and needs https:', () => {
  const message = { extensionId: ITEM, version: '1.1.0', title: 't', body: 'b' };

  test('a hung webhook fails the delivery (retried by the outbox) without quoting the URL', async ({
    expect,
  }) => {
    const url = 'https://hooks.slack.example/services/T0/B0/secretpart';
    const hang = (req: Request) =>
      new Promise<Response>((_, reject) => {
        req.signal.addEventListener('abort', () => reject(req.signal.reason), { once: true });
      });
    const notifier = createSlackNotifier(url, hang, { timeoutMs: DEADLINE_MS });
    const err = await notifier.post(message).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CanaryError', code: 'notify_failed', retryable: true });
    expect((err as Error).message).toBe(`slack webhook did not answer within ${DEADLINE_MS} ms`);
    expect((err as Error).message).not.toContain('secretpart');
  });

  test('an unreachable webhook never quotes the network error (it may carry the URL)', async ({
    expect,
  }) => {
    const url = 'https://hooks.slack.example/services/T0/B0/secretpart';
    const down = async () => {
      throw new TypeError(`fetch failed: ${url}`);
    };
    const err = await createSlackNotifier(url, down)
      .post(message)
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('slack webhook unreachable');
  });

  test.for([
    ['http://hooks.slack.example/services/T0/B0/x', false],
    ['http://127.0.0.1:9999/hook', true],
  ] as const)('%s is posted to: %s', async ([url, allowed], { expect }) => {
    const seen: string[] = [];
    const notifier = createSlackNotifier(url, async (req) => {
      seen.push(req.url);
      return new Response('ok');
    });
    const result = await notifier.post(message).catch((e: unknown) => e);
    if (allowed) {
      expect(result).toEqual({ status: 'sent' });
      expect(seen).toEqual([url]);
    } else {
      expect(result).toMatchObject({ name: 'CanaryError', code: 'notify_failed' });
      expect((result as Error).message).toBe('SLACK_WEBHOOK_URL must be an https: URL');
      expect(seen).toEqual([]);
    }
  });
});

describe('the triage RPC has a deadline', () => {
  test('a triage that never answers fails the delivery (retried by the outbox)', async ({
    expect,
  }) => {
    const config = parseHomeostatConfig({
      version: 1,
      extensions: [
        {
          id: ITEM,
          name: 'demo-extension',
          ingestKeys: ['hs_pub_demo_local_key_0001'],
          repo: 'homeostat-demo/demo-extension',
        },
      ],
      repositories: [{ slug: 'homeostat-demo/demo-extension' }],
    });
    const calls: unknown[] = [];
    const binding = {
      postReleaseComment: (input: unknown) => {
        calls.push(input);
        return new Promise<never>(() => {});
      },
    };
    const notifier = createTriageNotifier(binding, config, { timeoutMs: DEADLINE_MS });
    const err = await notifier
      ?.post({ extensionId: ITEM, version: '1.1.0', title: 't', body: 'b' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CanaryError', code: 'notify_failed', retryable: true });
    expect((err as Error).message).toBe(`triage did not answer within ${DEADLINE_MS} ms`);
    expect(calls).toHaveLength(1);
  });
});
