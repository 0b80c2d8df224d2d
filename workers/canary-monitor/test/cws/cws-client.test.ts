import { bundledConfig } from '@homeostat/shared';
import { describe, test } from 'vitest';
import {
  createStoreEmulator,
  type StoreEmulator,
} from '../../../../test/emulators/chrome-web-store/store-emulator.ts';
import { extensionZip } from '../../../../test/emulators/chrome-web-store/zip-writer.ts';
import { CanaryError } from '../../src/canary-error.ts';
import {
  type AccessTokenSource,
  createRefreshTokenSource,
  createServiceAccountSource,
  parseServiceAccountKey,
} from '../../src/cws/cws-auth.ts';
import { createCwsClient } from '../../src/cws/cws-client.ts';
import { readStoreView } from '../../src/cws/store-view.ts';
import { ensureDeployPercentage } from '../../src/rollout/store-actions.ts';

const PUBLISHER = 'pub-1';
const ITEM = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';

function setup(init: { published?: string; users7d?: number } = {}) {
  const emulator = createStoreEmulator();
  emulator.addItem({
    publisherId: PUBLISHER,
    itemId: ITEM,
    published: init.published ?? '1.0.0',
    ...init,
  });
  emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
  const auth = createRefreshTokenSource(
    emulator.tokenUrl,
    { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
    { fetch: emulator.fetch },
  );
  const client = createCwsClient({
    baseUrl: emulator.baseUrl,
    publisherId: PUBLISHER,
    itemId: ITEM,
    auth,
    fetch: emulator.fetch,
  });
  return { emulator, client };
}

/** Records every request the client sends, then lets the emulator answer it. */
function recording(emulator: StoreEmulator) {
  const requests: { method: string; url: string; headers: Headers; body: string }[] = [];
  const fetch = async (req: Request) => {
    requests.push({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: new TextDecoder().decode(await req.clone().arrayBuffer()),
    });
    return emulator.fetch(req);
  };
  return { requests, fetch };
}

async function rejection(promise: Promise<unknown>): Promise<CanaryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CanaryError) return err;
    throw err;
  }
  throw new Error('expected a CanaryError');
}

