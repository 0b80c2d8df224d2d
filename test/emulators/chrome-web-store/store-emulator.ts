import { compareVersions, isVersion } from '@homeostat/shared';
import { readPackageManifest } from '../../../workers/canary-monitor/src/cws/zip-manifest.ts';

/**
 * An in-process emulator of the Chrome Web Store API v2 and Google's OAuth token endpoint, for
 * tests: a `(Request) => Promise<Response>` handler that the CWS client takes as its `fetch`.
 * It follows the v2 reference as summarised in research/canary.md §1.3–1.6:
 * - the deploy percentage only goes up ("must be larger than the existing target percentage");
 * - percentage rollouts need more than 10,000 seven-day active users;
 * - publish goes through review (PENDING_REVIEW → PUBLISHED, or STAGED for STAGED_PUBLISH) unless
 *   the item is set to review instantly or `skipReview` is passed; nothing can be uploaded or
 *   published while a submission is in review;
 * - `:rollback` republishes a previously published package to 100% of users under a higher
 *   version, aborts every partial rollout and discards pending submissions; `validateOnly`
 *   changes nothing;
 * - several channels can be live at once, and fields at their default value are omitted from
 *   responses, as in Google's JSON mapping.
 * Errors use Google's error model `{"error":{"code","message","status"}}`; token errors use the
 * OAuth shape `{"error":"invalid_grant","error_description":…}`.
 */

export const EMULATOR_BASE_URL = 'https://chromewebstore.emulator.test';
export const EMULATOR_TOKEN_URL = 'https://oauth2.emulator.test/token';
const CWS_SCOPE = 'https://www.googleapis.com/auth/chromewebstore';
const ELIGIBLE_USERS = 10_000;

type SubmissionState = 'PENDING_REVIEW' | 'STAGED' | 'REJECTED' | 'CANCELLED';

export interface Channel {
  crxVersion: string;
  deployPercentage: number;
}

export interface EmulatedItem {
  publisherId: string;
  itemId: string;
  users7d: number;
  /** `instant`: a submission is published at once (as if approved immediately). */
  reviewMode: 'instant' | 'manual';
  rollbackSupported: boolean;
  /** Published channels, newest first. */
  channels: Channel[];
  /** Every version ever published, in order (rollback targets). */
  history: string[];
  /** The last version that reached 100%: the default rollback target. */
  lastFullVersion: string | null;
  submitted: {
    state: SubmissionState;
    crxVersion: string;
    deployPercentage: number;
    staged: boolean;
  } | null;
  draft: { crxVersion: string } | null;
  takenDown: boolean;
  warned: boolean;
  rollbacks: { targetCrxVersion: string; newVersion: string; rollbackReason: string }[];
}

export interface EmulatorCall {
  method: string;
  itemId?: string;
  body?: unknown;
  status: number;
}

const MUTATIONS = new Set([
  'publish',
  'setPublishedDeployPercentage',
  'cancelSubmission',
  'rollback',
  'upload',
]);

interface Fault {
  method: string;
  status: number;
  body: unknown;
  times: number;
}

/** A call that is not answered in time (issue 11, item 4): see `hangNext` and `answerLate`. */
interface Stall {
  method: string;
  times: number;
  /** The store acts on the call before it stalls: the client's view and the store's part. */
  afterHandling: boolean;
  /** Null: never answers; the client's own deadline (its request signal) is all that ends it. */
  release: Promise<void> | null;
  arrived: () => void;
}

