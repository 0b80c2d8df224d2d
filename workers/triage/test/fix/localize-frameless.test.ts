import type { Surface } from '@homeostat/shared';
import { describe, test } from 'vitest';
import { chromeCalls } from '../../src/fix/localize/chrome-calls.ts';
import { noSourceMaps } from '../../src/fix/localize/frame-mapper.ts';
import { framelessRule, locateFrameless } from '../../src/fix/localize/frameless.ts';
import { localize } from '../../src/fix/localize/localize.ts';
import { surfaceEntries } from '../../src/fix/localize/manifest-surfaces.ts';
import { parseSource } from '../../src/fix/localize/parse-source.ts';
import { extension, report, repository, snapshotOf } from './localize-fixtures.ts';

// An unbundled MV3 extension at the repository root: a module service worker, a popup page and a
// content script, sharing lib/ modules. Chrome's frameless errors
// (docs/architecture.md#chrome-field-notes) must be traced to the calls that raise them.
const FILES: Record<string, string> = {
  'manifest.json': JSON.stringify({
    manifest_version: 3,
    background: { service_worker: 'background.js', type: 'module' },
    action: { default_popup: 'popup.html' },
    content_scripts: [{ matches: ['https://*/*'], js: ['content.js'] }],
  }),
  'popup.html': '<!doctype html><button id="go">Go</button><script src="popup.js"></script>',
  'background.js': [
    "import { notifyTab } from './lib/tabs.js';",
    "import { saveSettings } from './lib/settings.js';",
    '',
    'chrome.runtime.onMessage.addListener((msg, sender) => {',
    "  if (msg.type === 'done') notifyTab(msg.tabId);",
    '});',
    '',
    'chrome.alarms.onAlarm.addListener(async function onAlarm() {',
    '  const tab = await chrome.tabs.get(42);',
    '  await saveSettings({ last: tab.url });',
    '});',
    '',
  ].join('\n'),
  'lib/tabs.js': [
    'export async function notifyTab(tabId) {',
    "  await chrome.tabs.sendMessage(tabId, { type: 'refresh' });",
    '}',
    '',
  ].join('\n'),
  'lib/settings.js': [
    'export async function saveSettings(settings) {',
    '  await chrome.storage.local.set({ settings });',
    '}',
    'export async function saveHistory(history) {',
    '  await chrome.storage.sync.set({ history });',
    '}',
    '',
  ].join('\n'),
  'popup.js': [
    "import { saveHistory } from './lib/settings.js';",
    "const button = document.getElementById('go');",
    "button.addEventListener('click', async () => {",
    '  const [tab] = await chrome.tabs.query({ active: true });',
    "  await chrome.tabs.sendMessage(tab.id, { type: 'scan' });",
    "  await chrome.runtime.sendMessage({ type: 'done', tabId: tab.id });",
    '  await saveHistory([tab.id]);',
    '});',
    '',
  ].join('\n'),
  'content.js': [
    'chrome.runtime.onMessage.addListener((msg) => {',
    "  if (msg.type === 'scan') scan();",
    '});',
    'function scan() {',
    "  chrome.runtime.sendMessage({ type: 'found', count: document.links.length });",
    '}',
    '',
  ].join('\n'),
  // Never the source: library code and tests call chrome.* too.
  'vendor/polyfill.js': 'chrome.tabs.get(1); chrome.runtime.sendMessage({});\n',
  'test/tabs.test.js': 'chrome.tabs.get(1);\nchrome.storage.sync.set({});\n',
};

async function locate(
  message: string,
  surface: Surface,
  options: { files?: Record<string, string>; repo?: Record<string, unknown> } = {},
) {
  const { snapshot, violations } = await snapshotOf(options.files ?? FILES);
  const result = await locateFrameless({
    message,
    surface,
    snapshot,
    repo: repository(options.repo ?? {}),
  });
  return {
    frames: result?.frames.map((f) => `${f.path}:${f.line}:${f.function ?? '-'}`) ?? null,
    rule: result?.rule ?? null,
    violations,
  };
}

