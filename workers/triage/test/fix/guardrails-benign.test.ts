import { describe, test } from 'vitest';
import type { Candidate } from '../../src/fix/fix.types.ts';
import { checkCandidate } from '../../src/fix/guardrails/guardrails.ts';
import { candidate, context, edit, LIMITS, PATTERN, REPO } from './guardrails-fixture.ts';

/**
 * Realistic fixes of the failure classes the pattern library and the model handle (issue 9 item 4)
 * must pass untouched: guardrails that block good fixes push teams to switch them off. Several
 * re-indent lines that hold a URL, a fetch or personal-looking text the file already had, which
 * a line-by-line scan would take for additions.
 */

const BG = 'src/background/messaging.js';
const STORAGE = 'src/lib/storage.js';

interface Case {
  name: string;
  candidate: () => Candidate;
  stats: { files: number; added: number; removed: number };
}

const cases: Case[] = [
  {
    name: 'optional chaining on an undefined property read',
    candidate: () =>
      candidate(
        [
          edit(
            BG,
            '  return tab.title.length > 20 ? tab.title.slice(0, 20) : tab.title;',
            "  const title = tab?.title ?? '';\n  return title.length > 20 ? title.slice(0, 20) : title;",
          ),
        ],
        PATTERN,
      ),
    stats: { files: 1, added: 2, removed: 1 },
  },
  {
    name: 'try/catch around JSON.parse of stored data',
    candidate: () =>
      candidate([
        edit(
          STORAGE,
          '  return JSON.parse(stored[key]);\n',
          "  try {\n    return JSON.parse(stored[key] ?? '[]');\n  } catch {\n    return [];\n  }\n",
        ),
      ]),
    stats: { files: 1, added: 5, removed: 1 },
  },
  {
    name: 'a chrome.runtime.lastError check in a storage callback',
    candidate: () =>
      candidate([
        edit(
          STORAGE,
          '}, () => {});',
          "}, () => {\n    if (chrome.runtime.lastError) {\n      console.warn('[notes] save failed:', chrome.runtime.lastError.message);\n    }\n  });",
        ),
      ]),
    stats: { files: 1, added: 5, removed: 1 },
  },
  {
    name: '.catch on tabs.sendMessage when the receiving end does not exist',
    candidate: () =>
      candidate(
        [
          edit(
            BG,
            "  chrome.tabs.sendMessage(tabId, { type: 'notes:changed', payload });",
            "  // The tab may have no content script (chrome:// pages, or not injected yet).\n  chrome.tabs.sendMessage(tabId, { type: 'notes:changed', payload }).catch(() => {});",
          ),
        ],
        PATTERN,
      ),
    stats: { files: 1, added: 2, removed: 1 },
  },
  {
    name: 'a try/catch around the sync fetch (re-indents the line with the API URL)',
    candidate: () =>
      candidate([
        edit(
          BG,
          "  const res = await fetch('https://api.notes-sync.example.com/v1/notes', { method: 'POST', body: JSON.stringify(notes) });\n  const body = await res.json();\n  return body.count;\n",
          "  try {\n    const res = await fetch('https://api.notes-sync.example.com/v1/notes', { method: 'POST', body: JSON.stringify(notes) });\n    if (!res.ok) return 0;\n    const body = await res.json();\n    return body.count ?? 0;\n  } catch (e) {\n    console.warn('[notes] sync failed', e instanceof Error ? e.message : e);\n    return 0;\n  }\n",
        ),
      ]),
    stats: { files: 1, added: 9, removed: 3 },
  },
  {
    name: 'a fix with a test added next to it in the existing test file',
    candidate: () =>
      candidate([
        edit(
          BG,
          '  return tab.title.length > 20 ? tab.title.slice(0, 20) : tab.title;',
          "  const title = tab.title ?? '';\n  return title.length > 20 ? title.slice(0, 20) : title;",
        ),
        edit(
          'test/messaging.test.js',
          "test('readBadge keeps short titles'",
          "test('readBadge tolerates a tab without a title', () => {\n  assert.equal(readBadge({}), '');\n});\n\ntest('readBadge keeps short titles'",
        ),
      ]),
    stats: { files: 2, added: 6, removed: 1 },
  },
  {
    name: 'a fix with a new test file beside the fixed module',
    candidate: () =>
      candidate([
        edit(
          STORAGE,
          '  return JSON.parse(stored[key]);\n',
          "  const raw = stored[key];\n  return typeof raw === 'string' ? JSON.parse(raw) : [];\n",
        ),
        {
          path: 'test/storage.test.js',
          before: '',
          after: `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNotes } from '../src/lib/storage.js';

test('loadNotes returns [] when nothing is stored', async () => {
  globalThis.chrome = { storage: { local: { get: async () => ({}) } } };
  assert.deepEqual(await loadNotes(7), []);
});
`,
        },
      ]),
    stats: { files: 2, added: 10, removed: 1 },
  },
  {
    name: 'a TypeScript file: optional chaining with a type guard',
    candidate: () =>
      candidate([
        edit(
          'src/lib/settings.ts',
          '  const value = (raw as Record<string, unknown>).settings as Partial<Settings>;',
          "  const value = (raw?.settings ?? {}) as Partial<Settings>;\n  if (typeof value !== 'object' || value === null) return { ...DEFAULTS };",
        ),
      ]),
    stats: { files: 1, added: 2, removed: 1 },
  },
  {
    name: 'a TSX component: .catch on runtime.sendMessage and a guarded read',
    candidate: () =>
      candidate([
        edit(
          'src/popup/popup.tsx',
          "    chrome.runtime.sendMessage({ type: 'notes:get', tabId }).then((r) => setCount(r.notes.length));",
          "    chrome.runtime\n      .sendMessage({ type: 'notes:get', tabId })\n      .then((r: { notes?: unknown[] } | undefined) => setCount(r?.notes?.length ?? 0))\n      .catch(() => setCount(0));",
        ),
      ]),
    stats: { files: 1, added: 4, removed: 1 },
  },
  {
    name: 'an extension page: a hidden error line in the popup HTML',
    candidate: () =>
      candidate([
        edit(
          'src/popup/popup.html',
          '    <div id="root"></div>\n',
          '    <div id="root"></div>\n    <p id="error" class="error" hidden>Notes are unavailable on this page.</p>\n',
        ),
      ]),
    stats: { files: 1, added: 1, removed: 0 },
  },
  {
    name: 'comments that name APIs and files (chrome.runtime.id, popup.js, logger.info, rect.top)',
    candidate: () =>
      candidate([
        edit(
          BG,
          'export function readBadge(tab) {\n',
          "// chrome.runtime.id is stable; popup.js and options.html share this; see logger.info and rect.top.\n// Cannot read properties of undefined (reading 'length') came from tabs without a title.\nexport function readBadge(tab) {\n  if (typeof tab?.title !== 'string') return '';\n",
        ),
      ]),
    stats: { files: 1, added: 3, removed: 0 },
  },
];

