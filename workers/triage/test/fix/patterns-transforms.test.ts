import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import type { FixContext } from '../../src/fix/fix.types.ts';
import { matchPattern } from '../../src/fix/patterns/pattern-matcher.ts';
import { TRANSFORMS } from '../../src/fix/patterns/transforms/transform-registry.ts';
import { code, fixContext, parses, withFiles } from './patterns-context.ts';

/**
 * Each built-in transform on realistic extension code (TS and JS), reached the way the engine
 * reaches it: the exact message Chrome (or Safari, Firefox) prints → the matcher → the pattern's
 * transform. Every fix must parse, and the same error against the fixed code changes nothing.
 */

async function fix(ctx: FixContext) {
  const result = await matchPattern(env.DB, ctx, { repo: ctx.repo, threshold: 0.8 });
  if (!result.ok) throw new Error(`no candidate: ${result.reason} ${JSON.stringify(result.tried)}`);
  for (const change of result.candidate.changes) {
    if (!parses(change.path, change.after)) throw new Error(`${change.path} does not parse`);
    if (change.before !== ctx.files[change.path]?.content)
      throw new Error('before is not the file');
  }
  return result.candidate;
}

/** The same error against the fixed files: no pattern may change them again. */
async function expectIdempotent(ctx: FixContext, changes: { path: string; after: string }[]) {
  const again = await matchPattern(env.DB, withFiles(ctx, changes), {
    repo: ctx.repo,
    threshold: 0.8,
  });
  if (again.ok) {
    throw new Error(
      `changed twice by ${again.candidate.source.kind === 'pattern' ? again.candidate.source.patternId : ''}`,
    );
  }
  return again;
}

function after(candidate: { changes: { path: string; after: string }[] }, path: string): string {
  const change = candidate.changes.find((c) => c.path === path);
  if (!change) throw new Error(`${path} unchanged`);
  return change.after;
}

