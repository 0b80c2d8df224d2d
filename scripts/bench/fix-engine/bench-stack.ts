import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type HomeostatConfig,
  parseHomeostatConfig,
  type RepositoryConfig,
} from '@homeostat/shared';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { addDirectoryRepo } from '../../../test/emulators/github/directory-repo.ts';
import { GitHubEmulator } from '../../../test/emulators/github/github-emulator.ts';
import {
  createModelEmulator,
  type ModelEmulator,
  modelFetch,
} from '../../../test/emulators/model/model-emulator.ts';
import type { FixStages } from '../../../workers/triage/src/fix/fix-engine.ts';
import { bindFixStages } from '../../../workers/triage/src/fix/fix-stages.ts';
import { createRepoReaderCache } from '../../../workers/triage/src/fix/source/repo-reader.ts';
import { createR2FrameMapper } from '../../../workers/triage/src/fix/sourcemap/frame-mapper.ts';
import { sha256Hex } from '../../../workers/triage/src/fix/sourcemap/sha256.ts';
import { parseSourceMap } from '../../../workers/triage/src/fix/sourcemap/sourcemap-parse.ts';
import {
  registerRelease,
  storeSourceMap,
} from '../../../workers/triage/src/fix/sourcemap/sourcemap-store.ts';
import { anonymousCredentials } from '../../../workers/triage/src/github/github-auth.ts';
import { GitHubClient } from '../../../workers/triage/src/github/github-client.ts';
import { applyMigrations, readMigrations } from '../../lib/d1-schema.ts';
import { findSourceMaps } from '../../lib/sourcemap-upload.ts';
import type { BenchBug } from '../fix-bench-runner.ts';

/**
 * The fix bench's stack (issue 9 item 8): the real fix engine's stages, bound the way
 * workers/triage/src/fix/fix-runtime.ts binds them, over real local D1 and R2 (Miniflare, driven
 * from Node through its binding proxies) and the GitHub and model emulators in process. Nothing
 * here reaches the network: both emulators are `fetch` handlers, and any other URL fails.
 */

const GITHUB_API = 'https://api.github.fix-bench.test';
const MODEL_API = 'https://models.fix-bench.test/v1';
/** Read by the provider's `apiKeySecret` name, as the Worker reads its bindings. */
const MODEL_KEY = 'sk-fix-bench-0000000000000001';
/** Prices of a cheap OpenAI-compatible provider, so the run's cost figures mean something. */
const PRICING = { inputUsdPerMTok: 0.27, outputUsdPerMTok: 1.1 };

export function benchSlug(bug: Pick<BenchBug, 'id'>): string {
  return `fix-bench/${bug.id}`;
}

/** One config for the whole corpus: an extension and a repository per bug. */
export function benchConfig(bugs: readonly BenchBug[]): HomeostatConfig {
  return parseHomeostatConfig({
    version: 1,
    github: { apiBaseUrl: GITHUB_API },
    extensions: bugs.map((bug, i) => ({
      id: bug.extensionId,
      name: bug.id,
      ingestKeys: [`hs_pub_fix_bench_key_${String(i).padStart(4, '0')}`],
      repo: benchSlug(bug),
    })),
    repositories: bugs.map((bug) => ({
      slug: benchSlug(bug),
      // Public: the privacy routing lets the one configured provider see the code.
      visibility: 'public',
      sourceRoots: bug.sourceRoots,
      paths: bug.paths,
    })),
    models: {
      providers: [
        {
          name: 'bench',
          baseUrl: MODEL_API,
          model: 'bench-fixer',
          apiKeySecret: 'MODEL_API_KEY',
          pricing: PRICING,
          maxOutputTokens: 2_000,
        },
      ],
      // One answer per call: each scripted answer is judged on its own, not outvoted.
      candidates: 1,
      // Each scenario is its own run; the day's budget covers the whole corpus many times over.
      budget: { perRunUsd: 1, perDayUsd: 1_000 },
    },
  });
}

export interface BenchStack {
  config: HomeostatConfig;
  db: D1Database;
  bucket: R2Bucket;
  github: GitHubEmulator;
  model: ModelEmulator;
  /** Stages for one run (`runId` keys model spend and guardrail verdicts in D1). */
  stages(runId: string): FixStages;
  repository(bug: BenchBug): RepositoryConfig;
  close(): Promise<void>;
}

