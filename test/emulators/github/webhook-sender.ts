import type { EmulatorEvent, EmulatorEventListener } from './webhook-payloads.ts';

/**
 * Delivers the GitHub emulator's events to a webhook URL the way GitHub does (issue 10, item 7;
 * docs.github.com/webhooks, "Webhook events and payloads" and "Validating webhook deliveries"):
 * a JSON POST with `X-GitHub-Event`, `X-GitHub-Delivery` (a UUID), `X-Hub-Signature-256`
 * (`sha256=` + hex HMAC-SHA256 of the raw body under the secret) and the legacy SHA-1
 * `X-Hub-Signature`. Deliveries go out one at a time, in the order the changes happened; a
 * delivery that fails (network error, 5xx, 429) is retried a bounded number of times, and any
 * recorded delivery can be redelivered with its original id and body, as GitHub's "Redeliver"
 * button does. Web APIs only, so it runs in Node and in workerd alike.
 */

export type FetchLike = (request: Request) => Promise<Response>;

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  /** Default: the global fetch. A test may pass a Worker's fetch or `SELF.fetch`. */
  fetch?: FetchLike;
  /** Attempts per delivery, the first included; default 3. */
  maxAttempts?: number;
  /** Only these events are sent (a webhook subscribes to some events); default all. */
  events?: readonly string[];
  hookId?: number;
  newDeliveryId?: () => string;
}

export interface WebhookDelivery {
  id: string;
  event: string;
  action: string | null;
  /** The exact bytes signed and sent. */
  body: string;
  attempts: number;
  /** The last HTTP status received, or null when no answer came. */
  status: number | null;
  ok: boolean;
  error: string | null;
  redelivery: boolean;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function hmac(hash: 'SHA-256' | 'SHA-1', secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash },
    false,
    ['sign'],
  );
  return hex(await crypto.subtle.sign('HMAC', key, encoder.encode(body)));
}

/** The `X-Hub-Signature-256` value GitHub sends for `body`. */
export async function signWebhookBody(secret: string, body: string): Promise<string> {
  return `sha256=${await hmac('SHA-256', secret, body)}`;
}

function retryable(status: number): boolean {
  return status >= 500 || status === 429;
}

export class WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  readonly #options: WebhookSenderOptions;
  readonly #fetch: FetchLike;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: WebhookSenderOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((request) => fetch(request));
  }

  /** Sends every event `source` emits from now on; returns the unsubscribe function. */
  attach(source: { onEvent(listener: EmulatorEventListener): () => void }): () => void {
    return source.onEvent((event: EmulatorEvent) => {
      void this.send(event.name, event.payload);
    });
  }

  /** Queues one delivery; resolves when it is done (successfully or not, never rejects). */
  send(event: string, payload: unknown): Promise<WebhookDelivery> {
    const wanted = this.#options.events;
    const action =
      typeof payload === 'object' && payload !== null && 'action' in payload
        ? String((payload as { action: unknown }).action)
        : null;
    const delivery: WebhookDelivery = {
      id: this.#options.newDeliveryId?.() ?? crypto.randomUUID(),
      event,
      action,
      body: JSON.stringify(payload),
      attempts: 0,
      status: null,
      ok: false,
      error: null,
      redelivery: false,
    };
    if (wanted !== undefined && !wanted.includes(event)) {
      delivery.error = 'not subscribed';
      return Promise.resolve(delivery);
    }
    this.deliveries.push(delivery);
    return this.#enqueue(delivery);
  }

  /** Sends a recorded delivery again: the same id and body (a fresh record is kept for it). */
  redeliver(id: string): Promise<WebhookDelivery> {
    const original = this.deliveries.find((d) => d.id === id);
    if (original === undefined) throw new Error(`no delivery ${id}`);
    const again: WebhookDelivery = {
      ...original,
      attempts: 0,
      status: null,
      ok: false,
      error: null,
      redelivery: true,
    };
    this.deliveries.push(again);
    return this.#enqueue(again);
  }

  /** Resolves once every queued delivery, including ones queued meanwhile, is done. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.#chain;
      await seen;
    } while (seen !== this.#chain);
  }

  #enqueue(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    const done = this.#chain.then(() => this.#deliver(delivery));
    this.#chain = done;
    return done;
  }

  async #deliver(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    const { secret, url } = this.#options;
    const maxAttempts = Math.max(1, this.#options.maxAttempts ?? 3);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/emulator',
      'x-github-event': delivery.event,
      'x-github-delivery': delivery.id,
      'x-github-hook-id': String(this.#options.hookId ?? 1),
      'x-hub-signature': `sha1=${await hmac('SHA-1', secret, delivery.body)}`,
      'x-hub-signature-256': await signWebhookBody(secret, delivery.body),
    };
    while (delivery.attempts < maxAttempts) {
      delivery.attempts++;
      try {
        const response = await this.#fetch(
          new Request(url, { method: 'POST', headers, body: delivery.body }),
        );
        await response.arrayBuffer(); // drain, so the connection is free for the next one
        delivery.status = response.status;
        delivery.ok = response.status >= 200 && response.status < 300;
        delivery.error = delivery.ok ? null : `HTTP ${response.status}`;
        if (!retryable(response.status)) break;
      } catch (err) {
        delivery.status = null;
        delivery.ok = false;
        delivery.error = err instanceof Error ? err.message : String(err);
      }
    }
    return delivery;
  }
}