describe('a. property read of null/undefined → optional chaining', () => {
  const price = code`
    export function readPrice(root: ParentNode): number {
      const label = root.querySelector('.price').textContent;
      return Number(label.replace('$', ''));
    }
  `;

  test('V8: the member read at the culprit becomes optional (TS content script)', async ({
    expect,
  }) => {
    const ctx = fixContext({
      files: { 'src/content/price.ts': price },
      frames: [{ path: 'src/content/price.ts', line: 2, column: 47 }],
      type: 'TypeError',
      message: "Cannot read properties of null (reading 'textContent')",
      surface: 'content',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toEqual({
      kind: 'pattern',
      patternId: 'builtin:property-read/v8',
      confidence: 0.9,
      fuzzy: false,
    });
    expect(after(candidate, 'src/content/price.ts')).toBe(
      price.replace(".price').textContent", ".price')?.textContent"),
    );
    const again = await expectIdempotent(ctx, candidate.changes);
    expect(again.tried.find((t) => t.patternId === 'builtin:property-read/v8')?.outcome).toBe(
      'already_guarded',
    );
  });

  test('a method read from undefined: `a.b.c()` becomes `a.b?.c()` (JS, no column)', async ({
    expect,
  }) => {
    const src = code`
      chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
        const handler = handlers[message.type];
        const result = state.session.user.refresh(handler);
        sendResponse(result);
      });
    `;
    const ctx = fixContext({
      files: { 'background.js': src },
      frames: [{ path: 'background.js', line: 3 }],
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'refresh')",
    });
    const candidate = await fix(ctx);
    expect(after(candidate, 'background.js')).toBe(src.replace('user.refresh(', 'user?.refresh('));
    await expectIdempotent(ctx, candidate.changes);
  });

  test('Safari names the whole expression; Firefox abbreviates calls; TS `!` is replaced', async ({
    expect,
  }) => {
    const src = code`
      export function title(doc: Document): string {
        const heading = doc.querySelector('h1');
        return heading!.textContent.trim();
      }
    `;
    const safari = fixContext({
      files: { 'src/popup/title.ts': src },
      frames: [{ path: 'src/popup/title.ts', line: 3 }],
      type: 'TypeError',
      message: "null is not an object (evaluating 'heading.textContent')",
    });
    const a = await fix(safari);
    expect(a.source).toMatchObject({ patternId: 'builtin:property-read/safari' });
    expect(after(a, 'src/popup/title.ts')).toBe(
      src.replace('heading!.textContent', 'heading?.textContent'),
    );

    const firefox = fixContext({
      files: { 'src/popup/title.ts': src },
      frames: [{ path: 'src/popup/title.ts', line: 3 }],
      type: 'TypeError',
      message: 'can\'t access property "textContent", heading is null',
    });
    const b = await fix(firefox);
    expect(b.source).toMatchObject({ patternId: 'builtin:property-read/firefox' });
    expect(after(b, 'src/popup/title.ts')).toBe(after(a, 'src/popup/title.ts'));

    const abbreviated = fixContext({
      files: { 'content.js': "const text = document.querySelector('#main').innerText;\n" },
      frames: [{ path: 'content.js', line: 1 }],
      type: 'TypeError',
      message: 'can\'t access property "innerText", document.querySelector(...) is null',
    });
    expect(after(await fix(abbreviated), 'content.js')).toBe(
      "const text = document.querySelector('#main')?.innerText;\n",
    );
  });

  test('an index read `list[0].id` and a parenthesised object', async ({ expect }) => {
    const src = 'const first = (await chrome.tabs.query({ active: true }))[0].id;\n';
    const ctx = fixContext({
      files: { 'popup.mjs': src },
      frames: [{ path: 'popup.mjs', line: 1 }],
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'id')",
    });
    expect(after(await fix(ctx), 'popup.mjs')).toBe(
      'const first = (await chrome.tabs.query({ active: true }))[0]?.id;\n',
    );
  });

  test('refuses an assignment target (`a.b.count += 1`) and a frame with no such read', async ({
    expect,
  }) => {
    const src = code`
      function bump(tabId) {
        counters[tabId].count += 1;
      }
    `;
    const target = fixContext({
      files: { 'background.js': src },
      frames: [{ path: 'background.js', line: 2 }],
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'count')",
    });
    const result = TRANSFORMS['optional-chain'].apply({
      ctx: target,
      captures: { nullish: 'undefined', property: 'count' },
      params: {},
    });
    expect(result).toEqual({ ok: false, reason: 'unsafe_target' });
    const elsewhere = TRANSFORMS['optional-chain'].apply({
      ctx: fixContext({
        files: { 'background.js': 'const total = stats.count + 1;\n' },
        frames: [{ path: 'background.js', line: 1 }],
        type: 'TypeError',
        message: "Cannot read properties of undefined (reading 'missing')",
      }),
      captures: { nullish: 'undefined', property: 'missing' },
      params: {},
    });
    expect(elsewhere).toEqual({ ok: false, reason: 'no_target_node' });
    const notNullish = TRANSFORMS['optional-chain'].apply({
      ctx: target,
      captures: { nullish: 'not a function', object: 'x' },
      params: {},
    });
    expect(notNullish).toEqual({ ok: false, reason: 'bad_captures' });
  });
});

