import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { type BenchBug, FIX_BENCH_DIR, loadBugs } from './fix-bench-runner.ts';

/**
 * Where each fix-bench stack comes from (issue 9 item 8: "lines/columns must point at the real code
 * location — compute them"). There is no Chromium on this machine, so each bug is triggered in V8
 * as it is in the browser: the files the extension loads (dist/ for bundled fixtures) run in a
 * fresh Node process against the fixture's own fake `chrome` and DOM, and the error that escapes
 * is rewritten the way Chrome prints it:
 * - frame URLs `file:///…/<fixture>/p` become `chrome-extension://<extensionId>/p`;
 * - the fake's and the dispatcher's frames go (Chrome's API bindings and event dispatch are native
 *   and print no frame), built-ins between extension frames such as `JSON.parse (<anonymous>)`
 *   stay;
 * - where Blink's message differs from Node's (`new URL` is Blink's own), the bug gives Chrome's.
 *
 * `npm exec -- node scripts/bench/fix-bench-capture.ts [--write] [id…]` compares each bug.json's
 * stack with a fresh capture (`--write` puts the capture in bug.json; format it with Biome after).
 * Frameless bugs (a failed chrome.* call rejects with no frame at all) have nothing to capture.
 */

interface FakeChrome {
  chrome: {
    alarms: { onAlarm: Dispatchable };
    tabs: { onUpdated: Dispatchable };
    runtime: { onMessage: { addListener(fn: (...args: unknown[]) => unknown): void } };
    contextMenus: { create: (...args: unknown[]) => unknown };
  };
  errors: { kind: string; error: Error }[];
  settle(): Promise<void>;
  invalidate(): void;
}
interface Dispatchable {
  dispatch(...args: unknown[]): unknown;
}
interface FakeElement {
  click(): void;
}
interface FakeDocument {
  errors: Error[];
  selection: string;
  getElementById(id: string): FakeElement;
  dispatchEvent(event: unknown): void;
}
interface Helpers {
  installChrome(options?: Record<string, unknown>): FakeChrome;
  createDocument(elements?: Record<string, unknown>[]): FakeDocument;
  Event: new (type: string, init?: Record<string, unknown>) => unknown;
  HTMLElement: new (...args: unknown[]) => FakeElement;
}

interface Trigger {
  /** Makes the bug happen; returns the error as Chrome would hold it. */
  run(h: Helpers, fixture: Fixture): Promise<Error>;
  /** Chrome's message where Node's differs. */
  chromeMessage?: string;
}

interface Fixture {
  url(repoPath: string): string;
  /** Loads a classic (IIFE) script as the page or worker would, under its own file URL. */
  script(repoPath: string): void;
}

async function escaped(fake: FakeChrome, doc?: FakeDocument): Promise<Error> {
  await fake.settle();
  const error = fake.errors[0]?.error ?? doc?.errors[0];
  if (!error) throw new Error('the trigger raised no error');
  return error;
}

