import {
  createWorkerApp,
  type HomeostatConfig,
  healthResponse,
  INGEST_LIMITS,
  parseHomeostatEnv,
} from '@homeostat/shared';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { benchReset, benchSnapshot } from './bench-env.ts';
import { handleEvents } from './events.route.ts';
import { IngestError } from './ingest-error.ts';
import { authenticate, indexIngestKeys } from './ingest-key.ts';
import { registerSentryRoutes } from './sentry/sentry.route.ts';
import { handleSessions } from './sessions.route.ts';
import { handleTestFailures } from './test-failures/test-failures.route.ts';

/** Extension pages and service workers send CORS requests from their own origin. */
const EXTENSION_ORIGIN =
  /^(chrome-extension|moz-extension|safari-web-extension):\/\/[A-Za-z0-9.@{}-]+$/;

/**
 * The public ingest Worker's HTTP app. It holds no credentials at all, so it has a single mode.
 * The config is a parameter so tests can run the same app against other configurations.
 */
export function createIngestApp(config: HomeostatConfig) {
  const keys = indexIngestKeys(config);
  const app = createWorkerApp<Env>();
  app.get('/healthz', (c) =>
    healthResponse({
      name: 'ingest',
      mode: 'live',
      homeostatEnv: parseHomeostatEnv(c.env.HOMEOSTAT_ENV),
      capabilities: {},
      db: c.env.DB,
    }),
  );
  app.use(
    '/v1/*',
    cors({
      origin: (origin) => (EXTENSION_ORIGIN.test(origin) ? origin : null),
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['content-type', 'x-homeostat-key'],
      exposeHeaders: ['retry-after'],
      maxAge: 86_400,
    }),
  );
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: INGEST_LIMITS.maxBodyBytes,
      onError: () => {
        throw new IngestError(
          'payload_too_large',
          `body exceeds ${INGEST_LIMITS.maxBodyBytes} bytes`,
        );
      },
    }),
  );
  app.on(['GET', 'DELETE'], '/__bench/metrics', (c) => {
    if (c.env.BENCH_METRICS !== '1') return c.notFound();
    if (c.req.method === 'DELETE') benchReset();
    return c.json(benchSnapshot());
  });
  app.post('/v1/events', (c) => handleEvents(c, authenticate(c, keys)));
  app.post('/v1/sessions', (c) => handleSessions(c, authenticate(c, keys)));
  app.post('/v1/test-failures', (c) => handleTestFailures(c, authenticate(c, keys)));
  // Sentry's SDKs, pointed at ingest by their DSN (issue 13).
  registerSentryRoutes(app, keys);
  return app;
}
