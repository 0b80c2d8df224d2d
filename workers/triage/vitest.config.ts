import { buildGitHubOpenApiIndex } from '../../test/emulators/github/openapi-index.ts';
import { loadWebhookExamples } from '../../test/emulators/github/webhook-examples.ts';
import { buildSourceMapFixture } from '../../test/fixtures/sourcemaps/build-fixture.ts';
import { workerProject } from '../../test/support/worker-project.ts';

// GitHub's OpenAPI description is ~13 MB: it is read here, on the Node side, and only a compact
// index (~250 KB) crosses into workerd, where every GitHub exchange of the tests is validated
// against it (test/emulators/github/openapi-validator.ts). Webhook examples travel the same way.
export default workerProject(
  'triage',
  // Lets a test send on the real local queue that triage consumes (ingest is its producer).
  { queueProducers: { TEST_TRIAGE_QUEUE: { queueName: 'homeostat-triage' } } },
  {
    githubOpenApi: await buildGitHubOpenApiIndex(),
    webhookExamples: await loadWebhookExamples(),
    // A real minified build and its maps (esbuild runs on the Node side only).
    sourceMapFixture: await buildSourceMapFixture(),
  },
);
