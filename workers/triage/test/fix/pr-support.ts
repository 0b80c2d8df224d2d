import { env } from 'cloudflare:workers';
import { type RepositoryConfig, RepositoryConfigSchema } from '@homeostat/shared';
import type { Candidate } from '../../src/fix/fix.types.ts';
import { FixPullRequestStore } from '../../src/fix/pr/fix-pr-store.ts';
import {
  type GitDataGateway,
  LiveGitDataGateway,
  OutboxGitDataGateway,
} from '../../src/fix/pr/git-data-gateway.ts';
import type { PrEvidence } from '../../src/fix/pr/pr-template.ts';
import type { FixPullRequestInput } from '../../src/fix/pr/pull-request-writer.ts';
import { tokenCredentials } from '../../src/github/github-auth.ts';
import { GitHubClient } from '../../src/github/github-client.ts';
import { createClock } from '../support/clock.ts';
import { API_BASE, EXT_A } from '../support/config.ts';
import { freshFingerprint } from '../support/fingerprints.ts';
import { GITHUB_TOKEN, githubTestbed } from '../support/github.ts';

/** What the fix PR tests share: a repository per test (D1 is shared by a file's tests). */

export const POPUP_BEFORE = [
  'export function render(state) {',
  '  const user = state.user;',
  '  return user.id;',
  '}',
  '',
].join('\n');
export const POPUP_AFTER = POPUP_BEFORE.replace('return user.id;', 'return user?.id ?? null;');
export const UTIL_BEFORE = 'export const clamp = (n) => n;\n';

let repos = 0;

export function uniqueRepo(overrides: Record<string, unknown> = {}): RepositoryConfig {
  repos++;
  const tag = `${repos}-${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36)}`;
  return RepositoryConfigSchema.parse({
    slug: `octo-org/fix-pr-${tag}`,
    requiredChecks: ['test'],
    ...overrides,
  });
}

export const EVIDENCE: PrEvidence = {
  errorType: 'TypeError',
  title: "TypeError: Cannot read properties of undefined (reading 'id')",
  events: 42,
  installs: 7,
  installsApproximate: false,
  versions: [
    { version: '1.2.0', events: 30, firstSeen: 1_763_600_000_000, lastSeen: 1_763_700_000_000 },
    { version: '1.2.1', events: 12, firstSeen: 1_763_650_000_000, lastSeen: 1_763_710_000_000 },
  ],
  surfaces: ['popup'],
  firstSeen: 1_763_600_000_000,
  lastSeen: 1_763_710_000_000,
};

export function patternCandidate(after = POPUP_AFTER, utilAfter?: string): Candidate {
  return {
    source: { kind: 'pattern', patternId: 'optional-read', confidence: 0.92, fuzzy: false },
    changes: [
      { path: 'src/popup.js', before: POPUP_BEFORE, after },
      ...(utilAfter === undefined
        ? []
        : [{ path: 'src/util.js', before: UTIL_BEFORE, after: utilAfter }]),
    ],
    summary: 'Read `user.id` only when `user` is defined.',
  };
}

export function modelCandidate(after: string): Candidate {
  return {
    source: {
      kind: 'model',
      provider: 'cheap',
      model: 'small-1',
      callIds: [1, 2],
      votes: 2,
      of: 3,
      costUsd: 0.0123,
      inputTokens: 1800,
      outputTokens: 240,
    },
    changes: [{ path: 'src/popup.js', before: POPUP_BEFORE, after }],
    summary: 'Return null when the state has no user.',
  };
}

/**
 * A live gateway on the emulator (OpenAPI-validated), a repository and its base commit;
 * `baseUrl` is the configured `github.apiBaseUrl` (a GHES `…/api/v3` one, say).
 */
export async function liveBed(repo: RepositoryConfig = uniqueRepo(), baseUrl = API_BASE) {
  const clock = createClock();
  const bed = githubTestbed({ now: clock.now, baseUrl });
  await bed.emulator.addRepo(repo.slug, {
    files: {
      'src/popup.js': POPUP_BEFORE,
      'src/util.js': UTIL_BEFORE,
      'README.md': '# fixture\n',
    },
  });
  const git = new LiveGitDataGateway(
    new GitHubClient({
      baseUrl,
      credentials: tokenCredentials(GITHUB_TOKEN),
      fetch: bed.clientFetch,
      now: clock.now,
      sleep: clock.sleep,
    }),
  );
  const baseSha = bed.emulator.git(repo.slug).refs.get('refs/heads/main') ?? '';
  const deps = { db: env.DB, git, now: clock.now };
  /** Requests the emulator saw from `from` on; `writes` leaves the reads out. */
  const seen = (from = 0) => bed.emulator.requests.slice(from);
  const writes = (from = 0) => seen(from).filter((r) => r.method !== 'GET');
  return { ...bed, clock, git, repo, baseSha, deps, seen, writes };
}

export function dryRunDeps() {
  const clock = createClock();
  const git: GitDataGateway = new OutboxGitDataGateway(env.DB, clock.now);
  return { clock, git, deps: { db: env.DB, git, now: clock.now } };
}

export function prInput(
  repo: RepositoryConfig,
  baseSha: string,
  overrides: Partial<FixPullRequestInput> = {},
): FixPullRequestInput {
  const fingerprint = overrides.key?.fingerprint ?? freshFingerprint();
  return {
    repo,
    key: { repo: repo.slug, extensionId: EXT_A, fingerprint },
    issue: { kind: 'github', number: 12 },
    attempt: 1,
    attemptId: null,
    maxAttempts: 3,
    runId: 'run-1',
    candidate: patternCandidate(),
    baseSha,
    report: EVIDENCE,
    extensionName: 'notes',
    stats: { files: 1, added: 1, removed: 1 },
    labels: ['homeostat', 'homeostat:fix', `fingerprint:${fingerprint.slice(4, 12)}`, 'class:safe'],
    ...overrides,
  };
}

export async function prRow(input: FixPullRequestInput, mode: 'live' | 'dry-run') {
  return new FixPullRequestStore(env.DB, Date.now).get(input.key, mode);
}