describe('frameless Chrome errors', () => {
  test('the messages Chrome gives are recognised, lastError wrappers included', ({ expect }) => {
    expect(framelessRule('No tab with id: 1842.')?.id).toBe('no-tab');
    expect(framelessRule('Unchecked runtime.lastError: No tab with id: 5.')?.id).toBe('no-tab');
    expect(framelessRule('Could not establish connection. Receiving end does not exist.')?.id).toBe(
      'no-receiver',
    );
    expect(framelessRule('Extension context invalidated.')?.id).toBe('context-invalidated');
    expect(framelessRule('Resource::kQuotaBytesPerItem quota exceeded')?.id).toBe('storage-quota');
    expect(
      framelessRule(
        'Unchecked runtime.lastError: The message port closed before a response was received.',
      )?.id,
    ).toBe('port-closed');
    expect(framelessRule("Cannot read properties of undefined (reading 'x')")).toBeNull();
  });

  test('chrome.* and browser.* calls are found through globals and TypeScript casts', ({
    expect,
  }) => {
    const code = [
      'chrome.tabs.get(1);',
      'await browser.storage.sync.set({ a: 1 });',
      'globalThis.chrome.runtime.sendMessage({}, () => {});',
      '(chrome as any).tabs.remove(2);',
      'chrome.tabs?.update(3, {});',
      'const api = chrome.tabs; api.get(4);',
      'other.chrome.tabs.get(5);',
      '',
    ].join('\n');
    const program = parseSource('a.ts', code);
    if (program === null) throw new Error('parse');
    expect(
      chromeCalls(program).map((c) => `${c.line}:${c.chain.join('.')}${c.callback ? ':cb' : ''}`),
    ).toEqual([
      '1:tabs.get',
      '2:storage.sync.set',
      '3:runtime.sendMessage:cb',
      '4:tabs.remove',
      '5:tabs.update',
    ]);
  });

  test('the manifest tells each surface its entry files, pages through their scripts', async ({
    expect,
  }) => {
    const { snapshot } = await snapshotOf(FILES);
    expect(Object.fromEntries(await surfaceEntries(snapshot, repository()))).toEqual({
      background: ['background.js'],
      popup: ['popup.js'],
      content: ['content.js'],
    });
  });

  test('No tab with id, in the service worker: its own call first, then what it imports', async ({
    expect,
  }) => {
    const background = await locate('No tab with id: 1842.', 'background');
    expect(background).toMatchObject({
      rule: 'no-tab',
      frames: ['background.js:9:onAlarm', 'lib/tabs.js:2:notifyTab'],
    });
    expect(background.violations).toEqual([]);
    // The same message from the popup points at the popup's call.
    expect((await locate('No tab with id: 1842.', 'popup')).frames).toEqual(['popup.js:5:-']);
  });

  test('Receiving end does not exist: the sender of the surface that saw it', async ({
    expect,
  }) => {
    const message = 'Could not establish connection. Receiving end does not exist.';
    expect((await locate(message, 'popup')).frames).toEqual(['popup.js:5:-']);
    expect((await locate(message, 'content')).frames).toEqual(['content.js:5:scan']);
    expect((await locate(message, 'background')).frames).toEqual(['lib/tabs.js:2:notifyTab']);
  });

  test('Extension context invalidated: chrome.runtime in the content script', async ({
    expect,
  }) => {
    expect((await locate('Extension context invalidated.', 'content')).frames).toEqual([
      'content.js:1:-',
    ]);
  });

  test('a per-item storage quota: storage.sync.set before storage.local.set', async ({
    expect,
  }) => {
    expect((await locate('Resource::kQuotaBytesPerItem quota exceeded', 'popup')).frames).toEqual([
      'lib/settings.js:5:saveHistory',
    ]);
    // A total quota can come from either area: the first call in the file wins.
    expect((await locate('QUOTA_BYTES quota exceeded', 'background')).frames).toEqual([
      'lib/settings.js:2:saveSettings',
    ]);
  });

  test('without a manifest, file names tell the surfaces; unknown surface ranks all alike', async ({
    expect,
  }) => {
    const { 'manifest.json': _, ...files } = FILES;
    expect((await locate('No tab with id: 7.', 'background', { files })).frames).toEqual([
      'background.js:9:onAlarm',
    ]);
    expect((await locate('No tab with id: 7.', 'unknown', { files })).frames).toEqual([
      'background.js:9:onAlarm',
      'lib/tabs.js:2:notifyTab',
      'popup.js:5:-',
    ]);
  });

  test('only files inside paths.include are searched', async ({ expect }) => {
    expect(
      (
        await locate('No tab with id: 7.', 'background', {
          repo: { paths: { include: ['lib/**'] } },
        })
      ).frames,
    ).toEqual(['lib/tabs.js:2:notifyTab']);
    expect(
      await locate('No tab with id: 7.', 'background', {
        repo: { paths: { include: ['**'], exclude: ['**/*.js'] } },
      }),
    ).toMatchObject({ frames: null });
  });

  test('through localize: the calls stand in for frames and the context is built around them', async ({
    expect,
  }) => {
    const { snapshot, violations } = await snapshotOf(FILES);
    const outcome = await localize({
      report: report(
        { type: 'Error', message: 'No tab with id: 1842.', stack: 'Error: No tab with id: 1842.' },
        { surface: 'background' },
      ),
      repo: repository(),
      extension,
      snapshot,
      mapper: noSourceMaps,
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.stats.framelessRule).toBe('no-tab');
    expect(outcome.context.culprit).toEqual({
      function: 'onAlarm',
      path: 'background.js',
      line: 9,
      column: 21,
      via: 'source_roots',
    });
    expect(
      Object.fromEntries(Object.entries(outcome.context.files).map(([p, f]) => [p, f.role])),
    ).toEqual({
      'background.js': 'frame',
      'lib/tabs.js': 'frame',
      'lib/settings.js': 'import',
      'test/tabs.test.js': 'test',
    });
    expect(outcome.context.event).toMatchObject({
      message: 'No tab with id: 1842.',
      stack: 'Error: No tab with id: 1842.',
      surface: 'background',
    });
    expect(outcome.context.windows.map((w) => [w.path, w.startLine, w.endLine])).toEqual([
      ['background.js', 1, 11],
      ['lib/tabs.js', 1, 3],
    ]);
    expect(violations).toEqual([]);
  });

  test('an unknown message without frames is no_in_app_frame', async ({ expect }) => {
    const { snapshot } = await snapshotOf(FILES);
    const outcome = await localize({
      report: report({ type: 'Error', message: 'Something odd', stack: 'Error: Something odd' }),
      repo: repository(),
      extension,
      snapshot,
      mapper: noSourceMaps,
    });
    expect(outcome).toMatchObject({ ok: false, reason: 'no_in_app_frame' });
  });
});
