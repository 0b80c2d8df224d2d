import { githubAppTestKeys } from '../../test/emulators/github/app-keys.ts';
import { buildGitHubOpenApiIndex } from '../../test/emulators/github/openapi-index.ts';
import { loadWebhookExamples } from '../../test/emulators/github/webhook-examples.ts';
import { buildSourceMapFixture } from '../../test/fixtures/sourcemaps/build-fixture.ts';
import { workerProject } from '../../test/support/worker-project.ts';

// GitHub's OpenAPI description is ~13 MB: it is read here, on the Node side, and only a compact
// index (~250 KB) crosses into workerd, where every GitHub exchange of the tests is validated
// against it (test/emulators/github/openapi-validator.ts). Webhook examples travel the same way.
/**
 * workerd refuses to start a service binding whose service does not exist, and triage's tests run
 * without the ingest Worker: this stands in for its `IngestRpc` entrypoint (issue 13, item 2),
 * answering like ingest's dedupe (an event id seen before is a `duplicate`) and keeping what it
 * was sent for the importer's tests (`sent()`) and the resolutions pushed to it
 * (`resolutionsPushed()`, issue 14 item 3). Ingest's own tests cover the real entrypoint.
 */
const ingestStandIn = {
  name: 'homeostat-ingest',
  modules: true,
  compatibilityDate: '2026-11-01',
  script: `import { WorkerEntrypoint } from 'cloudflare:workers';
const seen = new Set();
const batches = [];
const resolutions = [];
export default { fetch() { return new Response(null, { status: 404 }); } };
export class IngestRpc extends WorkerEntrypoint {
  async ingestImported(batch) {
    batches.push(batch);
    return {
      status: 'ok',
      retryAfterSeconds: 0,
      results: batch.events.map(({ event }) => {
        const status = seen.has(event.eventId) ? 'duplicate' : 'new';
        seen.add(event.eventId);
        return { eventId: event.eventId, status, fingerprint: null };
      }),
    };
  }
  async sent() { return batches; }
  async resolutionChanged(key) {
    resolutions.push(key);
    return { status: 'ok' };
  }
  async resolutionsPushed() { return resolutions; }
}`,
};

export default workerProject(
  'triage',
  // Lets a test send on the real local queue that triage consumes (ingest is its producer).
  {
    queueProducers: { TEST_TRIAGE_QUEUE: { queueName: 'homeostat-triage' } },
    workers: [ingestStandIn],
  },
  {
    githubOpenApi: await buildGitHubOpenApiIndex(),
    webhookExamples: await loadWebhookExamples(),
    githubAppKeys: githubAppTestKeys(),
    // A real minified build and its maps (esbuild runs on the Node side only).
    sourceMapFixture: await buildSourceMapFixture(),
  },
);
