import {
  compareVersions,
  type ExtensionConfig,
  type HomeostatConfig,
  isSecureEndpoint,
  OUTBOUND_TIMEOUT_MS,
} from '@homeostat/shared';
import { z } from 'zod';
import { CanaryError } from '../canary-error.ts';
import type { PublishItemResponse } from '../cws/cws.schema.ts';
import type { AccessTokenSource, FetchFn } from '../cws/cws-auth.ts';
import { type CwsClient, createCwsClient } from '../cws/cws-client.ts';
import { readStoreView } from '../cws/store-view.ts';
import { readPackageManifest } from '../cws/zip-manifest.ts';

/**
 * The release CLI's work, for CI pipelines (issue 6 item 6; it replaces the seeds'
 * chrome-store-deploy.py): upload the package, publish it at the first configured stage, and
 * register the rollout with canary-monitor, which then judges and promotes it. It uses the same
 * store client as the Worker and web APIs only; `scripts/release.ts` supplies files, environment
 * and `fetch`.
 */
export interface ReleaseInput {
  config: HomeostatConfig;
  /** Configured extension name or id; may be omitted when only one extension is configured. */
  extension?: string | undefined;
  zip: Uint8Array<ArrayBuffer>;
  auth: AccessTokenSource;
  /** canary-monitor's base URL and ADMIN_TOKEN; without them the rollout is not registered. */
  canary?: { url: string; adminToken: string } | undefined;
  /** Initial deploy percentage; defaults to the first configured stage. */
  percentage?: number | undefined;
  staged?: boolean;
  skipReview?: boolean;
  /** Check everything, upload and publish nothing. */
  dryRun?: boolean;
}

export interface ReleaseDeps {
  fetch: FetchFn;
  log(line: string): void;
  /** Waits between polls of an asynchronous upload. */
  sleep(ms: number): Promise<void>;
  /** Deadline of the registration request; default OUTBOUND_TIMEOUT_MS.adminApi. */
  registrationTimeoutMs?: number;
}

export interface ReleaseResult {
  extensionId: string;
  version: string;
  baselineVersion: string | null;
  publishState: string | null;
  deployPercentage: number;
  rolloutId: number | null;
  dryRun: boolean;
}

const UPLOAD_POLLS = 30;
const UPLOAD_POLL_MS = 2_000;

function pickExtension(config: HomeostatConfig, wanted: string | undefined): ExtensionConfig {
  if (wanted === undefined) {
    if (config.extensions.length === 1 && config.extensions[0] !== undefined)
      return config.extensions[0];
    throw new CanaryError(
      'release_invalid',
      'several extensions are configured: choose one with --extension',
    );
  }
  const found = config.extensions.find((e) => e.name === wanted || e.id === wanted);
  if (found === undefined)
    throw new CanaryError('release_invalid', `no configured extension is named ${wanted}`);
  return found;
}

async function waitForUpload(client: CwsClient, deps: ReleaseDeps): Promise<void> {
  // crxVersion is unset while IN_PROGRESS; fetchStatus.lastAsyncUploadState tells when done (§1.3).
  for (let i = 0; i < UPLOAD_POLLS; i++) {
    await deps.sleep(UPLOAD_POLL_MS);
    const state = (await client.fetchStatus()).lastAsyncUploadState;
    if (state === 'SUCCEEDED') return;
    if (state === 'FAILED' || state === 'NOT_FOUND')
      throw new CanaryError('release_blocked', `the store reports the upload ${state}`);
  }
  throw new CanaryError('release_blocked', 'the upload is still in progress; try publishing later');
}

const RegisteredSchema = z.object({
  rollout: z.object({ id: z.int(), state: z.string(), mode: z.string() }),
});

