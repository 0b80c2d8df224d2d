import { type HomeostatConfig, parseHomeostatConfig } from '@homeostat/shared';
import type { FixContext } from '../../src/fix/fix.types.ts';
import { EXT_A } from '../support/config.ts';

/**
 * Material for the model fixer's tests: a small extension file with a real bug (a property read
 * of a missing value), the FixContext localization would build for it, and a config with model
 * providers behind emulated base URLs.
 */

export const REPO = 'octo-org/notes-extension';
export const PUBLIC_REPO = 'octo-org/palette-kit';
export const POPUP_PATH = 'src/popup.js';
export const POPUP_TEST_PATH = 'src/popup.test.js';

export const POPUP = `import { loadNotes } from './storage.js';

export async function renderCount(root) {
  const notes = await loadNotes();
  const label = root.querySelector('#count');
  label.textContent = String(notes.items.length);
}

export function renderTitle(root, note) {
  const title = root.querySelector('#title');
  title.textContent = note.title;
}
`;

/** The lines the correct fix replaces, and what it replaces them with. */
export const BUG_LINE = '  label.textContent = String(notes.items.length);';
export const FIX_LINE = '  label.textContent = String(notes?.items?.length ?? 0);';

export const POPUP_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCount } from './popup.js';

test('renderCount shows 0 without notes', async () => {
  assert.ok(renderCount);
});
`;

export function fixContext(overrides: Partial<FixContext> = {}): FixContext {
  return {
    repo: REPO,
    commitSha: 'a'.repeat(40),
    extensionId: EXT_A,
    fingerprint: 'fp1:0123456789abcdef',
    event: {
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'length')",
      stack: [
        "TypeError: Cannot read properties of undefined (reading 'length')",
        '    at renderCount (chrome-extension://aaaabbbbccccddddeeeeffffgggghhhh/popup.js:6:45)',
        '    at async init (chrome-extension://aaaabbbbccccddddeeeeffffgggghhhh/popup.js:20:3)',
      ].join('\n'),
      surface: 'popup',
      version: '1.2.3',
    },
    evidence: {
      title: "TypeError: Cannot read properties of undefined (reading 'length')",
      culprit: 'renderCount',
      events: 14,
      installs: 3,
      versions: ['1.2.3'],
      surfaces: ['popup'],
      firstSeen: Date.parse('2026-11-20T08:00:00.000Z'),
      lastSeen: Date.parse('2026-11-21T09:00:00.000Z'),
    },
    frames: [
      { function: 'renderCount', path: POPUP_PATH, line: 6, column: 45, via: 'source_roots' },
    ],
    culprit: {
      function: 'renderCount',
      path: POPUP_PATH,
      line: 6,
      column: 45,
      via: 'source_roots',
    },
    files: {
      [POPUP_PATH]: { path: POPUP_PATH, content: POPUP, blobSha: 'b'.repeat(40), role: 'frame' },
      [POPUP_TEST_PATH]: {
        path: POPUP_TEST_PATH,
        content: POPUP_TEST,
        blobSha: 'c'.repeat(40),
        role: 'test',
      },
    },
    windows: [
      {
        path: POPUP_PATH,
        startLine: 3,
        endLine: 7,
        text: POPUP.split('\n').slice(2, 7).join('\n'),
      },
    ],
    editablePaths: [POPUP_PATH, POPUP_TEST_PATH],
    ...overrides,
  };
}

export interface ProviderSpec {
  name: string;
  baseUrl: string;
  tier?: number;
  privateCode?: boolean;
  input?: number;
  output?: number;
  maxOutputTokens?: number;
  apiKeySecret?: string;
  timeoutMs?: number;
}

export function modelConfig(
  providers: ProviderSpec[],
  options: { candidates?: number; perRunUsd?: number; perDayUsd?: number } = {},
): HomeostatConfig {
  const config = parseHomeostatConfig({
    version: 1,
    extensions: [
      { id: EXT_A, name: 'notes', ingestKeys: ['hs_pub_notes_key_000000001'], repo: REPO },
    ],
    repositories: [
      { slug: REPO, visibility: 'private' },
      { slug: PUBLIC_REPO, visibility: 'public' },
    ],
    models: {
      providers: providers.map((p) => ({
        name: p.name,
        baseUrl: p.baseUrl,
        model: `${p.name}-model`,
        apiKeySecret: p.apiKeySecret ?? `${p.name.toUpperCase().replace(/-/g, '_')}_KEY`,
        pricing: { inputUsdPerMTok: p.input ?? 0.28, outputUsdPerMTok: p.output ?? 0.42 },
        maxOutputTokens: p.maxOutputTokens ?? 2_000,
        tier: p.tier ?? 1,
        privateCode: p.privateCode ?? false,
        timeoutMs: Math.max(1_000, p.timeoutMs ?? 30_000),
      })),
      candidates: options.candidates ?? 3,
      budget: { perRunUsd: options.perRunUsd ?? 1, perDayUsd: options.perDayUsd ?? 10 },
    },
  });
  // The schema's floor is 1 s; a hang test waits for the real timeout, so it may go below.
  config.models.providers.forEach((p, i) => {
    const ms = providers[i]?.timeoutMs;
    if (ms !== undefined && ms < 1_000) p.timeoutMs = ms;
  });
  return config;
}
