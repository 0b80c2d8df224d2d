import { type HomeostatConfig, hasSecret } from '@homeostat/shared';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { TriageError } from '../errors.ts';
import { createFixWebhookHooks } from '../fix/ci/fix-webhook-hooks.ts';
import { githubCredentials } from '../github/github-credentials.ts';
import {
  createGitHubClient,
  createGitHubGateway,
  type RuntimeDeps,
} from '../github/github-factory.ts';
import { claimDelivery, finishDelivery } from './delivery-store.ts';
import {
  githubSenderPermissions,
  type SenderPermissions,
  unverifiablePermissions,
} from './sender-permission.ts';
import { AnyEventSchema } from './webhook.schema.ts';
import { handleWebhookEvent } from './webhook-handlers.ts';
import { verifyGitHubSignature } from './webhook-signature.ts';

/**
 * `POST /github/webhook` (docs/api.md#post-githubwebhook; issue 5, item 5).
 * Order matters: the body size is capped before it is read, the HMAC is verified over the raw
 * bytes before anything is parsed, the delivery id is claimed before anything is done, and
 * every event triage does not use is answered 2xx so GitHub does not mark it failed.
 */

/** GitHub caps payloads at 25 MB; the events triage uses are a few KB, so 1 MiB is ample. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
const EVENT_NAME = /^[a-z0-9_]{1,64}$/; // e.g. projects_v2_item
const DELIVERY_ID = /^[A-Za-z0-9-]{1,128}$/;

export function registerGitHubWebhook(
  app: Hono<{ Bindings: Env }>,
  config: HomeostatConfig,
  deps: RuntimeDeps,
): void {
  const now = deps.now ?? Date.now;
  // One per app (per isolate in production), so its short cache spans deliveries.
  let permissionsByToken: SenderPermissions | undefined;
  app.post(
    '/github/webhook',
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: () => {
        throw new TriageError('payload_too_large', 'the webhook payload is too large');
      },
    }),
    async (c) => {
      const secret = c.env.GITHUB_WEBHOOK_SECRET;
      if (!hasSecret(secret)) {
        throw new TriageError(
          'webhooks_disabled',
          'webhooks are disabled: no webhook secret is set',
        );
      }
      const raw = await c.req.arrayBuffer();
      if (!(await verifyGitHubSignature(secret, raw, c.req.header('x-hub-signature-256')))) {
        throw new TriageError(
          'webhook_signature_invalid',
          'the webhook signature is missing or wrong',
        );
      }
      const event = c.req.header('x-github-event') ?? '';
      const deliveryId = c.req.header('x-github-delivery') ?? '';
      if (!EVENT_NAME.test(event) || !DELIVERY_ID.test(deliveryId)) {
        throw new TriageError(
          'invalid_request',
          'X-GitHub-Event and X-GitHub-Delivery are required',
          {
            issues: [
              ...(EVENT_NAME.test(event)
                ? []
                : [{ path: 'header.x-github-event', code: 'invalid' }]),
              ...(DELIVERY_ID.test(deliveryId)
                ? []
                : [{ path: 'header.x-github-delivery', code: 'invalid' }]),
            ],
          },
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(new TextDecoder().decode(raw));
      } catch {
        throw new TriageError('invalid_request', 'the webhook body is not JSON');
      }
      const head = AnyEventSchema.safeParse(payload);
      const slug = head.success ? head.data.repository?.full_name : undefined;
      const claimed = await claimDelivery(
        c.env.DB,
        {
          id: deliveryId,
          event,
          action: head.success ? (head.data.action ?? null) : null,
          repo: slug?.toLowerCase() ?? null,
        },
        now(),
      );
      if (!claimed) return c.json({ status: 'duplicate' });
      if (event === 'ping') {
        await finishDelivery(c.env.DB, deliveryId, 'processed', 'pong');
        return c.json({ status: 'pong' });
      }
      const repo = config.repositories.find((r) => r.slug.toLowerCase() === slug?.toLowerCase());
      if (repo === undefined) {
        await finishDelivery(c.env.DB, deliveryId, 'ignored', 'repository not configured');
        return c.json({ status: 'ignored' });
      }
      try {
        const github = createGitHubGateway(c.env, config, deps);
        let permissions = unverifiablePermissions;
        const credentials = githubCredentials(c.env, config, deps);
        if (credentials !== null) {
          permissionsByToken ??= githubSenderPermissions(
            createGitHubClient(config, credentials, deps),
            now,
          );
          permissions = permissionsByToken;
        }
        const result = await handleWebhookEvent(
          {
            db: c.env.DB,
            github,
            repo,
            now,
            queue: c.env.TRIAGE_QUEUE,
            fix: createFixWebhookHooks(c.env, config, deps, github, null),
            permissions,
          },
          event,
          deliveryId,
          payload,
        );
        await finishDelivery(c.env.DB, deliveryId, result.outcome, result.detail);
        return c.json({ status: result.outcome });
      } catch (err) {
        // Failed deliveries may be redelivered (GitHub's "Redeliver") and processed again.
        await finishDelivery(
          c.env.DB,
          deliveryId,
          'failed',
          err instanceof TriageError ? err.code : 'error',
        );
        throw err;
      }
    },
  );
}
