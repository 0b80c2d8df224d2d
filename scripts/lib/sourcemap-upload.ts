import { execFile } from 'node:child_process';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  type ExtensionConfig,
  type HomeostatConfig,
  isSecureEndpoint,
  OUTBOUND_TIMEOUT_MS,
} from '@homeostat/shared';
import { z } from 'zod';

/**
 * The release CLI's source-map step (issue 9 item 2; issue 10 item 6): registers the release
 * with triage (the commit it was built from, where its build output lies in the repository) and
 * uploads every `.map` of the build, so that minified frames of that version map back to
 * repository files. It needs no store credentials: `npm run release -- --no-store --sourcemaps
 * dist --version 1.2.3` is the whole release step for a team that publishes by hand.
 */

export class SourceMapUploadError extends Error {
  override readonly name = 'SourceMapUploadError';
}

/** Triage refuses larger maps (MAX_SOURCE_MAP_BYTES); checked here too for a clearer message. */
const MAX_MAP_BYTES = 8 * 1024 * 1024;
/** An extension build has a handful of bundles; thousands of maps means the wrong directory. */
const MAX_MAPS = 500;

export interface SourceMapFile {
  /** The bundle's path in the package: 'popup.js.map' under the directory → '/popup.js'. */
  file: string;
  /** Where the map is on disk. */
  mapPath: string;
  size: number;
}

export interface SourceMapPlan {
  extensionId: string;
  version: string;
  commitSha: string | null;
  buildDir: string;
  maps: SourceMapFile[];
}

export function pickExtension(
  config: HomeostatConfig,
  wanted: string | undefined,
): ExtensionConfig {
  if (wanted === undefined) {
    const only = config.extensions.length === 1 ? config.extensions[0] : undefined;
    if (only !== undefined) return only;
    throw new SourceMapUploadError(
      'several extensions are configured: choose one with --extension',
    );
  }
  const found = config.extensions.find((e) => e.name === wanted || e.id === wanted);
  if (found === undefined)
    throw new SourceMapUploadError(`no configured extension is named ${wanted}`);
  return found;
}

const run = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run('git', ['-C', cwd, ...args], { encoding: 'utf8' });
    return stdout.trim();
  } catch {
    return null; // not a repository, or no git: the caller decides whether that matters
  }
}

/** Every `*.map` under `dir`, as bundle paths in the package, sorted. */
export async function findSourceMaps(dir: string): Promise<SourceMapFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch {
    throw new SourceMapUploadError(`cannot read the source map directory ${dir}`);
  }
  const maps: SourceMapFile[] = [];
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.map')) continue;
    const mapPath = path.join(dir, entry);
    const info = await stat(mapPath);
    if (!info.isFile()) continue;
    const file = `/${entry.split(path.sep).join('/').slice(0, -'.map'.length)}`;
    maps.push({ file, mapPath, size: info.size });
  }
  if (maps.length > MAX_MAPS) {
    throw new SourceMapUploadError(
      `${dir} holds ${maps.length} source maps: is it the build output?`,
    );
  }
  return maps;
}

/**
 * What will be uploaded: the maps, and the release's commit and build directory. The commit
 * defaults to HEAD of the repository the directory is in and the build directory to its path in
 * that repository; outside a repository the build directory must be given.
 */
export async function planSourceMapUpload(input: {
  dir: string;
  extensionId: string;
  version: string;
  commitSha?: string | undefined;
  buildDir?: string | undefined;
}): Promise<SourceMapPlan> {
  const dir = await realpath(path.resolve(input.dir)).catch(() => {
    throw new SourceMapUploadError(`no such directory: ${input.dir}`);
  });
  const root = await git(dir, ['rev-parse', '--show-toplevel']);
  let commitSha = input.commitSha ?? null;
  if (commitSha === null && root !== null) commitSha = await git(dir, ['rev-parse', 'HEAD']);
  let buildDir = input.buildDir;
  if (buildDir === undefined) {
    if (root === null) {
      throw new SourceMapUploadError(
        `${input.dir} is not in a git repository: give its repository path with --build-dir`,
      );
    }
    buildDir = path
      .relative(await realpath(root), dir)
      .split(path.sep)
      .join('/');
  }
  const maps = await findSourceMaps(dir);
  if (maps.length === 0) throw new SourceMapUploadError(`no .map files under ${input.dir}`);
  const tooLarge = maps.find((m) => m.size > MAX_MAP_BYTES);
  if (tooLarge !== undefined) {
    throw new SourceMapUploadError(
      `${tooLarge.mapPath} is ${tooLarge.size} bytes; triage accepts maps up to ${MAX_MAP_BYTES}`,
    );
  }
  return { extensionId: input.extensionId, version: input.version, commitSha, buildDir, maps };
}

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const OutcomeSchema = z.enum(['created', 'unchanged', 'updated']);
const ReleaseAnswerSchema = z.object({
  outcome: OutcomeSchema,
  release: z.object({ commitSha: z.string().nullable(), buildDir: z.string() }),
});
const MapAnswerSchema = z.object({
  outcome: OutcomeSchema,
  sourceMap: z.object({ file: z.string(), sha256: z.string(), size: z.number() }),
});

