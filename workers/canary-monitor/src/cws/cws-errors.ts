import { CanaryError, type CanaryErrorCode } from '../canary-error.ts';
import { GoogleErrorBodySchema, OAuthErrorBodySchema } from './cws.schema.ts';

/** Raw bodies are kept for the decision record, bounded so a large error page cannot bloat D1. */
const MAX_RAW = 2_000;

const OAUTH_REVOKED = new Set([
  'invalid_grant',
  'deleted_client',
  'invalid_client',
  'unauthorized_client',
]);

/**
 * Classifies a failed store or token response. The exact `status` strings per failure were not
 * observed in public material (research/canary.md §1.4), so the order is: HTTP code, then the
 * OAuth error or Google `status`, then the message text.
 */
export function classifyStoreFailure(status: number, text: string, what: string): CanaryError {
  const raw = text.slice(0, MAX_RAW);
  let message = '';
  let googleStatus = '';
  let oauthError = '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const google = GoogleErrorBodySchema.safeParse(json);
  if (google.success) {
    message = google.data.error.message ?? '';
    googleStatus = google.data.error.status ?? '';
  } else {
    const oauth = OAuthErrorBodySchema.safeParse(json);
    if (oauth.success) {
      oauthError = oauth.data.error;
      message = oauth.data.error_description ?? '';
    }
  }
  const make = (code: CanaryErrorCode, summary: string) =>
    new CanaryError(code, `${what}: ${summary} (HTTP ${status})`, {
      internal: raw,
      upstreamStatus: status,
    });

  if (status === 401 || OAUTH_REVOKED.has(oauthError)) {
    return make('store_auth_expired', 'store credentials expired or revoked');
  }
  if (status === 429 || status >= 500) return make('store_transient', 'store unavailable');
  if (/taken down/i.test(message)) return make('store_taken_down', 'item taken down');
  if (/10,?000|seven-day active users|not eligible/i.test(message)) {
    return make('store_not_eligible', 'item not eligible for a partial rollout');
  }
  if (
    (status === 400 || status === 409 || status === 412) &&
    /in review|pending review|ITEM_NOT_UPDATABLE/i.test(message)
  ) {
    return make('store_busy', 'item is in review');
  }
  if (status === 403) return make('store_forbidden', 'store refused access');
  if (status === 404 || googleStatus === 'NOT_FOUND') return make('store_not_found', 'not found');
  return make('store_rejected', 'store rejected the request');
}