describe('guardrails: benign fixes pass', () => {
  test(`has at least 8 benign fixes (${cases.length})`, ({ expect }) => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  for (const c of cases) {
    test(c.name, ({ expect }) => {
      const verdict = checkCandidate(c.candidate(), context(), REPO, LIMITS);
      expect(verdict).toEqual({ ok: true, stats: c.stats });
    });
  }

  test('the same candidate gets the same verdict (deterministic)', ({ expect }) => {
    const c = cases[1];
    if (c === undefined) throw new Error('no case');
    const a = checkCandidate(c.candidate(), context(), REPO, LIMITS);
    const b = checkCandidate(c.candidate(), context(), REPO, LIMITS);
    expect(b).toEqual(a);
  });

  test('limits are inclusive: exactly maxDiffLines and maxFiles pass', ({ expect }) => {
    const c = cases[5]; // 2 files, 7 changed lines
    if (c === undefined) throw new Error('no case');
    expect(
      checkCandidate(c.candidate(), context(), REPO, { maxDiffLines: 7, maxFiles: 2 }).ok,
    ).toBe(true);
    const tight = checkCandidate(c.candidate(), context(), REPO, { maxDiffLines: 6, maxFiles: 1 });
    expect(tight.ok ? [] : tight.rejections.map((r) => r.reason).sort()).toEqual([
      'too_many_files',
      'too_many_lines',
    ]);
  });
});