const TRIGGERS: Record<string, Trigger> = {
  'shelf-filter-missing': {
    async run(h, f) {
      const fake = h.installChrome({ storage: { local: { items: [] } } });
      // The popup's page: no filter box.
      setGlobal(
        'document',
        h.createDocument([
          { tag: 'ul', id: 'items' },
          { tag: 'p', id: 'count' },
        ]),
      );
      await import(f.url('src/list/main.js'));
      return escaped(fake);
    },
  },
  'ticker-html-response': {
    async run(h, f) {
      const fake = h.installChrome();
      setGlobal('fetch', async () => new Response(MAINTENANCE_PAGE, { status: 503 }));
      await import(f.url('src/background.js'));
      fake.chrome.alarms.onAlarm.dispatch({ name: 'refresh', scheduledTime: 0 });
      return escaped(fake);
    },
  },
  'quotes-menu-duplicate': {
    // Chrome reports the unchecked error against the call whose callback never read it.
    chromeMessage: 'Unchecked runtime.lastError: Cannot create item with duplicate id save-quote',
    async run(h, f) {
      // A worker waking up: Chrome kept the menus of the previous run.
      const fake = h.installChrome({ menus: [{ id: 'save-quote' }, { id: 'save-quote-tagged' }] });
      const create = fake.chrome.contextMenus.create;
      const calls: Error[] = [];
      fake.chrome.contextMenus.create = (...args: unknown[]) => {
        calls.push(new Error('call'));
        return create(...args);
      };
      await import(f.url('src/background.js'));
      await fake.settle();
      const first = fake.errors.findIndex((e) => e.kind === 'lastError');
      const call = calls[first];
      if (first < 0 || !call) throw new Error('no unchecked lastError');
      return call;
    },
  },
  'define-context-invalidated': {
    async run(h, f) {
      const fake = h.installChrome();
      fake.chrome.runtime.onMessage.addListener((_m, _s, reply) => {
        (reply as (r: unknown) => void)(null);
        return false;
      });
      const doc = h.createDocument();
      setGlobal('document', doc);
      f.script('dist/content.js');
      // The extension is updated; the old content script stays in the open tab.
      fake.invalidate();
      doc.selection = 'serendipity';
      doc.dispatchEvent(new h.Event('dblclick', { clientX: 10, clientY: 20 }));
      return escaped(fake, doc);
    },
  },
  'visit-log-unawaited': {
    chromeMessage: "Failed to construct 'URL': Invalid URL",
    async run(h, f) {
      const fake = h.installChrome();
      await import(f.url('src/background.js'));
      // The new tab page: no url without the "tabs" permission.
      fake.chrome.tabs.onUpdated.dispatch(3, { status: 'complete' }, { id: 3, status: 'complete' });
      return escaped(fake);
    },
  },
  'reading-list-pagination': {
    async run(h, f) {
      const articles = Array.from({ length: 23 }, (_, i) => ({
        title: `Article ${i + 1}`,
        url: `https://blog.example/posts/${i + 1}`,
        savedAt: 1_700_000_000_000 - i * 60_000,
      }));
      h.installChrome({ storage: { local: { articles } } });
      class HTMLButtonElement extends h.HTMLElement {}
      const doc = h.createDocument([
        { tag: 'ol', id: 'articles' },
        { tag: 'span', id: 'page' },
        { tag: 'button', id: 'previous' },
        { tag: 'button', id: 'next' },
      ]);
      for (const id of ['previous', 'next']) {
        Object.setPrototypeOf(doc.getElementById(id), HTMLButtonElement.prototype);
      }
      setGlobal('document', doc);
      await import(f.url('dist/popup.js'));
      // Next, next: the last page.
      doc.getElementById('next').click();
      doc.getElementById('next').click();
      const error = doc.errors[0];
      if (!error) throw new Error('the trigger raised no error');
      return error;
    },
  },
  'blocker-wrong-key': {
    async run(h, f) {
      const fake = h.installChrome({
        storage: { sync: { blockedSites: ['reddit.com'], allowSubdomains: false } },
        tabs: [{ id: 5, url: 'about:blank' }],
      });
      await import(f.url('src/background.js'));
      fake.chrome.tabs.onUpdated.dispatch(5, { url: 'https://www.reddit.com/' }, { id: 5 });
      return escaped(fake);
    },
  },
  'price-history-return-true': {
    async run(h, f) {
      const fake = h.installChrome();
      f.script('dist/background.js');
      // A product page of the shop, as its microdata gives it.
      const node = (text: string, content?: string) => ({
        textContent: text,
        getAttribute: () => content ?? null,
        after() {},
      });
      setGlobal('document', {
        querySelector: (selector: string) =>
          selector.includes('sku') ? node('B0C1') : node('', '24.50'),
        createElement: () => ({}),
      });
      f.script('dist/content.js');
      return escaped(fake);
    },
  },
  'review-radar-rate-limit': {
    async run(h, f) {
      const fake = h.installChrome({ storage: { local: { token: 'test-token' } } });
      setGlobal(
        'fetch',
        async () =>
          new Response('{"message":"API rate limit exceeded"}', {
            status: 403,
            headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767225600' },
          }),
      );
      await import(f.url('dist/background.js'));
      fake.chrome.alarms.onAlarm.dispatch({ name: 'poll', scheduledTime: 0 });
      return escaped(fake);
    },
  },
  'clip-notes-video-id': {
    async run(h, f) {
      const fake = h.installChrome({
        tabs: [
          {
            id: 3,
            active: true,
            url: 'https://www.youtube.com/shorts/k_9Q-BbXfrs',
            title: 'Knife skills in 40 s',
          },
        ],
      });
      setGlobal(
        'document',
        h.createDocument([
          { tag: 'h1', id: 'video' },
          { tag: 'textarea', id: 'note' },
        ]),
      );
      await import(f.url('src/popup/main.js'));
      return escaped(fake);
    },
  },
  'sessions-cache-version': {
    async run(h, f) {
      const cache = { version: 1, items: [{ title: 'Taxes', urls: ['https://tax.example/'] }] };
      const fake = h.installChrome({ storage: { local: { cache } } });
      setGlobal('document', h.createDocument([{ tag: 'ul', id: 'sessions' }]));
      await import(f.url('src/popup/popup.js'));
      return escaped(fake);
    },
  },
  'inbox-badge-levels': {
    async run(h, f) {
      const fake = h.installChrome();
      setGlobal('fetch', async () => new Response('<feed><fullcount>142</fullcount></feed>'));
      await import(f.url('src/background.js'));
      fake.chrome.alarms.onAlarm.dispatch({ name: 'refresh', scheduledTime: 0 });
      return escaped(fake);
    },
  },
};

