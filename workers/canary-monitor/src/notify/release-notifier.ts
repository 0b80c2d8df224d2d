import type { HomeostatConfig } from '@homeostat/shared';
import { z } from 'zod';
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

/**
 * The triage Worker's RPC entrypoint (service "homeostat-triage", entrypoint "TriageRpc"): it
 * owns the GitHub client and the dry-run outbox, and keeps one tracking issue per release key.
 */
export interface TriageRpc {
  postReleaseComment(input: {
    repo: string;
    releaseKey: string;
    title: string;
    body: string;
  }): Promise<unknown>;
}

const TriageReceiptSchema = z.object({
  status: z.enum(['sent', 'recorded']),
  issueNumber: z.int().optional(),
});

export class NotifierError extends Error {
  override readonly name = 'NotifierError';
}

/** One tracking issue per extension release. */
export const releaseKey = (extensionId: string, version: string) => `${extensionId}@${version}`;

function isTriageRpc(binding: unknown): binding is TriageRpc {
  return (
    binding !== null &&
    (typeof binding === 'object' || typeof binding === 'function') &&
    typeof (binding as { postReleaseComment?: unknown }).postReleaseComment === 'function'
  );
}

/** Null when the binding is absent at run time: notifications are then recorded only. */
export function createTriageNotifier(
  binding: unknown,
  config: HomeostatConfig,
): ReleaseNotifier | null {
  if (!isTriageRpc(binding)) return null;
  return {
    async post(input) {
      const extension = config.extensions.find((e) => e.id === input.extensionId);
      if (extension === undefined) throw new NotifierError('extension not configured');
      // Bounded to triage's input schema (title ≤ 300, body ≤ 20,000 characters).
      const receipt = TriageReceiptSchema.safeParse(
        await binding.postReleaseComment({
          repo: extension.repo,
          releaseKey: releaseKey(input.extensionId, input.version),
          title: input.title.slice(0, 300),
          body: input.body.slice(0, 20_000),
        }),
      );
      if (!receipt.success) throw new NotifierError('triage answered an unexpected receipt');
      return { status: receipt.data.status };
    },
  };
}

/** A Slack incoming webhook (`SLACK_WEBHOOK_URL`; its secret is the URL itself). */
export function createSlackNotifier(webhookUrl: string, fetch: FetchFn): ReleaseNotifier {
  return {
    async post(input) {
      const res = await fetch(
        new Request(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: `${input.title}\n${input.body}` }),
        }),
      );
      // Drain the body so the connection is released; Slack answers "ok" or an error word.
      await res.arrayBuffer();
      if (!res.ok) throw new NotifierError(`slack webhook answered HTTP ${res.status}`);
      return { status: 'sent' };
    },
  };
}