export async function startBenchStack(bugs: readonly BenchBug[]): Promise<BenchStack> {
  const config = benchConfig(bugs);
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      compatibilityDate: '2026-11-01',
      // No Worker code runs: the instance exists for its D1 database and R2 bucket.
      script: 'export default { fetch() { return new Response(null, { status: 404 }); } };',
      d1Databases: { DB: 'fix-bench' },
      r2Buckets: { SOURCE_MAPS: 'fix-bench-source-maps' },
    }),
  );
  try {
    await mf.ready;
    // Miniflare's proxies are typed by its own copy of workers-types; the runtime objects are
    // the bindings a Worker gets.
    const db = (await mf.getD1Database('DB')) as unknown as D1Database;
    const bucket = (await mf.getR2Bucket('SOURCE_MAPS')) as unknown as R2Bucket;
    // The migrations, as production and the tests apply them (issue 12, section 3).
    await applyMigrations(db, await readMigrations());

    const github = new GitHubEmulator({ baseUrl: GITHUB_API });
    const model = createModelEmulator({ baseUrl: MODEL_API, apiKey: MODEL_KEY });
    const reader = new GitHubClient({
      baseUrl: config.github.apiBaseUrl,
      credentials: anonymousCredentials(),
      fetch: (input, init) => github.fetch(new Request(input, init)),
    });
    // One cache for the run: the fix runtime shares the isolate's the same way.
    const cache = createRepoReaderCache();
    const frameMapper = createR2FrameMapper(bucket, db);
    const toModel = modelFetch(model);
    const bindings: Record<string, unknown> = { MODEL_API_KEY: MODEL_KEY };
    // Seeded jitter: the emulator never asks for a retry, but a run must not depend on chance.
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };

    const stages = (runId: string): FixStages =>
      bindFixStages({
        db,
        reader,
        frameMapper,
        config,
        bindings,
        now: Date.now,
        runId,
        modelFetch: toModel,
        random,
        readerCache: cache,
      });

    const repository = (bug: BenchBug): RepositoryConfig => {
      const repo = config.repositories.find((r) => r.slug === benchSlug(bug));
      if (repo === undefined) throw new Error(`${bug.id}: no repository in the bench config`);
      return repo;
    };

    return { config, db, bucket, github, model, stages, repository, close: () => mf.dispose() };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}

/**
 * Serves `dir` (a copy of the fixture: the repository as its maintainers have it, without
 * bug.json) as the bug's repository; returns the head commit.
 */
export async function serveFixture(stack: BenchStack, bug: BenchBug, dir: string): Promise<string> {
  const { sha } = await addDirectoryRepo(stack.github, benchSlug(bug), dir, {
    message: `${bug.id} as released`,
  });
  return sha;
}

/**
 * What `npm run release -- --sourcemaps <package dir>` stores for a bundled fixture, through the
 * same store functions the admin route calls after the same checks: the release (its commit;
 * the package root is the repository root, so the build directory is '') and every `.map` under
 * it by the bundle's package path ('/dist/content.js'). Returns how many maps were stored.
 */
export async function uploadRelease(
  stack: BenchStack,
  bug: BenchBug,
  dir: string,
  commitSha: string,
): Promise<number> {
  const now = Date.now();
  await registerRelease(
    stack.db,
    { extensionId: bug.extensionId, version: bug.extensionVersion, commitSha, buildDir: '' },
    now,
  );
  const maps = await findSourceMaps(dir);
  for (const map of maps) {
    const bytes = new Uint8Array(await readFile(map.mapPath));
    const parsed = parseSourceMap(bytes);
    if (!parsed.ok) {
      throw new Error(`${bug.id}: ${path.relative(dir, map.mapPath)} is not a usable source map`);
    }
    await storeSourceMap(
      stack.bucket,
      stack.db,
      {
        extensionId: bug.extensionId,
        version: bug.extensionVersion,
        file: map.file,
        bytes,
        sha256: await sha256Hex(bytes),
      },
      now,
    );
  }
  return maps.length;
}
