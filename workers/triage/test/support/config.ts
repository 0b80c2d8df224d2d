import { type HomeostatConfig, parseHomeostatConfig } from '@homeostat/shared';

export const EXT_A = 'aaaabbbbccccddddeeeeffffgggghhhh';
export const EXT_B = 'ppppoooonnnnmmmmllllkkkkjjjjiiii';
export const REPO_A = 'octo-org/notes-extension';
export const REPO_B = 'octo-org/palette-kit';
export const API_BASE = 'https://api.github.com';

/**
 * Two extensions in two repositories with different labels and limits (issue 5, item 6). A
 * file's tests share D1 and one clock day, so the daily cap on new issues is out of their way
 * (`newIssuesPerDay`); issue-cap.test.ts sets its own.
 */
export function testConfig(
  overrides: { apiBaseUrl?: string; newIssuesPerDay?: number } = {},
): HomeostatConfig {
  const limits = { newIssuesPerDay: overrides.newIssuesPerDay ?? 1_000 };
  return parseHomeostatConfig({
    version: 1,
    github: { apiBaseUrl: overrides.apiBaseUrl ?? API_BASE },
    extensions: [
      { id: EXT_A, name: 'notes', ingestKeys: ['hs_pub_notes_key_000000001'], repo: REPO_A },
      { id: EXT_B, name: 'palette', ingestKeys: ['hs_pub_palette_key_0000001'], repo: REPO_B },
    ],
    repositories: [
      {
        slug: REPO_A,
        paths: { include: ['src/**'], exclude: ['src/vendor/**'] },
        maxPrsPerRun: 2,
        maxOpenPrs: 3,
        limits,
      },
      {
        slug: REPO_B,
        labels: { base: 'auto-triage', optOut: 'hands-off', extra: ['from-homeostat'] },
        maxPrsPerRun: 1,
        maxAttempts: 2,
        issueUpdateMinutes: 30,
        limits,
        sourceRoots: [{ from: '/', to: 'extension/' }],
        paths: { include: ['extension/**'] },
        policy: {
          rules: [{ id: 'palette-io', class: 'critical', pattern: 'palette\\.export' }],
          disable: ['logging'],
        },
      },
    ],
    models: {},
    canary: {},
  });
}
