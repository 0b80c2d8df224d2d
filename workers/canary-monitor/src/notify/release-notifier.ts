import {
  type HomeostatConfig,
  isSecureEndpoint,
  OUTBOUND_TIMEOUT_MS,
  RELEASE_COMMENT_LIMITS,
  ReleaseCommentInputSchema,
  ReleaseCommentResultSchema,
  releaseKey,
  type TriageRpcContract,
} from '@homeostat/shared';
import { CanaryError } from '../canary-error.ts';
import type { FetchFn } from '../cws/cws-auth.ts';

/**
 * Where release notifications go. Every notification is first written to the
 * `canary_notifications` outbox (outbox.ts); a notifier only delivers a row, and a failed delivery
 * is retried on a later tick.
 */
export interface ReleaseNotifier {
  /**
   * Resolves when delivered. A receipt of `recorded` means the receiver kept it without sending
   * it on (triage in dry-run mode); nothing (or `sent`) means sent.
   */
  post(input: {
    extensionId: string;
    version: string;
    title: string;
    body: string;
  }): Promise<DeliveryReceipt | undefined>;
}

export interface DeliveryReceipt {
  status: 'sent' | 'recorded';
}

function triageRpc(binding: unknown): TriageRpcContract | null {
  return binding !== null &&
    (typeof binding === 'object' || typeof binding === 'function') &&
    typeof (binding as { postReleaseComment?: unknown }).postReleaseComment === 'function'
    ? (binding as TriageRpcContract)
    : null;
}

/**
 * Posts through triage's RPC entrypoint, typed by the shared contract (`TriageRpcContract`).
 * Null when the binding is absent at run time: notifications are then recorded only. The call is
 * cut to the contract's bounds and checked against its schema before it leaves, so a call triage
 * would refuse fails here with a reason; the answer is checked after (RPC results are data).
 */
export function createTriageNotifier(
  binding: unknown,
  config: HomeostatConfig,
  options: { timeoutMs?: number } = {},
): ReleaseNotifier | null {
  const triage = triageRpc(binding);
  if (triage === null) return null;
  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS.triageRpc;
  return {
    async post(input) {
      const extension = config.extensions.find((e) => e.id === input.extensionId);
      if (extension === undefined)
        throw new CanaryError('notify_failed', 'extension not configured');
      const call = ReleaseCommentInputSchema.safeParse({
        repo: extension.repo,
        releaseKey: releaseKey(input.extensionId, input.version),
        title: input.title.slice(0, RELEASE_COMMENT_LIMITS.title),
        body: input.body.slice(0, RELEASE_COMMENT_LIMITS.body),
      });
      if (!call.success) {
        throw new CanaryError(
          'notify_failed',
          `the release comment does not fit the triage RPC contract (${call.error.issues
            .map((i) => i.path.join('.'))
            .join(', ')})`,
        );
      }
      const receipt = ReleaseCommentResultSchema.safeParse(
        await withDeadline(triage.postReleaseComment(call.data), timeoutMs),
      );
      if (!receipt.success)
        throw new CanaryError('notify_failed', 'triage answered an unexpected receipt');
      return { status: receipt.data.status };
    },
  };
}

/**
 * Stops waiting for an RPC answer after `ms` (issue 11, item 4): a service-binding call cannot be
 * aborted, so a late answer is dropped here and the outbox retries the delivery later (triage
 * dedupes the comment by content, and the outbox writes an outcome only under its own claim).
 */
function withDeadline<T>(answer: PromiseLike<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  return new Promise<T>((resolve, reject) => {
    const late = () =>
      reject(new CanaryError('notify_failed', `triage did not answer within ${ms} ms`));
    signal.addEventListener('abort', late, { once: true });
    Promise.resolve(answer).then(
      (value) => {
        signal.removeEventListener('abort', late);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', late);
        reject(err);
      },
    );
  });
}

/**
 * A Slack incoming webhook (`SLACK_WEBHOOK_URL`; its secret is the URL itself, so it goes only
 * over https:, or plain http: to a loopback host in local runs — issue 11, item 4).
 */
export function createSlackNotifier(
  webhookUrl: string,
  fetch: FetchFn,
  options: { timeoutMs?: number } = {},
): ReleaseNotifier {
  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS.slack;
  return {
    async post(input) {
      // Refused per delivery rather than at start-up: the outbox records the reason and the
      // other channels keep working while the secret is fixed.
      if (!isSecureEndpoint(webhookUrl)) {
        throw new CanaryError('notify_failed', 'SLACK_WEBHOOK_URL must be an https: URL');
      }
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const res = await fetch(
          new Request(webhookUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: `${input.title}\n${input.body}` }),
            signal,
          }),
        );
        // Drain the body so the connection is released; Slack answers "ok" or an error word.
        await res.arrayBuffer();
        if (!res.ok)
          throw new CanaryError('notify_failed', `slack webhook answered HTTP ${res.status}`);
      } catch (err) {
        if (err instanceof CanaryError) throw err;
        // Never the error's own text: it can quote the URL, which is the secret.
        throw new CanaryError(
          'notify_failed',
          signal.aborted
            ? `slack webhook did not answer within ${timeoutMs} ms`
            : 'slack webhook unreachable',
        );
      }
      return { status: 'sent' };
    },
  };
}
