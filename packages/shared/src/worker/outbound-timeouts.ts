/**
 * How long Homeostat waits for each outside service before it gives up on one request (issue 11,
 * item 4: no outgoing call had a timeout, so one hung connection held a cron tick or a queue
 * invocation until the runtime killed it). Each call gets a fresh `AbortSignal.timeout(ms)`; a
 * timeout is a transient failure in the caller's own error type, retried like a 5xx. Model
 * providers are configured per provider instead (`models.providers[].timeoutMs`).
 */
export const OUTBOUND_TIMEOUT_MS = {
  /**
   * GitHub ends a REST request that takes more than 10 s server-side ("Timeouts", GitHub REST
   * API best practices), so anything slower than that plus transfer time will not answer.
   */
  github: 15_000,
  /** Chrome Web Store API calls other than uploads: small JSON bodies. */
  store: 30_000,
  /** A package upload: up to a few MB of zip on the way out. */
  storeUpload: 120_000,
  /** Google's OAuth token endpoint. */
  oauthToken: 10_000,
  /** A Slack incoming webhook. */
  slack: 10_000,
  /**
   * canary-monitor's RPC to triage for a release comment: triage's own GitHub calls (15 s a try,
   * a few tries) sit inside it. The RPC cannot be cancelled, only stopped waiting for; triage
   * dedupes a retried comment by content, so giving up and retrying later is safe.
   */
  triageRpc: 90_000,
  /**
   * The release CLI calling Homeostat's own admin APIs: the rollout registration on
   * canary-monitor, the release and source-map uploads on triage (a map can be a few MB).
   */
  adminApi: 60_000,
} as const;

export type OutboundService = keyof typeof OUTBOUND_TIMEOUT_MS;
