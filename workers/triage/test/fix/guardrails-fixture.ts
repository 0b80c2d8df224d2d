import { type RepositoryConfig, RepositoryConfigSchema } from '@homeostat/shared';
import type {
  Candidate,
  CandidateSource,
  ContextFileRole,
  FileChange,
  FixContext,
} from '../../src/fix/fix.types.ts';
import type { FixLimits } from '../../src/fix/guardrails/guardrails.ts';

/**
 * A small MV3 notes extension as the localizer would hand it to the fixer: a background service
 * worker that answers messages and syncs to its own API, a storage module, typed settings, a
 * React popup, its HTML page and a node:test suite. Shared by the guardrail tests.
 */

export const FILES: Record<string, { content: string; role: ContextFileRole }> = {
  'src/background/messaging.js': {
    role: 'frame',
    content: `import { loadNotes } from '../lib/storage.js';

// Notes are synced to the extension's own backend.
export function registerMessaging() {
  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (message.type === 'notes:get') {
      loadNotes(message.tabId).then((notes) => sendResponse({ notes }));
      return true;
    }
    if (message.type === 'notes:sync') {
      syncNotes(message.notes).then((count) => sendResponse({ ok: true, count }));
      return true;
    }
    return false;
  });
}

async function syncNotes(notes) {
  const res = await fetch('https://api.notes-sync.example.com/v1/notes', { method: 'POST', body: JSON.stringify(notes) });
  const body = await res.json();
  return body.count;
}

export function notifyTab(tabId, payload) {
  chrome.tabs.sendMessage(tabId, { type: 'notes:changed', payload });
}

export function readBadge(tab) {
  return tab.title.length > 20 ? tab.title.slice(0, 20) : tab.title;
}
`,
  },
  'src/lib/storage.js': {
    role: 'import',
    content: `export async function loadNotes(tabId) {
  const key = \`notes:\${tabId}\`;
  const stored = await chrome.storage.local.get(key);
  return JSON.parse(stored[key]);
}

export function saveNotes(tabId, notes) {
  chrome.storage.local.set({ [\`notes:\${tabId}\`]: JSON.stringify(notes) }, () => {});
}
`,
  },
  'src/lib/settings.ts': {
    role: 'frame',
    content: `export interface Settings {
  theme: 'light' | 'dark';
  syncEnabled: boolean;
}

export const DEFAULTS: Settings = { theme: 'light', syncEnabled: false };

export function readSettings(raw: Record<string, unknown> | undefined): Settings {
  const value = (raw as Record<string, unknown>).settings as Partial<Settings>;
  return { ...DEFAULTS, ...value };
}
`,
  },
  'src/popup/popup.tsx': {
    role: 'frame',
    content: `import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

export function NoteCount({ tabId }: { tabId: number }) {
  const [count, setCount] = useState<number>(0);
  useEffect(() => {
    chrome.runtime.sendMessage({ type: 'notes:get', tabId }).then((r) => setCount(r.notes.length));
  }, [tabId]);
  return <span className="count">{count}</span>;
}

export function mount(el: HTMLElement) {
  createRoot(el).render(<NoteCount tabId={0} />);
}
`,
  },
  'src/popup/popup.html': {
    role: 'frame',
    content: `<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <link rel="stylesheet" href="popup.css">
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="popup.js"></script>
  </body>
</html>
`,
  },
  'test/messaging.test.js': {
    role: 'test',
    content: `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readBadge } from '../src/background/messaging.js';

test('readBadge shortens long titles', () => {
  assert.equal(readBadge({ title: 'a'.repeat(30) }).length, 20);
});

test('readBadge keeps short titles', () => {
  assert.equal(readBadge({ title: 'short' }), 'short');
});
`,
  },
  // Read for context (an indirect import), not editable.
  'src/options/options.js': {
    role: 'import',
    content: `export function renderOptions(root) {
  root.textContent = 'Options';
}
`,
  },
  'manifest.json': {
    role: 'import',
    content: `{
  "manifest_version": 3,
  "name": "Notes",
  "version": "1.4.0",
  "permissions": ["storage"],
  "background": { "service_worker": "background.js", "type": "module" },
  "action": { "default_popup": "popup.html" }
}
`,
  },
};

export const EDITABLE = [
  'src/background/messaging.js',
  'src/lib/storage.js',
  'src/lib/settings.ts',
  'src/popup/popup.tsx',
  'src/popup/popup.html',
  'test/messaging.test.js',
];

export const REPO: RepositoryConfig = RepositoryConfigSchema.parse({
  slug: 'octo-org/notes-extension',
  paths: {
    include: ['src/**', 'test/**', 'manifest.json', '.github/**', '*.json'],
    exclude: ['src/vendor/**'],
  },
});

export const LIMITS: FixLimits = { maxDiffLines: 500, maxFiles: 10 };

export function context(overrides: Partial<FixContext> = {}): FixContext {
  const files: FixContext['files'] = {};
  for (const [path, f] of Object.entries(FILES)) {
    files[path] = { path, content: f.content, role: f.role, blobSha: `sha-${path.length}` };
  }
  const culprit = {
    function: 'readBadge',
    path: 'src/background/messaging.js',
    line: 30,
    column: 20,
    via: 'source_map' as const,
  };
  return {
    repo: REPO.slug,
    commitSha: 'c0ffee0000000000000000000000000000000000',
    extensionId: 'aaaabbbbccccddddeeeeffffgggghhhh',
    fingerprint: 'fp1:guardrails-fixture',
    event: {
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'length')",
      stack: null,
      surface: 'background',
      version: '1.4.0',
    },
    evidence: {
      title: "TypeError: Cannot read properties of undefined (reading 'length')",
      culprit: 'readBadge',
      events: 40,
      installs: 12,
      versions: ['1.4.0'],
      surfaces: ['background'],
      firstSeen: 1_700_000_000_000,
      lastSeen: 1_700_000_600_000,
    },
    frames: [culprit],
    culprit,
    files,
    windows: [],
    editablePaths: [...EDITABLE],
    ...overrides,
  };
}

export const MODEL: CandidateSource = {
  kind: 'model',
  provider: 'deepseek',
  model: 'deepseek-chat',
  callIds: [1],
  votes: 2,
  of: 3,
  costUsd: 0.002,
  inputTokens: 3000,
  outputTokens: 400,
};

export const PATTERN: CandidateSource = {
  kind: 'pattern',
  patternId: 'builtin:optional-chaining',
  confidence: 0.9,
  fuzzy: false,
};

export function original(path: string): string {
  const f = FILES[path];
  if (f === undefined) throw new Error(`fixture has no ${path}`);
  return f.content;
}

/** A change to a fixture file: `replace` must occur exactly once (as a SEARCH/REPLACE block would). */
export function edit(path: string, search: string, replace: string): FileChange {
  const before = original(path);
  const at = before.indexOf(search);
  if (at < 0 || before.indexOf(search, at + 1) >= 0) {
    throw new Error(`search text must occur once in ${path}`);
  }
  return { path, before, after: before.slice(0, at) + replace + before.slice(at + search.length) };
}

export function candidate(changes: FileChange[], source: CandidateSource = MODEL): Candidate {
  return { source, changes, summary: 'Guard the failing read' };
}
