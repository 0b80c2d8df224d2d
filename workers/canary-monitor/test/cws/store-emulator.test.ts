import { describe, test } from 'vitest';
import { createStoreEmulator } from '../../../../test/emulators/chrome-web-store/store-emulator.ts';
import { extensionZip } from '../../../../test/emulators/chrome-web-store/zip-writer.ts';
import { createRefreshTokenSource } from '../../src/cws/cws-auth.ts';
import { createCwsClient } from '../../src/cws/cws-client.ts';

/** The emulator's own rules (research/canary.md §1.3–1.6), so tests built on it mean something. */
const ITEM = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';

function setup() {
  const emulator = createStoreEmulator();
  emulator.addItem({
    publisherId: 'pub-1',
    itemId: ITEM,
    published: '1.0.0',
    reviewMode: 'manual',
  });
  emulator.addOAuthClient('c', 's', 'r');
  const auth = createRefreshTokenSource(
    emulator.tokenUrl,
    { clientId: 'c', clientSecret: 's', refreshToken: 'r' },
    { fetch: emulator.fetch },
  );
  const client = createCwsClient({
    baseUrl: emulator.baseUrl,
    publisherId: 'pub-1',
    itemId: ITEM,
    auth,
    fetch: emulator.fetch,
  });
  return { emulator, client };
}

describe('Chrome Web Store emulator', () => {
  test('review: PENDING_REVIEW until approved, then published at the requested percentage', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    await client.upload(await extensionZip('1.1.0'));
    expect((await client.publish({ deployInfos: [{ deployPercentage: 10 }] })).state).toBe(
      'PENDING_REVIEW',
    );
    const pending = await client.fetchStatus();
    expect(pending.submittedItemRevisionStatus).toEqual({
      state: 'PENDING_REVIEW',
      distributionChannels: [{ crxVersion: '1.1.0', deployPercentage: 10 }],
    });
    expect(pending.publishedItemRevisionStatus?.distributionChannels).toEqual([
      { crxVersion: '1.0.0', deployPercentage: 100 },
    ]);
    emulator.review(ITEM, 'approve');
    const live = await client.fetchStatus();
    expect(live.submittedItemRevisionStatus).toBeUndefined();
    expect(live.publishedItemRevisionStatus?.distributionChannels[0]).toEqual({
      crxVersion: '1.1.0',
      deployPercentage: 10,
    });
  });

  test('STAGED_PUBLISH waits in STAGED after approval until published by hand', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    await client.upload(await extensionZip('1.1.0'));
    await client.publish({ publishType: 'STAGED_PUBLISH', deployInfos: [{ deployPercentage: 5 }] });
    emulator.review(ITEM, 'approve');
    expect((await client.fetchStatus()).submittedItemRevisionStatus?.state).toBe('STAGED');
    expect((await client.publish({})).state).toBe('PUBLISHED');
    expect(emulator.item(ITEM).channels[0]).toEqual({ crxVersion: '1.1.0', deployPercentage: 5 });
  });

  test('a rejected submission is reported and never published', async ({ expect }) => {
    const { emulator, client } = setup();
    await client.upload(await extensionZip('1.1.0'));
    await client.publish({});
    emulator.review(ITEM, 'reject');
    const status = await client.fetchStatus();
    expect(status.submittedItemRevisionStatus?.state).toBe('REJECTED');
    expect(status.publishedItemRevisionStatus?.distributionChannels).toEqual([
      { crxVersion: '1.0.0', deployPercentage: 100 },
    ]);
  });

  test('percentages only go up, and reaching 100% retires the older channels', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    emulator.publishByHand(ITEM, '1.1.0', 10);
    await expect(client.setPublishedDeployPercentage(10)).rejects.toMatchObject({
      code: 'store_rejected',
    });
    await expect(client.setPublishedDeployPercentage(5)).rejects.toMatchObject({
      code: 'store_rejected',
    });
    await client.setPublishedDeployPercentage(100);
    expect(emulator.item(ITEM).channels).toEqual([{ crxVersion: '1.1.0', deployPercentage: 100 }]);
  });

  test('rollback during a partial rollout reverts to the last 100% version and drops submissions', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    emulator.publishByHand(ITEM, '1.1.0', 50);
    emulator.publishByHand(ITEM, '1.2.0', 1);
    await client.upload(await extensionZip('1.3.0'));
    await client.publish({});
    // No target given: the last version that was at 100%.
    await client.rollback({ newVersion: '1.3.0.1', rollbackReason: 'r' });
    const item = emulator.item(ITEM);
    expect(item.rollbacks[0]?.targetCrxVersion).toBe('1.0.0');
    expect(item.channels).toEqual([{ crxVersion: '1.3.0.1', deployPercentage: 100 }]);
    expect(item.submitted).toBeNull();
    expect((await client.fetchStatus()).submittedItemRevisionStatus).toBeUndefined();
  });

  test('an unknown token, item or publisher is refused', async ({ expect }) => {
    const { emulator } = setup();
    const res = await emulator.fetch(
      new Request(`${emulator.baseUrl}/v2/publishers/pub-1/items/${ITEM}:fetchStatus`),
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    const other = createStoreEmulator();
    other.addItem({ publisherId: 'pub-2', itemId: ITEM, published: '1.0.0' });
    other.addOAuthClient('c', 's', 'r');
    const auth = createRefreshTokenSource(
      other.tokenUrl,
      { clientId: 'c', clientSecret: 's', refreshToken: 'r' },
      { fetch: other.fetch },
    );
    const wrongPublisher = createCwsClient({
      baseUrl: other.baseUrl,
      publisherId: 'pub-1',
      itemId: ITEM,
      auth,
      fetch: other.fetch,
    });
    await expect(wrongPublisher.fetchStatus()).rejects.toMatchObject({ code: 'store_not_found' });
  });
});