describe('b. JSON.parse of a non-JSON answer → null', () => {
  test("V8's HTML-page message: `await res.json()` gets `.catch(() => null)` (TS)", async ({
    expect,
  }) => {
    const src = code`
      export async function fetchRates(base: string): Promise<Rates | null> {
        const res = await fetch(API + '/rates?base=' + base);
        const body = await res.json();
        return body?.rates ?? null;
      }
    `;
    const ctx = fixContext({
      files: { 'src/background/rates.ts': src },
      frames: [{ path: 'src/background/rates.ts', line: 3, function: 'fetchRates' }],
      type: 'SyntaxError',
      message: 'Unexpected token \'<\', "<!DOCTYPE "... is not valid JSON',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:json-parse/v8', fuzzy: false });
    expect(after(candidate, 'src/background/rates.ts')).toBe(
      src.replace('await res.json();', 'await res.json().catch(() => null);'),
    );
    await expectIdempotent(ctx, candidate.changes);
  });

  test('`JSON.parse(raw)` becomes a try/catch IIFE; V8 quotes raw newlines (field notes)', async ({
    expect,
  }) => {
    const src = code`
      function readCache(raw) {
        const cache = JSON.parse(raw);
        return cache.entries;
      }
    `;
    for (const message of [
      'Unexpected end of JSON input',
      'Unexpected token \'<\', "<html>\n<hea"... is not valid JSON',
      'Unexpected token < in JSON at position 0',
    ]) {
      const ctx = fixContext({
        files: { 'lib/cache.js': src },
        frames: [{ path: 'lib/cache.js', line: 2 }],
        type: 'SyntaxError',
        message,
      });
      const candidate = await fix(ctx);
      expect(after(candidate, 'lib/cache.js')).toBe(code`
        function readCache(raw) {
          const cache = (() => {
            try {
              return JSON.parse(raw);
            } catch {
              return null;
            }
          })();
          return cache.entries;
        }
      `);
      await expectIdempotent(ctx, candidate.changes);
    }
  });

  test('an argument that awaits stays outside the arrow; a parse inside try is left alone', async ({
    expect,
  }) => {
    const src = code`
      async function load(res: Response) {
        return JSON.parse(await res.text()) as Settings;
      }
      function safe(raw: string) {
        try {
          return JSON.parse(raw);
        } catch {
          return undefined;
        }
      }
    `;
    const ctx = fixContext({
      files: { 'src/load.ts': src },
      frames: [{ path: 'src/load.ts', line: 2 }],
      type: 'SyntaxError',
      message: 'Unexpected end of JSON input',
    });
    expect(after(await fix(ctx), 'src/load.ts')).toContain(
      code`
        return ((text) => {
          try {
            return JSON.parse(text);
          } catch {
            return null;
          }
        })(await res.text()) as Settings;
      `
        .replace(/^/gm, '  ')
        .trimEnd(),
    );
    const guarded = TRANSFORMS['json-parse-guard'].apply({
      ctx: fixContext({ ...ctxInput(src), frames: [{ path: 'src/load.ts', line: 6 }] }),
      captures: {},
      params: {},
    });
    expect(guarded).toEqual({ ok: false, reason: 'already_guarded' });
  });
});

function ctxInput(src: string) {
  return {
    files: { 'src/load.ts': src },
    frames: [],
    type: 'SyntaxError',
    message: 'Unexpected end of JSON input',
  };
}

describe('c. Unchecked runtime.lastError → the callback checks it first', () => {
  test('block and concise callbacks of chrome.* calls at the frames (JS)', async ({ expect }) => {
    const src = code`
      function refreshBadge(tabId) {
        chrome.tabs.get(tabId, (tab) => {
          chrome.action.setBadgeText({ tabId, text: tab.title.slice(0, 3) });
        });
        chrome.runtime.sendMessage({ type: 'refreshed' }, (reply) => log(reply.ok));
      }
    `;
    const ctx = fixContext({
      files: { 'background.js': src },
      frames: [
        { path: 'background.js', line: 2 },
        { path: 'background.js', line: 5 },
      ],
      type: 'Error',
      message: 'Unchecked runtime.lastError: No tab with id: 1842.',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:last-error' });
    expect(after(candidate, 'background.js')).toBe(code`
      function refreshBadge(tabId) {
        chrome.tabs.get(tabId, (tab) => {
          if (chrome.runtime.lastError) return;
          chrome.action.setBadgeText({ tabId, text: tab.title.slice(0, 3) });
        });
        chrome.runtime.sendMessage({ type: 'refreshed' }, (reply) => {
          if (chrome.runtime.lastError) return;
          return log(reply.ok);
        });
      }
    `);
    await expectIdempotent(ctx, candidate.changes);
  });

  test('a listener registration is not a callback call', ({ expect }) => {
    const ctx = fixContext({
      files: {
        'background.js': 'chrome.tabs.onUpdated.addListener((id, info) => track(id, info));\n',
      },
      frames: [{ path: 'background.js', line: 1 }],
      type: 'Error',
      message:
        'Unchecked runtime.lastError: The message port closed before a response was received.',
    });
    expect(TRANSFORMS['last-error-check'].apply({ ctx, captures: {}, params: {} })).toEqual({
      ok: false,
      reason: 'no_target_node',
    });
  });
});

describe('d. Receiving end does not exist → swallow only that error', () => {
  test('frameless: every send at the frames, in two files, the chain end and the awaited result', async ({
    expect,
  }) => {
    const popup = code`
      export async function askStatus(tabId: number) {
        const status = await chrome.tabs.sendMessage(tabId, { type: 'status' });
        render(status.count);
      }
    `;
    const background = code`
      function announce() {
        chrome.runtime.sendMessage({ type: 'ready' }).then(() => markAnnounced());
      }
    `;
    const ctx = fixContext({
      files: { 'src/popup.ts': popup, 'src/background.js': background },
      frames: [
        { path: 'src/popup.ts', line: 2 },
        { path: 'src/background.js', line: 2 },
      ],
      type: 'Error',
      message: 'Could not establish connection. Receiving end does not exist.',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:receiving-end', fuzzy: false });
    expect(after(candidate, 'src/popup.ts')).toBe(code`
      export async function askStatus(tabId: number) {
        const status = await chrome.tabs.sendMessage(tabId, { type: 'status' }).catch((error) => {
          if (!String(error?.message ?? error).includes('Receiving end does not exist')) throw error;
        });
        if (status === undefined) return;
        render(status.count);
      }
    `);
    expect(after(candidate, 'src/background.js')).toBe(code`
      function announce() {
        chrome.runtime.sendMessage({ type: 'ready' }).then(() => markAnnounced()).catch((error) => {
          if (!String(error?.message ?? error).includes('Receiving end does not exist')) throw error;
        });
      }
    `);
    await expectIdempotent(ctx, candidate.changes);
  });

  test('a callback-style send is left to the lastError pattern', ({ expect }) => {
    const ctx = fixContext({
      files: { 'content.js': "chrome.runtime.sendMessage({ type: 'x' }, (r) => use(r));\n" },
      frames: [{ path: 'content.js', line: 1 }],
      type: 'Error',
      message: 'Could not establish connection. Receiving end does not exist.',
    });
    expect(TRANSFORMS['catch-receiving-end'].apply({ ctx, captures: {}, params: {} })).toEqual({
      ok: false,
      reason: 'no_target_node',
    });
  });
});

describe('e. No tab with id → swallow only that error', () => {
  test('chrome.tabs.get in an onActivated listener; the unused badge call is left alone (TS)', async ({
    expect,
  }) => {
    const src = code`
      chrome.tabs.onActivated.addListener(async ({ tabId }) => {
        const tab = await chrome.tabs.get(tabId);
        await chrome.action.setBadgeText({ tabId, text: tab.title ?? '' });
      });
    `;
    const ctx = fixContext({
      files: { 'src/background.ts': src },
      frames: [{ path: 'src/background.ts', line: 2 }],
      type: 'Error',
      message: 'No tab with id: 1842.',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:no-tab' });
    expect(after(candidate, 'src/background.ts')).toBe(code`
      chrome.tabs.onActivated.addListener(async ({ tabId }) => {
        const tab = await chrome.tabs.get(tabId).catch((error) => {
          if (!String(error?.message ?? error).includes('No tab with id')) throw error;
        });
        if (tab === undefined) return;
        await chrome.action.setBadgeText({ tabId, text: tab.title ?? '' });
      });
    `);
    await expectIdempotent(ctx, candidate.changes);
  });

  test('a tab id of another install groups the same and fixes the same', async ({ expect }) => {
    const src = 'async function reload(id) {\n  await chrome.tabs.reload(id);\n}\n';
    const ctx = (message: string) =>
      fixContext({
        files: { 'bg.js': src },
        frames: [{ path: 'bg.js', line: 2 }],
        type: 'Error',
        message,
      });
    const a = await fix(ctx('No tab with id: 7.'));
    const b = await fix(ctx('No tab with id: 1266480129.'));
    expect(a.changes).toEqual(b.changes);
  });
});

describe('f. storage quota → sync falls back to local', () => {
  const src = code`
    export async function saveSettings(settings: Settings): Promise<void> {
      await chrome.storage.sync.set({ settings });
      notify('saved');
    }
  `;

  for (const message of [
    'Resource::kQuotaBytesPerItem quota exceeded',
    'QUOTA_BYTES_PER_ITEM quota exceeded',
    'QUOTA_BYTES quota exceeded',
  ]) {
    test(`"${message}"`, async ({ expect }) => {
      const ctx = fixContext({
        files: { 'src/options/save.ts': src },
        frames: [{ path: 'src/options/save.ts', line: 2 }],
        type: 'Error',
        message,
      });
      const candidate = await fix(ctx);
      expect(candidate.source).toMatchObject({ patternId: 'builtin:storage-quota' });
      expect(after(candidate, 'src/options/save.ts')).toBe(code`
        export async function saveSettings(settings: Settings): Promise<void> {
          await chrome.storage.sync.set({ settings }).catch((error) => {
            if (!/QUOTA_BYTES|kQuotaBytes/.test(String(error?.message ?? error))) throw error;
            return chrome.storage.local.set({ settings });
          });
          notify('saved');
        }
      `);
      await expectIdempotent(ctx, candidate.changes);
    });
  }

  test('another quota, or items with side effects, are not rewritten', async ({ expect }) => {
    const writes = fixContext({
      files: { 'src/options/save.ts': src },
      frames: [{ path: 'src/options/save.ts', line: 2 }],
      type: 'Error',
      message: 'MAX_WRITE_OPERATIONS_PER_MINUTE quota exceeded',
    });
    const result = await matchPattern(env.DB, writes, { repo: writes.repo });
    expect(result.ok).toBe(false);
    expect(result.tried.find((t) => t.patternId === 'builtin:storage-quota')?.outcome).toBe(
      'bad_captures',
    );
    const impure = fixContext({
      files: { 'opts.js': 'chrome.storage.sync.set(collectForm());\n' },
      frames: [{ path: 'opts.js', line: 1 }],
      type: 'Error',
      message: 'QUOTA_BYTES quota exceeded',
    });
    expect(
      TRANSFORMS['storage-quota-fallback'].apply({ ctx: impure, captures: {}, params: {} }),
    ).toEqual({
      ok: false,
      reason: 'unsafe_target',
    });
  });
});

describe('g. Extension context invalidated → early return and swallow', () => {
  test('content script: sendMessage and storage.get, in functions; getURL at top level untouched', async ({
    expect,
  }) => {
    const src = code`
      function report(selection) {
        chrome.runtime.sendMessage({ type: 'selection', text: selection });
      }
      document.addEventListener('mouseup', async () => {
        const { enabled } = await chrome.storage.local.get('enabled');
        if (enabled) report(String(window.getSelection()));
      });
    `;
    const ctx = fixContext({
      files: { 'content.js': src },
      frames: [
        { path: 'content.js', line: 2 },
        { path: 'content.js', line: 5 },
      ],
      type: 'Error',
      message: 'Extension context invalidated.',
      surface: 'content',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:context-invalidated' });
    expect(after(candidate, 'content.js')).toBe(code`
      function report(selection) {
        if (!chrome.runtime?.id) return;
        chrome.runtime.sendMessage({ type: 'selection', text: selection }).catch((error) => {
          if (!String(error?.message ?? error).includes('Extension context invalidated')) throw error;
        });
      }
      document.addEventListener('mouseup', async () => {
        if (!chrome.runtime?.id) return;
        const { enabled } = await chrome.storage.local.get('enabled').catch((error) => {
          if (!String(error?.message ?? error).includes('Extension context invalidated')) throw error;
          return {};
        });
        if (enabled) report(String(window.getSelection()));
      });
    `);
    await expectIdempotent(ctx, candidate.changes);
  });
});

describe('h. unhandled rejection from a listener → the floating promise is handled', () => {
  const src = code`
    async function syncBatch(items) {
      const res = await fetch(ENDPOINT, { method: 'POST', body: JSON.stringify(items) });
      if (!res.ok) throw new Error('sync failed: ' + res.status);
    }

    chrome.alarms.onAlarm.addListener((alarm) => {
      if (alarm.name === 'sync') {
        syncBatch(queue.splice(0));
      }
    });
  `;

  test('an async function called without await from onAlarm gets a catch at its call', async ({
    expect,
  }) => {
    const ctx = fixContext({
      files: { 'background.js': src },
      frames: [{ path: 'background.js', line: 3, function: 'syncBatch' }],
      type: 'Error',
      message: 'sync failed: 503',
      mechanism: 'onunhandledrejection',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:listener-rejection' });
    expect(after(candidate, 'background.js')).toBe(
      src.replace(
        '    syncBatch(queue.splice(0));',
        '    syncBatch(queue.splice(0)).catch((error) => {\n      console.error(error);\n    });',
      ),
    );
    await expectIdempotent(ctx, candidate.changes);
  });

  test('an async listener: its body runs in try/catch, template text untouched (TS)', async ({
    expect,
  }) => {
    const listener = [
      'chrome.runtime.onInstalled.addListener(async (details) => {',
      '  const note = `installed',
      '  at`;',
      '  await chrome.storage.local.set({ installedAt: Date.now(), note });',
      "  if (details.reason === 'install') await openWelcome();",
      '});',
      '',
    ].join('\n');
    const ctx = fixContext({
      files: { 'src/background.ts': listener },
      frames: [{ path: 'src/background.ts', line: 4 }],
      type: 'Error',
      message: 'QUOTA_BYTES quota exceeded',
    });
    // The quota pattern finds no sync write; the listener pattern (no mechanism: structure only)
    // sees an async listener.
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:listener-rejection' });
    expect(after(candidate, 'src/background.ts')).toBe(
      [
        'chrome.runtime.onInstalled.addListener(async (details) => {',
        '  try {',
        '    const note = `installed',
        '  at`;',
        '    await chrome.storage.local.set({ installedAt: Date.now(), note });',
        "    if (details.reason === 'install') await openWelcome();",
        '  } catch (error) {',
        '    console.error(error);',
        '  }',
        '});',
        '',
      ].join('\n'),
    );
    await expectIdempotent(ctx, candidate.changes);
  });

  test('another mechanism, or a sync function without one, is not a rejection', ({ expect }) => {
    const sync = code`
      function syncBatch(items) {
        if (!items.length) throw new Error('nothing to sync');
        return fetch(ENDPOINT, { method: 'POST', body: JSON.stringify(items) });
      }
      chrome.alarms.onAlarm.addListener(() => {
        syncBatch(queue);
      });
    `;
    const onerror = fixContext({
      files: { 'background.js': src },
      frames: [{ path: 'background.js', line: 3 }],
      type: 'Error',
      message: 'sync failed: 503',
      mechanism: 'onerror',
    });
    const t = TRANSFORMS['listener-rejection-catch'];
    expect(t.apply({ ctx: onerror, captures: {}, params: {} })).toEqual({
      ok: false,
      reason: 'not_applicable',
    });
    const unknown = fixContext({
      files: { 'background.js': sync },
      frames: [{ path: 'background.js', line: 2 }],
      type: 'Error',
      message: 'nothing to sync',
    });
    expect(t.apply({ ctx: unknown, captures: {}, params: {} })).toEqual({
      ok: false,
      reason: 'no_target_node',
    });
  });
});

describe('extra: optional call, destructuring default', () => {
  test('`chrome.sidePanel.setPanelBehavior is not a function` → optional call', async ({
    expect,
  }) => {
    const src = code`
      export function setUpPanel(): void {
        chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true });
      }
    `;
    const ctx = fixContext({
      files: { 'src/panel.ts': src },
      frames: [{ path: 'src/panel.ts', line: 2 }],
      type: 'TypeError',
      message: 'chrome.sidePanel.setPanelBehavior is not a function',
    });
    const candidate = await fix(ctx);
    expect(candidate.source).toMatchObject({ patternId: 'builtin:optional-call/v8', fuzzy: false });
    expect(after(candidate, 'src/panel.ts')).toBe(
      src.replace('setPanelBehavior(', 'setPanelBehavior?.('),
    );
    await expectIdempotent(ctx, candidate.changes);
  });

  test("`Cannot destructure property 'theme' of 'prefs' as it is undefined.` → `?? {}`", async ({
    expect,
  }) => {
    const src = code`
      async function applyTheme() {
        const { prefs } = await chrome.storage.sync.get('prefs');
        const { theme, accent } = prefs;
        document.body.dataset.theme = theme;
      }
    `;
    const ctx = fixContext({
      files: { 'popup.js': src },
      frames: [{ path: 'popup.js', line: 3 }],
      type: 'TypeError',
      message: "Cannot destructure property 'theme' of 'prefs' as it is undefined.",
    });
    const candidate = await fix(ctx);
    expect(after(candidate, 'popup.js')).toBe(src.replace('} = prefs;', '} = prefs ?? {};'));
    await expectIdempotent(ctx, candidate.changes);
  });
});

describe('TypeScript: inserted code keeps the file type-checking', () => {
  test('TS: a swallowed storage read answers `{} as Record<string, never>`; no bare return in a Promise<boolean> function', async ({
    expect,
  }) => {
    const src = code`
      export async function isEnabled(): Promise<boolean> {
        const { enabled } = await chrome.storage.local.get('enabled');
        return enabled === true;
      }
    `;
    const ctx = fixContext({
      files: { 'src/content/flags.ts': src },
      frames: [{ path: 'src/content/flags.ts', line: 2 }],
      type: 'Error',
      message: 'Extension context invalidated.',
      surface: 'content',
    });
    expect(after(await fix(ctx), 'src/content/flags.ts')).toBe(code`
      export async function isEnabled(): Promise<boolean> {
        const { enabled } = await chrome.storage.local.get('enabled').catch((error) => {
          if (!String(error?.message ?? error).includes('Extension context invalidated')) throw error;
          return {} as Record<string, never>;
        });
        return enabled === true;
      }
    `);
  });

  test('a destructuring default is a Partial of the value’s type; a typed parameter is refused', async ({
    expect,
  }) => {
    const src = code`
      export function paint(prefs: Prefs | undefined, point: { x: number; y: number }) {
        const { theme } = prefs;
        return theme;
      }
      export function move({ x, y }: Point) {
        return x + y;
      }
    `;
    const ctx = fixContext({
      files: { 'src/paint.ts': src },
      frames: [{ path: 'src/paint.ts', line: 2 }],
      type: 'TypeError',
      message: "Cannot destructure property 'theme' of 'prefs' as it is undefined.",
    });
    expect(after(await fix(ctx), 'src/paint.ts')).toBe(
      src.replace('} = prefs;', '} = prefs ?? ({} as Partial<NonNullable<typeof prefs>>);'),
    );
    const param = fixContext({
      files: { 'src/paint.ts': src },
      frames: [{ path: 'src/paint.ts', line: 5 }],
      type: 'TypeError',
      message: "Cannot destructure property 'x' of 'undefined' as it is undefined.",
    });
    expect(
      TRANSFORMS['destructure-default'].apply({
        ctx: param,
        captures: { object: 'undefined' },
        params: {},
      }),
    ).toEqual({ ok: false, reason: 'unsafe_target' });
  });
});

describe('every transform', () => {
  test('refuses a frame into a file it may not edit, and a file that does not parse', ({
    expect,
  }) => {
    const ctx = fixContext({
      files: { 'vendor/lib.js': 'const x = a.b.c;\n', 'broken.js': 'const x = a.b.c +;\n' },
      frames: [{ path: 'vendor/lib.js', line: 1 }],
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'c')",
      editable: ['broken.js'],
    });
    const t = TRANSFORMS['optional-chain'];
    expect(t.apply({ ctx, captures: { property: 'c' }, params: {} })).toEqual({
      ok: false,
      reason: 'no_source',
    });
    const broken = {
      ...ctx,
      frames: [],
      culprit: { ...(ctx.culprit as NonNullable<FixContext['culprit']>), path: 'broken.js' },
    };
    expect(t.apply({ ctx: broken, captures: { property: 'c' }, params: {} })).toEqual({
      ok: false,
      reason: 'parse_failed',
    });
  });
});