async function rsaKeyPair() {
  const pair = await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  if (!('privateKey' in pair)) throw new Error('expected a key pair');
  const exported = await crypto.subtle.exportKey('pkcs8', pair.privateKey);
  if (!(exported instanceof ArrayBuffer)) throw new Error('expected pkcs8 bytes');
  const pkcs8 = new Uint8Array(exported);
  let bin = '';
  for (const b of pkcs8) bin += String.fromCharCode(b);
  const pem = `-----BEGIN PRIVATE KEY-----\n${btoa(bin).replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { pem, publicKey: pair.publicKey };
}

describe('Chrome Web Store client (research/canary.md §6.1)', () => {
  test('promoting to 25% sends exactly one setPublishedDeployPercentage with a bearer token', async ({
    expect,
  }) => {
    // The production URLs from the config defaults: only the injected fetch differs.
    const { canary } = bundledConfig();
    const emulator = createStoreEmulator({
      baseUrl: canary.storeApiBaseUrl,
      tokenUrl: canary.oauthTokenUrl,
    });
    emulator.addItem({ publisherId: PUBLISHER, itemId: ITEM, published: '1.0.0' });
    emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
    emulator.publishByHand(ITEM, '1.1.0', 10);
    const rec = recording(emulator);
    const auth = createRefreshTokenSource(
      canary.oauthTokenUrl,
      { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
      { fetch: rec.fetch },
    );
    const client = createCwsClient({
      baseUrl: canary.storeApiBaseUrl,
      publisherId: PUBLISHER,
      itemId: ITEM,
      auth,
      fetch: rec.fetch,
    });
    const result = await ensureDeployPercentage(client, '1.1.0', 25);
    expect(result.outcome).toBe('applied');
    const mutations = rec.requests.filter((r) => r.url.includes(':setPublishedDeployPercentage'));
    expect(mutations).toHaveLength(1);
    const [m] = mutations;
    expect(m?.method).toBe('POST');
    expect(m?.url).toBe(
      `https://chromewebstore.googleapis.com/v2/publishers/${PUBLISHER}/items/${ITEM}:setPublishedDeployPercentage`,
    );
    expect(rec.requests[0]?.url).toBe('https://oauth2.googleapis.com/token');
    expect(JSON.parse(m?.body ?? '')).toEqual({ deployPercentage: 25 });
    expect(m?.headers.get('authorization')).toMatch(/^Bearer emu-token-\d+$/);
    expect(emulator.item(ITEM).channels[0]).toEqual({ crxVersion: '1.1.0', deployPercentage: 25 });
  });

  test('no mutation when the store already has the target or more', async ({ expect }) => {
    const { emulator, client } = setup();
    emulator.publishByHand(ITEM, '1.1.0', 50);
    expect((await ensureDeployPercentage(client, '1.1.0', 25)).outcome).toBe('already_applied');
    expect((await ensureDeployPercentage(client, '1.1.0', 50)).outcome).toBe('already_applied');
    expect(emulator.mutations()).toEqual([]);
  });

  test('a reported 0% is "not yet set" and parses as 0', async ({ expect }) => {
    const { emulator, client } = setup();
    emulator.publishByHand(ITEM, '1.1.0', 0);
    const status = await client.fetchStatus();
    // The emulator omits the 0, as Google's JSON mapping does.
    expect(status.publishedItemRevisionStatus?.distributionChannels[0]).toEqual({
      crxVersion: '1.1.0',
      deployPercentage: 0,
    });
    expect((await ensureDeployPercentage(client, '1.1.0', 5)).outcome).toBe('applied');
    expect(emulator.item(ITEM).channels[0]?.deployPercentage).toBe(5);
  });

  test('every distribution channel is parsed, not only the first', async ({ expect }) => {
    const { emulator, client } = setup();
    emulator.publishByHand(ITEM, '1.1.0', 50);
    emulator.publishByHand(ITEM, '1.2.0', 1);
    const view = readStoreView(await client.fetchStatus(), '1.2.0');
    expect(view.channels).toEqual([
      { crxVersion: '1.2.0', deployPercentage: 1 },
      { crxVersion: '1.1.0', deployPercentage: 50 },
      { crxVersion: '1.0.0', deployPercentage: 100 },
    ]);
    expect(view.canary?.deployPercentage).toBe(1);
    expect(view.baseline?.crxVersion).toBe('1.1.0');
    expect(readStoreView(await client.fetchStatus(), '1.1.0').newerVersion).toBe('1.2.0');
  });

  test('the store refuses a lower percentage and the client reports it typed', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    emulator.publishByHand(ITEM, '1.1.0', 25);
    const err = await rejection(client.setPublishedDeployPercentage(10));
    expect(err.code).toBe('store_rejected');
    expect(err.upstreamStatus).toBe(400);
    expect(emulator.item(ITEM).channels[0]?.deployPercentage).toBe(25);
  });

  test('typed outcomes: not eligible, in review, taken down, transient', async ({ expect }) => {
    const small = setup({ users7d: 9_000 });
    small.emulator.publishByHand(ITEM, '1.1.0', 5);
    expect((await rejection(small.client.setPublishedDeployPercentage(10))).code).toBe(
      'store_not_eligible',
    );

    const { emulator, client } = setup();
    emulator.item(ITEM).reviewMode = 'manual';
    await client.upload(await extensionZip('1.1.0'));
    expect((await client.publish({ deployInfos: [{ deployPercentage: 5 }] })).state).toBe(
      'PENDING_REVIEW',
    );
    expect((await rejection(client.upload(await extensionZip('1.1.1')))).code).toBe('store_busy');
    expect((await rejection(client.publish({}))).code).toBe('store_busy');
    await client.cancelSubmission();
    expect((await client.fetchStatus()).submittedItemRevisionStatus?.state).toBe('CANCELLED');

    emulator.failNext('fetchStatus', 503, { error: { code: 503, status: 'UNAVAILABLE' } });
    const transient = await rejection(client.fetchStatus());
    expect(transient.code).toBe('store_transient');
    expect(transient.retryable).toBe(true);

    emulator.item(ITEM).takenDown = true;
    expect((await client.fetchStatus()).takenDown).toBe(true);
    expect((await rejection(client.publish({}))).code).toBe('store_taken_down');
  });

  test('a malformed store answer is a typed invalid response, never trusted', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    emulator.failNext('fetchStatus', 200, {
      publishedItemRevisionStatus: { distributionChannels: [{ deployPercentage: 'ten' }] },
    });
    expect((await rejection(client.fetchStatus())).code).toBe('store_invalid_response');
  });

  test('upload reads the version from the package and publish sets the first stage', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    const uploaded = await client.upload(await extensionZip('1.1.0', { deflate: true }));
    expect(uploaded).toMatchObject({ crxVersion: '1.1.0', uploadState: 'SUCCEEDED' });
    const published = await client.publish({ deployInfos: [{ deployPercentage: 5 }] });
    expect(published.state).toBe('PUBLISHED');
    expect(emulator.item(ITEM).channels).toEqual([
      { crxVersion: '1.1.0', deployPercentage: 5 },
      { crxVersion: '1.0.0', deployPercentage: 100 },
    ]);
    expect((await rejection(client.upload(await extensionZip('1.0.5')))).code).toBe(
      'store_rejected',
    );
  });

  test('rollback: validateOnly changes nothing; a real one republishes to everyone', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    emulator.publishByHand(ITEM, '1.1.0', 5);
    await client.rollback({ targetCrxVersion: '1.0.0', newVersion: '1.1.0.1', validateOnly: true });
    expect(emulator.item(ITEM).channels).toHaveLength(2);
    expect(
      (await rejection(client.rollback({ targetCrxVersion: '1.0.0', newVersion: '1.0.9' }))).code,
    ).toBe('store_rejected');
    await client.rollback({
      targetCrxVersion: '1.0.0',
      newVersion: '1.1.0.1',
      rollbackReason: 'test',
    });
    expect(emulator.item(ITEM).channels).toEqual([
      { crxVersion: '1.1.0.1', deployPercentage: 100 },
    ]);
    expect(emulator.item(ITEM).rollbacks).toEqual([
      { targetCrxVersion: '1.0.0', newVersion: '1.1.0.1', rollbackReason: 'test' },
    ]);
    emulator.item(ITEM).rollbackSupported = false;
    expect(
      (await rejection(client.rollback({ newVersion: '1.1.0.2', validateOnly: true }))).code,
    ).toBe('store_not_found');
  });
});