export interface SourceMapUploadResult {
  release: z.infer<typeof OutcomeSchema>;
  commitSha: string | null;
  buildDir: string;
  maps: { file: string; outcome: z.infer<typeof OutcomeSchema>; sha256: string; size: number }[];
}

export interface SourceMapUploadDeps {
  fetch: (request: Request) => Promise<Response>;
  log(line: string): void;
  /** Deadline of each request; default OUTBOUND_TIMEOUT_MS.adminApi (issue 11, item 4). */
  timeoutMs?: number;
}

async function send<S extends z.ZodType>(
  deps: SourceMapUploadDeps,
  request: Request,
  schema: S,
  what: string,
): Promise<z.output<S>> {
  const timeoutMs = deps.timeoutMs ?? OUTBOUND_TIMEOUT_MS.adminApi;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await deps.fetch(new Request(request, { signal }));
    text = await res.text();
  } catch (err) {
    throw new SourceMapUploadError(
      signal.aborted
        ? `triage did not answer ${what} within ${timeoutMs} ms (every step is idempotent: run again)`
        : `cannot reach triage for ${what}: ${err instanceof Error ? err.message : 'network error'}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = ErrorBodySchema.safeParse(json);
    throw new SourceMapUploadError(
      `triage refused ${what} (HTTP ${res.status}${error.success ? `, ${error.data.error.code}: ${error.data.error.message}` : ''})`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new SourceMapUploadError(`triage answered ${what} unexpectedly`);
  return parsed.data;
}

/** Registers the release, then uploads each map; every step is idempotent, so a re-run is safe. */
export async function uploadSourceMaps(
  plan: SourceMapPlan,
  triage: { url: string; adminToken: string },
  deps: SourceMapUploadDeps,
): Promise<SourceMapUploadResult> {
  // The admin token travels with every request: only over TLS, or to a loopback host.
  if (!isSecureEndpoint(triage.url)) {
    throw new SourceMapUploadError(
      'the triage URL must be https: (http: only for localhost, 127.0.0.0/8 or [::1])',
    );
  }
  const base = `${triage.url.replace(/\/+$/, '')}/admin/releases/${plan.extensionId}/${encodeURIComponent(plan.version)}`;
  const authorization = `Bearer ${triage.adminToken}`;
  const registered = await send(
    deps,
    new Request(base, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ commitSha: plan.commitSha, buildDir: plan.buildDir }),
    }),
    ReleaseAnswerSchema,
    'the release registration',
  );
  deps.log(
    `release ${plan.version} ${registered.outcome}: commit ${plan.commitSha ?? 'unknown'}, build dir '${plan.buildDir}'`,
  );
  const result: SourceMapUploadResult = {
    release: registered.outcome,
    commitSha: registered.release.commitSha,
    buildDir: registered.release.buildDir,
    maps: [],
  };
  for (const map of plan.maps) {
    const body = await readFile(map.mapPath);
    const answer = await send(
      deps,
      new Request(`${base}/sourcemaps?file=${encodeURIComponent(map.file)}`, {
        method: 'PUT',
        headers: { authorization, 'content-type': 'application/json' },
        body,
      }),
      MapAnswerSchema,
      `the source map of ${map.file}`,
    );
    deps.log(`source map ${map.file} ${answer.outcome} (${answer.sourceMap.size} bytes)`);
    result.maps.push({
      file: answer.sourceMap.file,
      outcome: answer.outcome,
      sha256: answer.sourceMap.sha256,
      size: answer.sourceMap.size,
    });
  }
  return result;
}
