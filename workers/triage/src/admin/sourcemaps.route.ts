import {
  bodyCap,
  type HomeostatConfig,
  parseOrThrow,
  RequestError,
  readJsonBody,
} from '@homeostat/shared';
import type { Context, Hono } from 'hono';
import { TriageError } from '../errors.ts';
import { resolveReleasedFixes } from '../fix/resolution/release-resolution.ts';
import { sha256Hex } from '../fix/sourcemap/sha256.ts';
import {
  MAX_SOURCE_MAP_BYTES,
  RegisterReleaseBodySchema,
  ReleaseParamsSchema,
  SourceMapQuerySchema,
} from '../fix/sourcemap/sourcemap.schema.ts';
import { parseSourceMap } from '../fix/sourcemap/sourcemap-parse.ts';
import { getRelease, registerRelease, storeSourceMap } from '../fix/sourcemap/sourcemap-store.ts';
import type { RuntimeDeps } from '../github/github-factory.ts';

/**
 * The release CLI's side of source maps (issue 9 item 2; issue 10 item 6), under `/admin/*` and
 * so behind the shared `adminAuth` (admin.route.ts registers that middleware first, app.ts):
 * - `PUT /admin/releases/:extensionId/:version` with `{commitSha?, buildDir}`: registers the
 *   release, the commit it was built from and where its build output lies in the repository;
 * - `PUT /admin/releases/:extensionId/:version/sourcemaps?file=/popup.js` with the map as the
 *   body: stores the map of that bundle.
 * Both are idempotent (201 when created, 200 otherwise). Bodies are capped before they are read;
 * refusals name paths and codes, never a value from the request.
 */

/** `{commitSha, buildDir}` is well under 1 KiB. */
const MAX_RELEASE_BODY_BYTES = 4 * 1024;

function releaseOf(c: Context, config: HomeostatConfig) {
  const params = parseOrThrow(
    ReleaseParamsSchema,
    c.req.param(),
    'invalid extension id or version',
  );
  if (!config.extensions.some((e) => e.id === params.extensionId)) {
    throw new TriageError('unknown_extension', 'the extension is not configured');
  }
  return params;
}

export function registerSourceMapRoutes(
  app: Hono<{ Bindings: Env }>,
  config: HomeostatConfig,
  deps: RuntimeDeps = {},
): void {
  const now = deps.now ?? Date.now;
  app.put('/admin/releases/:extensionId/:version', bodyCap(MAX_RELEASE_BODY_BYTES), async (c) => {
    const { extensionId, version } = releaseOf(c, config);
    const body = await readJsonBody(c, RegisterReleaseBodySchema);
    const { release, outcome } = await registerRelease(
      c.env.DB,
      { extensionId, version, ...body },
      now(),
    );
    // Merged fixes this release's commit contains are now "fixed in <version>" (issue 10,
    // item 6). Registering the release again retries a resolution GitHub could not answer.
    const resolved =
      release.commitSha === null
        ? []
        : await resolveReleasedFixes(c.env, config, deps, {
            extensionId,
            version,
            commitSha: release.commitSha,
          });
    return c.json({ release, outcome, resolved }, outcome === 'created' ? 201 : 200);
  });

  app.put(
    '/admin/releases/:extensionId/:version/sourcemaps',
    bodyCap(MAX_SOURCE_MAP_BYTES),
    async (c) => {
      const { extensionId, version } = releaseOf(c, config);
      const { file } = parseOrThrow(
        SourceMapQuerySchema,
        c.req.query(),
        'invalid query parameters',
      );
      // Read by the source-map parser, not the JSON adapter, but refused the same way (415).
      const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') {
        throw new RequestError('unsupported_media_type', 'body must be application/json');
      }
      // The release tells the mapper where the map's sources are: without it a map is useless.
      if ((await getRelease(c.env.DB, extensionId, version)) === null) {
        throw new TriageError('invalid_request', 'register the release before its source maps', {
          issues: [{ path: 'version', code: 'release_not_registered' }],
        });
      }
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const parsed = parseSourceMap(bytes);
      if (!parsed.ok) {
        throw new TriageError('invalid_request', 'the body is not a usable source map', {
          issues: parsed.issues,
          internal: parsed.problem,
        });
      }
      const { sourceMap, outcome } = await storeSourceMap(
        c.env.SOURCE_MAPS,
        c.env.DB,
        { extensionId, version, file, bytes, sha256: await sha256Hex(bytes) },
        now(),
      );
      return c.json({ sourceMap, outcome }, outcome === 'created' ? 201 : 200);
    },
  );
}
