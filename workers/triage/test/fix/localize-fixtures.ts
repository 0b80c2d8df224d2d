import {
  type ExtensionConfig,
  type IngestEventInput,
  IngestEventSchema,
  type RepositoryConfig,
  RepositoryConfigSchema,
  type Surface,
} from '@homeostat/shared';
import type {
  FrameMapper,
  FrameMapping,
  PackagedFrame,
} from '../../src/fix/localize/frame-mapper.ts';
import { createRepoReaderCache, openSnapshot } from '../../src/fix/source/repo-reader.ts';
import { tokenCredentials } from '../../src/github/github-auth.ts';
import { GitHubClient } from '../../src/github/github-client.ts';
import type { FingerprintReport } from '../../src/issue/fingerprint-source.ts';
import { EXT_A, testConfig } from '../support/config.ts';
import { GITHUB_TOKEN, githubTestbed } from '../support/github.ts';

/**
 * Shared material of the localization tests: a repository served by the GitHub emulator (read
 * through the real repository reader, so every exchange is OpenAPI-validated), a fingerprint
 * report around one scrubbed sample, and a scripted FrameMapper.
 */

export const REPO = 'octo-org/notes-extension';
/** A store build's id; frames from an unpacked build carry another one. */
export const STORE_ID = EXT_A;
export const UNPACKED_ID = 'mnopmnopmnopmnopmnopmnopmnopmnop';
const configured = testConfig().extensions[0];
if (configured === undefined) throw new Error('testConfig() names no extension');
export const extension: ExtensionConfig = configured;

export function repository(overrides: Record<string, unknown> = {}): RepositoryConfig {
  return RepositoryConfigSchema.parse({ slug: REPO, ...overrides });
}

export async function snapshotOf(files: Record<string, string | Uint8Array>) {
  const bed = githubTestbed();
  await bed.emulator.addRepo(REPO, { files });
  const client = new GitHubClient({
    baseUrl: bed.baseUrl,
    credentials: tokenCredentials(GITHUB_TOKEN),
    fetch: bed.clientFetch,
  });
  const snapshot = await openSnapshot(
    client,
    { repo: REPO, branch: 'main' },
    { cache: createRepoReaderCache() },
  );
  return { snapshot, violations: bed.violations, emulator: bed.emulator };
}

export function report(
  error: { type?: string; message: string; stack?: string },
  options: { surface?: Surface; sample?: boolean } = {},
): FingerprintReport {
  const sample: IngestEventInput = {
    eventId: 'evt_0123456789',
    timestamp: Date.parse('2026-11-21T09:00:00.000Z'),
    surface: options.surface ?? 'popup',
    error: {
      type: error.type ?? 'TypeError',
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
    },
  };
  return {
    extensionId: STORE_ID,
    fingerprint: 'fp1:0123456789abcdef',
    errorType: error.type ?? 'TypeError',
    title: `${error.type ?? 'TypeError'}: ${error.message.split('\n')[0]}`,
    culprit: null,
    events: 14,
    installs: 3,
    installsApproximate: false,
    firstSeen: Date.parse('2026-11-20T08:00:00.000Z'),
    lastSeen: Date.parse('2026-11-21T09:00:00.000Z'),
    firstVersion: '1.2.0',
    lastVersion: '1.3.0',
    state: 'open',
    fixedInVersion: null,
    versions: [
      { version: '1.3.0', events: 10, firstSeen: 0, lastSeen: 2 },
      { version: '1.2.0', events: 4, firstSeen: 0, lastSeen: 1 },
    ],
    surfaces: [options.surface ?? 'popup'],
    sample: options.sample === false ? null : IngestEventSchema.parse(sample),
    sampleVersion: null,
    lastRegressionAt: null,
  };
}

/** `at fn (chrome-extension://<id>/path:line:col)`, as V8 prints it. */
export function frame(path: string, line: number, column: number, fn?: string, id = STORE_ID) {
  const url = `chrome-extension://${id}/${path}:${line}:${column}`;
  return fn === undefined ? `    at ${url}` : `    at ${fn} (${url})`;
}

export function stack(header: string, ...frames: string[]): string {
  return [header, ...frames].join('\n');
}

/** A FrameMapper answering from a table keyed by `packagePath:line:column`, recording calls. */
export function scriptedMapper(table: Record<string, FrameMapping>): FrameMapper & {
  calls: PackagedFrame[];
} {
  const calls: PackagedFrame[] = [];
  return {
    calls,
    map: async (f) => {
      calls.push(f);
      return table[`${f.packagePath}:${f.line}:${f.column}`] ?? { ok: false, reason: 'no_map' };
    },
  };
}

/** `n` numbered lines, for window arithmetic. */
export function lines(n: number, make: (i: number) => string = (i) => `// line ${i}`): string {
  return `${Array.from({ length: n }, (_, i) => make(i + 1)).join('\n')}\n`;
}
