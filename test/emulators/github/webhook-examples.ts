import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { WebhookExample } from './openapi-index.schema.ts';

/**
 * Every api.github.com example payload of `@octokit/webhooks-examples` (real deliveries the
 * Octokit team collected), flattened to `{ event, payload }` on the Node side of the test run.
 */
export async function loadWebhookExamples(): Promise<WebhookExample[]> {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/webhooks-examples/api.github.com/index.json');
  const definitions = JSON.parse(await readFile(file, 'utf8')) as {
    name: string;
    examples: unknown[];
  }[];
  return definitions.flatMap((d) => d.examples.map((payload) => ({ event: d.name, payload })));
}