export async function runRelease(input: ReleaseInput, deps: ReleaseDeps): Promise<ReleaseResult> {
  const extension = pickExtension(input.config, input.extension);
  if (extension.store === undefined) {
    throw new CanaryError(
      'release_invalid',
      `extension ${extension.name} has no "store" section (publisherId) in the config`,
    );
  }
  // The admin token travels with the registration: only over TLS, or to a loopback host.
  if (input.canary !== undefined && !isSecureEndpoint(input.canary.url)) {
    throw new CanaryError(
      'release_invalid',
      'the canary-monitor URL must be https: (http: only for localhost, 127.0.0.0/8 or [::1])',
    );
  }
  const percentage = input.percentage ?? input.config.canary.stages[0] ?? 100;
  if (!Number.isInteger(percentage) || percentage < 1 || percentage > 100) {
    throw new CanaryError('release_invalid', 'the deploy percentage must be an integer 1-100');
  }
  let manifestVersion: string;
  try {
    manifestVersion = (await readPackageManifest(input.zip)).version;
  } catch (err) {
    throw new CanaryError(
      'package_invalid',
      `cannot read the package: ${err instanceof Error ? err.message : 'unknown error'}`,
    );
  }
  const client = createCwsClient({
    baseUrl: input.config.canary.storeApiBaseUrl,
    publisherId: extension.store.publisherId,
    itemId: extension.store.itemId ?? extension.id,
    auth: input.auth,
    fetch: deps.fetch,
  });

  const view = readStoreView(await client.fetchStatus(), manifestVersion);
  const live = view.channels[0]?.crxVersion ?? null;
  if (live !== null && compareVersions(manifestVersion, live) <= 0) {
    throw new CanaryError(
      'release_invalid',
      `version ${manifestVersion} is not above the published ${live}: bump manifest.json`,
    );
  }
  if (view.submitted?.state === 'PENDING_REVIEW') {
    throw new CanaryError(
      'release_blocked',
      'a submission is already in review; cancel it in the dashboard or wait',
    );
  }
  const baseline = view.channels.find((c) => c.deployPercentage === 100)?.crxVersion ?? live;
  deps.log(
    `${extension.name} ${manifestVersion}: store has ${live ?? 'nothing published'}; baseline ${baseline ?? 'none'}`,
  );
  const result: ReleaseResult = {
    extensionId: extension.id,
    version: manifestVersion,
    baselineVersion: baseline,
    publishState: null,
    deployPercentage: percentage,
    rolloutId: null,
    dryRun: input.dryRun === true,
  };
  if (input.dryRun === true) {
    deps.log('dry run: nothing uploaded, published or registered');
    return result;
  }

  const uploaded = await client.upload(input.zip);
  if (uploaded.uploadState === 'IN_PROGRESS') await waitForUpload(client, deps);
  else if (uploaded.uploadState !== 'SUCCEEDED')
    throw new CanaryError('release_blocked', `upload ${uploaded.uploadState}`);
  if (uploaded.crxVersion !== undefined && uploaded.crxVersion !== manifestVersion) {
    throw new CanaryError(
      'release_blocked',
      `the store read version ${uploaded.crxVersion}, the package says ${manifestVersion}`,
    );
  }
  deps.log(`uploaded ${manifestVersion}`);

  let published: PublishItemResponse;
  try {
    published = await client.publish({
      publishType: input.staged === true ? 'STAGED_PUBLISH' : 'DEFAULT_PUBLISH',
      deployInfos: [{ deployPercentage: percentage }],
      ...(input.skipReview === true ? { skipReview: true } : {}),
    });
  } catch (err) {
    if (err instanceof CanaryError && err.code === 'store_not_eligible') {
      throw new CanaryError(
        'release_blocked',
        'the item has fewer than 10,000 seven-day users, so the store allows no partial rollout: ' +
          'publish with --percentage 100 (canary-monitor then watches it and can roll it back)',
      );
    }
    throw err;
  }
  result.publishState = published.state;
  for (const w of published.warningInfo?.warnings ?? [])
    deps.log(`store warning: ${w.reason ?? ''} ${w.description ?? ''}`);
  deps.log(`published at ${percentage}%: ${published.state}`);

  if (input.canary === undefined) {
    deps.log('no canary-monitor URL and admin token: the rollout was not registered');
    return result;
  }
  const timeoutMs = deps.registrationTimeoutMs ?? OUTBOUND_TIMEOUT_MS.adminApi;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await deps.fetch(
      new Request(`${input.canary.url.replace(/\/+$/, '')}/api/rollouts`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${input.canary.adminToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          extensionId: extension.id,
          version: manifestVersion,
          ...(baseline === null ? {} : { baselineVersion: baseline }),
        }),
        signal,
      }),
    );
    text = await res.text();
  } catch {
    // Published, but whether canary-monitor kept the registration is unknown: say so.
    throw new CanaryError(
      'registration_failed',
      `${manifestVersion} is published, but canary-monitor ${
        signal.aborted ? `did not answer within ${timeoutMs} ms` : 'could not be reached'
      }: check GET /api/rollouts and register again if it is missing`,
    );
  }
  if (!res.ok)
    throw new CanaryError(
      'registration_failed',
      `canary-monitor refused the registration (HTTP ${res.status}): ${text.slice(0, 300)}`,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const registered = RegisteredSchema.safeParse(json);
  if (!registered.success)
    throw new CanaryError(
      'registration_failed',
      'canary-monitor answered an unexpected registration',
    );
  result.rolloutId = registered.data.rollout.id;
  deps.log(`registered rollout #${registered.data.rollout.id} (${registered.data.rollout.mode})`);
  return result;
}
