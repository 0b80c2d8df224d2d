import { OUTBOUND_TIMEOUT_MS } from '@homeostat/shared';
import type { z } from 'zod';
import { CanaryError } from '../canary-error.ts';
import {
  EmptyResponseSchema,
  type FetchItemStatusResponse,
  FetchItemStatusResponseSchema,
  type PublishItemRequest,
  type PublishItemResponse,
  PublishItemResponseSchema,
  type RollbackRequest,
  type UploadItemPackageResponse,
  UploadItemPackageResponseSchema,
} from './cws.schema.ts';
import type { AccessTokenSource, FetchFn } from './cws-auth.ts';
import { classifyStoreFailure } from './cws-errors.ts';

/**
 * A small typed client for the Chrome Web Store API v2 (research/canary.md §1.3): the six calls
 * Homeostat needs, every response validated with zod, every failure a typed `CanaryError`.
 * Production and tests differ only by `baseUrl` and the injected `fetch`.
 */
export interface CwsClientOptions {
  baseUrl: string;
  publisherId: string;
  itemId: string;
  auth: AccessTokenSource;
  fetch: FetchFn;
  /** Per-call deadline; defaults in OUTBOUND_TIMEOUT_MS (`store`, `storeUpload` for uploads). */
  timeoutMs?: number;
  uploadTimeoutMs?: number;
}

export interface CwsClient {
  readonly itemName: string;
  fetchStatus(): Promise<FetchItemStatusResponse>;
  publish(request: PublishItemRequest): Promise<PublishItemResponse>;
  setPublishedDeployPercentage(deployPercentage: number): Promise<void>;
  cancelSubmission(): Promise<void>;
  rollback(request: RollbackRequest): Promise<void>;
  upload(zip: Uint8Array<ArrayBuffer>): Promise<UploadItemPackageResponse>;
}

export function createCwsClient(options: CwsClientOptions): CwsClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const itemName = `publishers/${encodeURIComponent(options.publisherId)}/items/${encodeURIComponent(options.itemId)}`;

  async function call<S extends z.ZodType>(
    what: string,
    path: string,
    init: {
      method: 'GET' | 'POST';
      body?: BodyInit;
      contentType?: string;
      headers?: Record<string, string>;
      timeoutMs: number;
    },
    schema: S,
  ): Promise<z.output<S>> {
    // One retry with a fresh token: a 401 may only mean the cached token was revoked early.
    for (let attempt = 0; ; attempt++) {
      const token = await options.auth.token();
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...init.headers };
      if (init.contentType !== undefined) headers['content-type'] = init.contentType;
      // A fresh deadline per try, covering the answer's body too: a hung store is a transient
      // failure the next tick retries, never a tick that hangs until the runtime kills it.
      const signal = AbortSignal.timeout(init.timeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await options.fetch(
          new Request(`${base}${path}`, {
            method: init.method,
            headers,
            signal,
            ...(init.body === undefined ? {} : { body: init.body }),
          }),
        );
        text = await res.text();
      } catch (err) {
        throw new CanaryError(
          'store_transient',
          signal.aborted
            ? `${what}: no answer from the store within ${init.timeoutMs} ms`
            : `${what}: store unreachable`,
          { cause: err },
        );
      }
      if (res.status === 401 && attempt === 0) {
        options.auth.invalidate();
        continue;
      }
      if (!res.ok) throw classifyStoreFailure(res.status, text, what);
      let json: unknown;
      try {
        json = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        json = undefined;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new CanaryError('store_invalid_response', `${what}: unexpected response shape`, {
          upstreamStatus: res.status,
          internal: text.slice(0, 2_000),
        });
      }
      return parsed.data;
    }
  }

  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS.store;
  const json = (body: unknown) => ({
    method: 'POST' as const,
    body: JSON.stringify(body),
    contentType: 'application/json',
    timeoutMs,
  });

  return {
    itemName,
    fetchStatus: () =>
      call(
        'fetchStatus',
        `/v2/${itemName}:fetchStatus`,
        { method: 'GET', timeoutMs },
        FetchItemStatusResponseSchema,
      ),
    publish: (request) =>
      call('publish', `/v2/${itemName}:publish`, json(request), PublishItemResponseSchema),
    async setPublishedDeployPercentage(deployPercentage) {
      if (!Number.isInteger(deployPercentage) || deployPercentage < 0 || deployPercentage > 100) {
        throw new CanaryError('store_rejected', 'deploy percentage must be an integer 0-100');
      }
      await call(
        'setPublishedDeployPercentage',
        `/v2/${itemName}:setPublishedDeployPercentage`,
        json({ deployPercentage }),
        EmptyResponseSchema,
      );
    },
    async cancelSubmission() {
      await call(
        'cancelSubmission',
        `/v2/${itemName}:cancelSubmission`,
        json({}),
        EmptyResponseSchema,
      );
    },
    async rollback(request) {
      await call('rollback', `/v2/${itemName}:rollback`, json(request), EmptyResponseSchema);
    },
    upload: (zip) =>
      call(
        'upload',
        `/upload/v2/${itemName}:upload`,
        {
          method: 'POST',
          body: zip,
          contentType: 'application/zip',
          // As chrome-webstore-upload@6.0.1 sends them (§1.3).
          headers: { 'x-goog-upload-protocol': 'raw', 'x-goog-upload-file-name': 'extension.zip' },
          timeoutMs: options.uploadTimeoutMs ?? OUTBOUND_TIMEOUT_MS.storeUpload,
        },
        UploadItemPackageResponseSchema,
      ),
  };
}