describe('store authentication (research/canary.md §6.2)', () => {
  test('refresh flow: form-encoded grant to the token URL, cached until expires_in − 60 s', async ({
    expect,
  }) => {
    const emulator = createStoreEmulator();
    emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
    const rec = recording(emulator);
    let clock = 1_000_000;
    const auth = createRefreshTokenSource(
      emulator.tokenUrl,
      { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
      { fetch: rec.fetch, now: () => clock },
    );
    const first = await auth.token();
    expect(rec.requests).toHaveLength(1);
    const [req] = rec.requests;
    expect(req?.url).toBe(emulator.tokenUrl);
    expect(req?.method).toBe('POST');
    expect(req?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req?.body);
    expect(Object.fromEntries(form)).toEqual({
      client_id: 'client-1',
      client_secret: 'secret-1',
      refresh_token: 'refresh-1',
      grant_type: 'refresh_token',
    });
    // expires_in is 3599 s: cached until 3539 s, refreshed after.
    clock += 3_538_000;
    expect(await auth.token()).toBe(first);
    expect(rec.requests).toHaveLength(1);
    clock += 2_000;
    expect(await auth.token()).not.toBe(first);
    expect(rec.requests).toHaveLength(2);
  });

  test('invalid_grant and a deleted client are typed as expired credentials', async ({
    expect,
  }) => {
    const emulator = createStoreEmulator();
    emulator.addOAuthClient('client-1', 'secret-1', 'refresh-1');
    const source = (refreshToken: string): AccessTokenSource =>
      createRefreshTokenSource(
        emulator.tokenUrl,
        { clientId: 'client-1', clientSecret: 'secret-1', refreshToken },
        { fetch: emulator.fetch },
      );
    const revoked = await rejection(source('stale').token());
    expect(revoked.code).toBe('store_auth_expired');
    expect(revoked.upstreamStatus).toBe(400);
    expect(revoked.message).not.toContain('stale');

    emulator.deleteOAuthClient('client-1');
    const deleted = await rejection(source('refresh-1').token());
    expect(deleted.code).toBe('store_auth_expired');
    expect(deleted.upstreamStatus).toBe(401);
    expect(deleted.internal).toContain('deleted_client');
  });

  test('a token revoked mid-way is retried once with a fresh token, then typed', async ({
    expect,
  }) => {
    const { emulator, client } = setup();
    await client.fetchStatus();
    const before = emulator.tokenRequests();
    emulator.revokeRefreshToken('client-1', 'refresh-1');
    const err = await rejection(client.fetchStatus());
    expect(err.code).toBe('store_auth_expired');
    expect(emulator.tokenRequests()).toBe(before + 1);
  });

  test('service account: an RS256 JWT signed with WebCrypto is accepted by the verifier', async ({
    expect,
  }) => {
    const emulator = createStoreEmulator();
    emulator.addItem({ publisherId: PUBLISHER, itemId: ITEM, published: '1.0.0' });
    const { pem, publicKey } = await rsaKeyPair();
    emulator.addServiceAccount('canary@project.iam.gserviceaccount.com', publicKey);
    const key = parseServiceAccountKey(
      JSON.stringify({
        type: 'service_account',
        client_email: 'canary@project.iam.gserviceaccount.com',
        private_key: pem,
        private_key_id: 'k1',
      }),
    );
    const auth = createServiceAccountSource(emulator.tokenUrl, key, { fetch: emulator.fetch });
    const client = createCwsClient({
      baseUrl: emulator.baseUrl,
      publisherId: PUBLISHER,
      itemId: ITEM,
      auth,
      fetch: emulator.fetch,
    });
    expect((await client.fetchStatus()).itemId).toBe(ITEM);

    // A key the store does not know is refused: the signature really is checked.
    const other = await rsaKeyPair();
    const forged = createServiceAccountSource(
      emulator.tokenUrl,
      { ...key, private_key: other.pem },
      { fetch: emulator.fetch },
    );
    expect((await rejection(forged.token())).code).toBe('store_auth_expired');
  });

  test('a malformed service-account key is refused without quoting it', async ({ expect }) => {
    const err = await rejection(Promise.resolve().then(() => parseServiceAccountKey('{"x":1}')));
    expect(err.code).toBe('store_credentials_invalid');
  });
});