/** What a fetch whose signal fires does: reject with the signal's reason. */
function untilAborted(req: Request): Promise<never> {
  return new Promise<never>((_, reject) => {
    const signal = req.signal;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function googleError(code: number, status: string, message: string): Response {
  return Response.json({ error: { code, message, status } }, { status: code });
}

/** Google's JSON mapping leaves out default values (0, false, empty). */
function channelJson(c: Channel) {
  return c.deployPercentage === 0 ? { crxVersion: c.crxVersion } : { ...c };
}

function b64urlDecode(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export interface StoreEmulatorOptions {
  now?: () => number;
  /** Where the emulator answers, e.g. a local HTTP server's origin for the release CLI test. */
  baseUrl?: string;
  tokenUrl?: string;
}

export function createStoreEmulator(options: StoreEmulatorOptions = {}) {
  const now = options.now ?? Date.now;
  const baseUrl = (options.baseUrl ?? EMULATOR_BASE_URL).replace(/\/+$/, '');
  const tokenUrl = options.tokenUrl ?? EMULATOR_TOKEN_URL;
  const items = new Map<string, EmulatedItem>();
  const clients = new Map<
    string,
    { secret: string; refreshTokens: Set<string>; deleted: boolean }
  >();
  const serviceAccounts = new Map<string, CryptoKey>();
  const tokens = new Map<string, number>();
  const calls: EmulatorCall[] = [];
  const faults: Fault[] = [];
  const stalls: Stall[] = [];
  let tokenCounter = 0;

  /** Applies a matching stall, if any: the answer `res` (made now or never) is held back. */
  async function stalled(
    method: string,
    req: Request,
    answer: () => Promise<Response>,
  ): Promise<Response | null> {
    const stall = stalls.find((s) => s.method === method && s.times > 0);
    if (stall === undefined) return null;
    stall.times--;
    const res = stall.afterHandling ? await answer() : null;
    stall.arrived();
    if (stall.release === null) return untilAborted(req);
    // A late answer: it comes when the test releases it, unless the client gave up first.
    await Promise.race([stall.release, untilAborted(req)]);
    return res ?? answer();
  }

  function issueToken(): Response {
    tokenCounter++;
    const token = `emu-token-${tokenCounter}`;
    tokens.set(token, now() + 3_599_000);
    return Response.json({
      access_token: token,
      expires_in: 3599,
      token_type: 'Bearer',
      scope: CWS_SCOPE,
    });
  }

  async function handleToken(req: Request): Promise<Response> {
    // Decoded by hand: workerd warns on .text() for a form body.
    const form = new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()));
    const grant = form.get('grant_type');
    if (req.headers.get('content-type')?.startsWith('application/x-www-form-urlencoded') !== true) {
      return Response.json(
        { error: 'invalid_request', error_description: 'Bad Request' },
        { status: 400 },
      );
    }
    if (grant === 'refresh_token') {
      const client = clients.get(form.get('client_id') ?? '');
      if (client?.deleted === true) {
        return Response.json(
          { error: 'deleted_client', error_description: 'The OAuth client was deleted.' },
          { status: 401 },
        );
      }
      if (client === undefined || client.secret !== form.get('client_secret')) {
        return Response.json(
          { error: 'invalid_client', error_description: 'Unauthorized' },
          { status: 401 },
        );
      }
      if (!client.refreshTokens.has(form.get('refresh_token') ?? '')) {
        return Response.json(
          { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
          { status: 400 },
        );
      }
      return issueToken();
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const parts = (form.get('assertion') ?? '').split('.');
      const invalid = () =>
        Response.json(
          { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
          { status: 400 },
        );
      if (parts.length !== 3) return invalid();
      const [h = '', c = '', s = ''] = parts;
      let claims: { iss?: string; aud?: string; exp?: number; scope?: string };
      let header: { alg?: string };
      try {
        header = JSON.parse(new TextDecoder().decode(b64urlDecode(h)));
        claims = JSON.parse(new TextDecoder().decode(b64urlDecode(c)));
      } catch {
        return invalid();
      }
      const key = serviceAccounts.get(claims.iss ?? '');
      if (header.alg !== 'RS256' || key === undefined) return invalid();
      const ok = await crypto.subtle.verify(
        'RSASSA-PKCS1-v1_5',
        key,
        b64urlDecode(s),
        new TextEncoder().encode(`${h}.${c}`),
      );
      if (!ok) return invalid();
      if (claims.aud !== tokenUrl || (claims.exp ?? 0) * 1000 < now()) {
        return Response.json(
          {
            error: 'invalid_grant',
            error_description: 'Invalid JWT: Token must be a short-lived token',
          },
          { status: 400 },
        );
      }
      if (!(claims.scope ?? '').split(' ').includes(CWS_SCOPE)) {
        return Response.json(
          { error: 'invalid_scope', error_description: 'Invalid scope' },
          { status: 400 },
        );
      }
      return issueToken();
    }
    return Response.json(
      { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' },
      { status: 400 },
    );
  }

  function authorised(req: Request): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.get('authorization') ?? '');
    const until = match?.[1] === undefined ? undefined : tokens.get(match[1]);
    return until !== undefined && until > now();
  }

  function highestPublished(item: EmulatedItem): string | null {
    let top: string | null = null;
    for (const v of item.history) if (top === null || compareVersions(v, top) > 0) top = v;
    return top;
  }

  function publishNow(item: EmulatedItem, crxVersion: string, deployPercentage: number) {
    item.history.push(crxVersion);
    if (deployPercentage >= 100) {
      item.channels = [{ crxVersion, deployPercentage: 100 }];
      item.lastFullVersion = crxVersion;
    } else {
      item.channels = [{ crxVersion, deployPercentage }, ...item.channels];
    }
    item.submitted = null;
  }

  async function readJson(req: Request): Promise<Record<string, unknown> | null> {
    const text = await req.text();
    if (text.trim() === '') return {};
    try {
      const v: unknown = JSON.parse(text);
      return v !== null && typeof v === 'object' && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : null;
    } catch {
      return null;
    }
  }

  const methods: Record<
    string,
    (item: EmulatedItem, req: Request, call: EmulatorCall) => Promise<Response>
  > = {
    async fetchStatus(item) {
      const body: Record<string, unknown> = {
        name: `publishers/${item.publisherId}/items/${item.itemId}`,
        itemId: item.itemId,
        publicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAemulated',
      };
      if (item.channels.length > 0) {
        body.publishedItemRevisionStatus = {
          state: 'PUBLISHED',
          distributionChannels: item.channels.map(channelJson),
        };
      }
      if (item.submitted !== null) {
        body.submittedItemRevisionStatus = {
          state: item.submitted.state,
          distributionChannels: [channelJson(item.submitted)],
        };
      }
      if (item.takenDown) body.takenDown = true;
      if (item.warned) body.warned = true;
      return Response.json(body);
    },

    async upload(item, req) {
      if (item.submitted?.state === 'PENDING_REVIEW') {
        return googleError(
          400,
          'FAILED_PRECONDITION',
          'ITEM_NOT_UPDATABLE: Item is not updatable because it is in pending review.',
        );
      }
      let version: string;
      try {
        version = (await readPackageManifest(new Uint8Array(await req.arrayBuffer()))).version;
      } catch {
        return googleError(400, 'INVALID_ARGUMENT', 'The package is not a valid extension zip.');
      }
      const top = highestPublished(item);
      if (top !== null && compareVersions(version, top) <= 0) {
        return googleError(
          400,
          'INVALID_ARGUMENT',
          'PKG_INVALID_VERSION_NUMBER: The version must be higher than the published version.',
        );
      }
      item.draft = { crxVersion: version };
      return Response.json({
        name: `publishers/${item.publisherId}/items/${item.itemId}`,
        itemId: item.itemId,
        crxVersion: version,
        uploadState: 'SUCCEEDED',
      });
    },

    async publish(item, req, call) {
      const body = await readJson(req);
      call.body = body;
      if (body === null)
        return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
      if (item.takenDown)
        return googleError(400, 'FAILED_PRECONDITION', 'The item has been taken down.');
      if (item.submitted?.state === 'PENDING_REVIEW') {
        return googleError(
          400,
          'FAILED_PRECONDITION',
          'Publish condition not met: You may not edit or publish an item that is in review.',
        );
      }
      const infos = Array.isArray(body.deployInfos)
        ? (body.deployInfos as { deployPercentage?: unknown }[])
        : [];
      const pct = infos[0]?.deployPercentage ?? 100;
      if (typeof pct !== 'number' || !Number.isInteger(pct) || pct < 0 || pct > 100) {
        return googleError(
          400,
          'INVALID_ARGUMENT',
          'deployPercentage must be an integer between 0 and 100.',
        );
      }
      if (pct < 100 && item.users7d <= ELIGIBLE_USERS) {
        return googleError(
          400,
          'FAILED_PRECONDITION',
          'Partial rollout is only available to items with over 10,000 seven-day active users.',
        );
      }
      const name = `publishers/${item.publisherId}/items/${item.itemId}`;
      // Publishing an approved STAGED submission.
      if (item.draft === null && item.submitted?.state === 'STAGED') {
        publishNow(item, item.submitted.crxVersion, item.submitted.deployPercentage);
        return Response.json({ name, itemId: item.itemId, state: 'PUBLISHED' });
      }
      if (item.draft === null)
        return googleError(
          400,
          'FAILED_PRECONDITION',
          'Publish condition not met: There is no draft to publish.',
        );
      const staged = body.publishType === 'STAGED_PUBLISH';
      const version = item.draft.crxVersion;
      item.draft = null;
      if (item.reviewMode === 'instant' || body.skipReview === true) {
        if (staged) {
          item.submitted = { state: 'STAGED', crxVersion: version, deployPercentage: pct, staged };
          return Response.json({ name, itemId: item.itemId, state: 'STAGED' });
        }
        publishNow(item, version, pct);
        return Response.json({ name, itemId: item.itemId, state: 'PUBLISHED' });
      }
      item.submitted = {
        state: 'PENDING_REVIEW',
        crxVersion: version,
        deployPercentage: pct,
        staged,
      };
      return Response.json({ name, itemId: item.itemId, state: 'PENDING_REVIEW' });
    },

    async setPublishedDeployPercentage(item, req, call) {
      const body = await readJson(req);
      call.body = body;
      const pct = body?.deployPercentage;
      if (typeof pct !== 'number' || !Number.isInteger(pct) || pct < 0 || pct > 100) {
        return googleError(
          400,
          'INVALID_ARGUMENT',
          'deployPercentage must be an integer between 0 and 100.',
        );
      }
      if (item.users7d <= ELIGIBLE_USERS) {
        return googleError(
          400,
          'FAILED_PRECONDITION',
          'Deploy percentage is only available to items with over 10,000 seven-day active users.',
        );
      }
      const current = item.channels[0];
      if (current === undefined)
        return googleError(400, 'FAILED_PRECONDITION', 'The item has no published revision.');
      if (pct <= current.deployPercentage) {
        return googleError(
          400,
          'INVALID_ARGUMENT',
          'The deploy percentage must be larger than the existing target percentage.',
        );
      }
      current.deployPercentage = pct;
      if (pct === 100) {
        item.channels = [current];
        item.lastFullVersion = current.crxVersion;
      }
      return Response.json({});
    },

    async cancelSubmission(item) {
      if (
        item.submitted === null ||
        (item.submitted.state !== 'PENDING_REVIEW' && item.submitted.state !== 'STAGED')
      ) {
        return googleError(400, 'FAILED_PRECONDITION', 'The item has no active submission.');
      }
      item.submitted.state = 'CANCELLED';
      return Response.json({});
    },

    async rollback(item, req, call) {
      const body = await readJson(req);
      call.body = body;
      if (!item.rollbackSupported) return googleError(404, 'NOT_FOUND', 'Method not found.');
      if (body === null || typeof body.newVersion !== 'string' || !isVersion(body.newVersion)) {
        return googleError(400, 'INVALID_ARGUMENT', 'newVersion must be a valid version.');
      }
      const top = highestPublished(item);
      if (top !== null && compareVersions(body.newVersion, top) <= 0) {
        return googleError(
          400,
          'INVALID_ARGUMENT',
          'newVersion must be higher than the current version.',
        );
      }
      const target =
        typeof body.targetCrxVersion === 'string' ? body.targetCrxVersion : item.lastFullVersion;
      if (target === null || !item.history.includes(target)) {
        return googleError(
          400,
          'INVALID_ARGUMENT',
          'targetCrxVersion is not a previously published version.',
        );
      }
      if (body.validateOnly === true) return Response.json({});
      item.rollbacks.push({
        targetCrxVersion: target,
        newVersion: body.newVersion,
        rollbackReason: typeof body.rollbackReason === 'string' ? body.rollbackReason : '',
      });
      // Live "within a minute" to all users; partial rollouts and pending submissions are gone.
      item.history.push(body.newVersion);
      item.channels = [{ crxVersion: body.newVersion, deployPercentage: 100 }];
      item.lastFullVersion = body.newVersion;
      item.submitted = null;
      item.draft = null;
      return Response.json({});
    },
  };

  const PATH = /^\/(upload\/)?v2\/publishers\/([^/]+)\/items\/([^/:]+):([A-Za-z]+)$/;

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (`${url.origin}${url.pathname}` === tokenUrl && req.method === 'POST') {
      const call: EmulatorCall = { method: 'token', status: 0 };
      calls.push(call);
      const res = (await stalled('token', req, () => handleToken(req))) ?? (await handleToken(req));
      call.status = res.status;
      return res;
    }
    if (url.origin !== new URL(baseUrl).origin)
      return new Response('unknown host', { status: 502 });
    const m = PATH.exec(url.pathname);
    const [, upload, publisherId = '', itemId = '', method = ''] = m ?? [];
    const handler = methods[method];
    const isUpload = upload !== undefined;
    if (m === null || handler === undefined || (method === 'upload') !== isUpload) {
      return googleError(404, 'NOT_FOUND', 'Method not found.');
    }
    const call: EmulatorCall = { method, itemId: decodeURIComponent(itemId), status: 0 };
    calls.push(call);
    const expected = method === 'fetchStatus' ? 'GET' : 'POST';
    const respond = (res: Response) => {
      call.status = res.status;
      return res;
    };
    if (req.method !== expected) return respond(googleError(404, 'NOT_FOUND', 'Method not found.'));
    if (!authorised(req)) {
      return respond(
        googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
      );
    }
    const fault = faults.find((f) => f.method === method && f.times > 0);
    if (fault !== undefined) {
      fault.times--;
      return respond(Response.json(fault.body, { status: fault.status }));
    }
    const item = items.get(call.itemId ?? '');
    if (item === undefined || item.publisherId !== decodeURIComponent(publisherId)) {
      return respond(googleError(404, 'NOT_FOUND', 'Requested entity was not found.'));
    }
    const late = await stalled(method, req, () => handler(item, req, call));
    return respond(late ?? (await handler(item, req, call)));
  }

  return {
    baseUrl,
    tokenUrl,
    fetch: handle,
    calls,
    /** Store mutations that succeeded, in order. */
    mutations: () => calls.filter((c) => MUTATIONS.has(c.method) && c.status === 200),
    tokenRequests: () => calls.filter((c) => c.method === 'token').length,
    addItem(init: {
      publisherId: string;
      itemId: string;
      users7d?: number;
      reviewMode?: 'instant' | 'manual';
      rollbackSupported?: boolean;
      /** The version live at 100% before the test starts. */
      published?: string;
    }): EmulatedItem {
      const item: EmulatedItem = {
        publisherId: init.publisherId,
        itemId: init.itemId,
        users7d: init.users7d ?? 50_000,
        reviewMode: init.reviewMode ?? 'instant',
        rollbackSupported: init.rollbackSupported ?? true,
        channels:
          init.published === undefined
            ? []
            : [{ crxVersion: init.published, deployPercentage: 100 }],
        history: init.published === undefined ? [] : [init.published],
        lastFullVersion: init.published ?? null,
        submitted: null,
        draft: null,
        takenDown: false,
        warned: false,
        rollbacks: [],
      };
      items.set(init.itemId, item);
      return item;
    },
    item(itemId: string): EmulatedItem {
      const item = items.get(itemId);
      if (item === undefined) throw new Error(`no emulated item ${itemId}`);
      return item;
    },
    addOAuthClient(clientId: string, clientSecret: string, refreshToken: string) {
      clients.set(clientId, {
        secret: clientSecret,
        refreshTokens: new Set([refreshToken]),
        deleted: false,
      });
    },
    revokeRefreshToken(clientId: string, refreshToken: string) {
      clients.get(clientId)?.refreshTokens.delete(refreshToken);
      for (const [token] of tokens) tokens.set(token, 0);
    },
    deleteOAuthClient(clientId: string) {
      const client = clients.get(clientId);
      if (client !== undefined) client.deleted = true;
      for (const [token] of tokens) tokens.set(token, 0);
    },
    addServiceAccount(email: string, publicKey: CryptoKey) {
      serviceAccounts.set(email, publicKey);
    },
    /**
     * The next `times` calls of `method` (or `token`) never answer: only the client's own
     * deadline ends them. With `afterHandling`, the store acts on the call first, so the client
     * times out on a change that did happen. `arrived` resolves when the first such call comes.
     */
    hangNext(method: string, options: { times?: number; afterHandling?: boolean } = {}) {
      let arrived = () => {};
      const seen = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      stalls.push({
        method,
        times: options.times ?? 1,
        afterHandling: options.afterHandling ?? false,
        release: null,
        arrived,
      });
      return { arrived: seen };
    },
    /**
     * The next call of `method` is acted on at once but answered only after `release()`: a late
     * answer, as from a store that applied the change and then stalled on the way back.
     */
    answerLate(method: string) {
      let arrived = () => {};
      let release = () => {};
      const seen = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      stalls.push({ method, times: 1, afterHandling: true, release: released, arrived });
      return { arrived: seen, release };
    },
    /** Makes the next `times` calls of `method` answer with this status and body. */
    failNext(method: string, status: number, body: unknown, times = 1) {
      faults.push({ method, status, body, times });
    },
    /** Review outcome of a pending submission. */
    review(itemId: string, outcome: 'approve' | 'reject') {
      const item = this.item(itemId);
      const sub = item.submitted;
      if (sub?.state !== 'PENDING_REVIEW') throw new Error('nothing in review');
      if (outcome === 'reject') sub.state = 'REJECTED';
      else if (sub.staged) sub.state = 'STAGED';
      else publishNow(item, sub.crxVersion, sub.deployPercentage);
    },
    /** A change made by hand in the developer dashboard, outside Homeostat. */
    publishByHand(itemId: string, crxVersion: string, deployPercentage: number) {
      publishNow(this.item(itemId), crxVersion, deployPercentage);
    },
  };
}

export type StoreEmulator = ReturnType<typeof createStoreEmulator>;
