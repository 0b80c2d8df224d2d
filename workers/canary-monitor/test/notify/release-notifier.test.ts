import { env } from 'cloudflare:workers';
import type { TriageRpcContract } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { productionDeps } from '../../src/canary-deps.ts';
import { createSlackNotifier, createTriageNotifier } from '../../src/notify/release-notifier.ts';
import { createHarness, freshExtensionId, healthy, testConfig } from '../support/canary-harness.ts';

const extensionId = freshExtensionId();
const config = testConfig(extensionId);
const message = {
  extensionId,
  version: '1.1.0',
  title: 'demo-extension 1.1.0: promoted to 10%',
  body: 'body',
};

describe('release notifiers', () => {
  test('triage: one tracking issue per release key, through postReleaseComment', async ({
    expect,
  }) => {
    const calls: Parameters<TriageRpcContract['postReleaseComment']>[0][] = [];
    const binding: TriageRpcContract = {
      async postReleaseComment(input) {
        calls.push(input);
        return { status: 'recorded' };
      },
    };
    const notifier = createTriageNotifier(binding, config);
    if (notifier === null) throw new Error('expected a notifier');
    await notifier.post(message);
    expect(calls).toEqual([
      {
        repo: 'homeostat-demo/demo-extension',
        releaseKey: `${extensionId}@1.1.0`,
        title: message.title,
        body: 'body',
      },
    ]);
  });

  test('triage: an unexpected receipt is a failed delivery (retried later)', async ({ expect }) => {
    const notifier = createTriageNotifier(
      { postReleaseComment: async () => ({ ok: true }) },
      config,
    );
    await expect(notifier?.post(message)).rejects.toThrow('unexpected receipt');
  });

  test('triage: a call outside the shared RPC contract fails here and never reaches triage', async ({
    expect,
  }) => {
    let calls = 0;
    const notifier = createTriageNotifier(
      {
        async postReleaseComment() {
          calls++;
          return { status: 'sent', issueNumber: 4 };
        },
      },
      config,
    );
    // Triage refuses an empty title and a key with spaces (invalid_request): caught before the call.
    await expect(notifier?.post({ ...message, title: '' })).rejects.toThrow('RPC contract (title)');
    await expect(notifier?.post({ ...message, version: '1.1 beta' })).rejects.toThrow(
      'RPC contract (releaseKey)',
    );
    expect(calls).toBe(0);
    // Over-long text is cut to the contract's bounds rather than refused.
    expect(await notifier?.post({ ...message, title: 't'.repeat(400) })).toEqual({
      status: 'sent',
    });
    expect(calls).toBe(1);
  });

  test('triage: without the binding there is no notifier, so rows are recorded only', async ({
    expect,
  }) => {
    expect(createTriageNotifier(undefined, config)).toBeNull();
    expect(createTriageNotifier({}, config)).toBeNull();
    const h = createHarness();
    h.deps.notifiers.github = null;
    h.publishCanary();
    await h.seed(10, healthy);
    await h.register();
    await h.tick();
    expect(await h.notifications()).toEqual([
      expect.objectContaining({ status: 'recorded', attempts: 0 }),
    ]);
    expect(h.github.posts).toEqual([]);
  });

  test('triage: the service binding reaches the TriageRpc entrypoint over RPC', async ({
    expect,
  }) => {
    // In tests the binding points at a stub that answers like triage in dry-run mode.
    const notifier = productionDeps(env, config).notifiers.github;
    if (notifier === null) throw new Error('expected the TRIAGE binding');
    expect(await notifier.post(message)).toEqual({ status: 'recorded' });
  });

  test('slack: posts the text to the incoming webhook; a non-2xx fails', async ({ expect }) => {
    const seen: { url: string; body: unknown }[] = [];
    let status = 200;
    const slack = createSlackNotifier('https://hooks.slack.test/services/T/B/X', async (req) => {
      seen.push({ url: req.url, body: await req.json() });
      return new Response('ok', { status });
    });
    await slack.post(message);
    expect(seen).toEqual([
      { url: 'https://hooks.slack.test/services/T/B/X', body: { text: `${message.title}\nbody` } },
    ]);
    status = 500;
    await expect(slack.post(message)).rejects.toThrow('HTTP 500');
  });

  test('slack is used only when SLACK_WEBHOOK_URL is set', ({ expect }) => {
    expect(productionDeps(env, config).notifiers.slack).toBeNull();
    const withSlack = productionDeps(
      { ...env, SLACK_WEBHOOK_URL: 'https://hooks.slack.test/x' },
      config,
    );
    expect(withSlack.notifiers.slack).not.toBeNull();
  });
});