const MAINTENANCE_PAGE = `<!DOCTYPE html>
<html>
<head><title>503 Service Temporarily Unavailable</title></head>
<body><h1>We'll be back soon</h1></body>
</html>`;

function setGlobal(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}

/** Bugs a trigger can raise: every bug with frames. Frameless ones have nothing to capture. */
export function capturable(bug: BenchBug): boolean {
  return bug.error.stack !== `${bug.error.type}: ${bug.error.message}`;
}

/** `error.stack` as Chrome would print it for the extension `extensionId` loaded from `dir`. */
export function asChromeStack(
  error: Error,
  dir: string,
  extensionId: string,
  chromeMessage?: string,
): string {
  const base = `${pathToFileURL(dir).href}/`;
  const lines = String(error.stack).split('\n');
  const firstFrame = lines.findIndex((line) => /^ {4}at /.test(line));
  const header = lines.slice(0, firstFrame < 0 ? lines.length : firstFrame).join('\n');
  const frames = firstFrame < 0 ? [] : lines.slice(firstFrame);
  const own = (line: string) => line.includes(base) && !line.includes(`${base}test/`);
  const kept = frames
    .filter((line) => own(line) || / \(<anonymous>\)$/.test(line))
    .map((line) => line.replaceAll(base, `chrome-extension://${extensionId}/`));
  while (kept.length > 0 && !kept.at(-1)?.includes('chrome-extension://')) kept.pop();
  const first = chromeMessage === undefined ? header : `${error.name}: ${chromeMessage}`;
  return [first, ...kept].join('\n');
}

function helperFile(bug: BenchBug, name: string): string {
  const own = path.join(bug.dir, 'test', 'helpers', name);
  if (existsSync(own)) return own;
  // Every fixture carries the same copy of the helpers it needs; any copy will do.
  for (const other of ['shelf-filter-missing', 'define-context-invalidated']) {
    const file = path.join(FIX_BENCH_DIR, other, 'test', 'helpers', name);
    if (existsSync(file)) return file;
  }
  throw new Error(`no ${name} in the fix bench`);
}

/** Runs in the child process: triggers one bug and prints its Chrome stack as JSON. */
async function captureHere(id: string): Promise<void> {
  const bug = (await loadBugs()).find((b) => b.id === id);
  const trigger = TRIGGERS[id];
  if (!bug || !trigger) throw new Error(`no trigger for ${id}`);
  const helpers = {
    ...(await import(pathToFileURL(helperFile(bug, 'fake-chrome.js')).href)),
    ...(await import(pathToFileURL(helperFile(bug, 'fake-dom.js')).href)),
  } as Helpers;
  const fixture: Fixture = {
    url: (p) => pathToFileURL(path.join(bug.dir, p)).href,
    script(p) {
      const url = pathToFileURL(path.join(bug.dir, p)).href;
      vm.runInThisContext(readFileSync(path.join(bug.dir, p), 'utf8'), { filename: url });
    },
  };
  const error = await trigger.run(helpers, fixture);
  const stack = asChromeStack(error, bug.dir, bug.extensionId, trigger.chromeMessage);
  process.stdout.write(`${JSON.stringify({ stack })}\n`);
}

/** The bug's stack, captured afresh in a child process (the trigger changes globals). */
export function captureStack(bug: BenchBug, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [import.meta.filename, '--child', bug.id], {
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"stack":'));
      if (code !== 0 || !line) {
        reject(new Error(`capture of ${bug.id} failed (exit ${code}): ${err}`));
        return;
      }
      resolve((JSON.parse(line) as { stack: string }).stack);
    });
  });
}

async function main(args: string[]): Promise<number> {
  if (args[0] === '--child') {
    await captureHere(args[1] ?? '');
    return 0;
  }
  const write = args.includes('--write');
  const ids = args.filter((a) => !a.startsWith('--'));
  let differ = 0;
  for (const bug of await loadBugs()) {
    if ((ids.length > 0 && !ids.includes(bug.id)) || !capturable(bug)) continue;
    const stack = await captureStack(bug);
    if (stack === bug.error.stack) {
      console.log(`same   ${bug.id}`);
      continue;
    }
    differ += 1;
    console.log(`differ ${bug.id}\n  bug.json: ${JSON.stringify(bug.error.stack)}`);
    console.log(`  capture:  ${JSON.stringify(stack)}`);
    if (write) {
      const file = path.join(bug.dir, 'bug.json');
      const json = JSON.parse(await readFile(file, 'utf8'));
      const header = stack.split('\n    at ')[0] ?? '';
      json.error.message = header.slice(bug.error.type.length + 2);
      json.error.stack = stack;
      await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    }
  }
  return differ > 0 && !write ? 1 : 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
