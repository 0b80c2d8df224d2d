import { env } from 'cloudflare:workers';
import {
  type FixQueueMessage,
  FixQueueMessageSchema,
  parseHomeostatConfig,
} from '@homeostat/shared';
import { inject } from 'vitest';
import { createGitHubTestbed } from '../../../../test/emulators/github/github-testbed.ts';
import {
  createModelEmulator,
  modelFetch,
} from '../../../../test/emulators/model/model-emulator.ts';
import { createFixConsumer } from '../../src/fix/fix.consumer.ts';
import { createFixRuntime } from '../../src/fix/fix-runtime.ts';
import type { FetchLike } from '../../src/github/github-client.ts';
import { createTriageConsumer } from '../../src/triage.consumer.ts';
import { createClock } from '../support/clock.ts';
import { API_BASE } from '../support/config.ts';
import { freshFingerprint, seedFingerprint } from '../support/fingerprints.ts';
import { GITHUB_TOKEN } from '../support/github.ts';
import { type Delivery, deliver, fingerprintMessage } from '../support/queue.ts';

/**
 * The fix consumer as production builds it (src/index.ts: `createFixConsumer` over
 * `createFixRuntime`), with the emulators' `fetch` in place of the network: api.github.com goes
 * to the GitHub emulator behind OpenAPI validation, the provider's base URL to the model
 * emulator. The fix message comes from the triage consumer itself, which files the issue in the
 * emulator (or the outbox) and sends the message on FIX_QUEUE; the queue binding is wrapped so
 * the test delivers what was sent, one batch at a time, instead of the local queue delivering it
 * to the Worker's own consumer with the bundled config.
 */

export const MODEL_BASE = 'https://models.fixer.test/v1';
export const MODEL_KEY = 'sk-fix-consumer-test-0001';
export const MODEL_NAME = 'fixer-small-1';
/** Per million tokens: cost = (input·1 + output·4) / 1e6 USD. */
export const PRICING = { inputUsdPerMTok: 1, outputUsdPerMTok: 4 };

export const MANIFEST = `{
  "manifest_version": 3,
  "name": "Notes",
  "version": "1.2.0",
  "action": { "default_popup": "popup.html" },
  "permissions": ["storage"]
}
`;

export const POPUP_HTML = `<!doctype html>
<html>
  <body>
    <p id="title"></p>
    <p id="count"></p>
    <script type="module" src="src/main.js"></script>
  </body>
</html>
`;

export const UTIL = `export function formatCount(n = 0) {
  return \`\${n} note\${n === 1 ? '' : 's'}\`;
}

export function padLabel(label, width) {
  return label + ' '.repeat(width - label.length);
}
`;

export const POPUP = `import { formatCount, padLabel } from './util.js';

export function renderCount(root, state) {
  const label = root.querySelector('#count');
  label.textContent = formatCount(state.notes.length);
}

export function renderTitle(root, note) {
  const title = root.querySelector('#title');
  title.textContent = padLabel(note.title, 12);
}
`;

export const MAIN = `import { renderCount, renderTitle } from './popup.js';

const state = await chrome.storage.local.get(['notes', 'title']);
renderTitle(document, { title: state.title ?? 'Notes' });
renderCount(document, state);
`;

export const POPUP_TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderCount, renderTitle } from '../src/popup.js';

function root() {
  const nodes = { '#count': { textContent: '' }, '#title': { textContent: '' } };
  return { nodes, querySelector: (s) => nodes[s] };
}

test('renderCount shows the number of notes', () => {
  const r = root();
  renderCount(r, { notes: [1, 2] });
  assert.equal(r.nodes['#count'].textContent, '2 notes');
});

test('renderTitle pads a short title', () => {
  const r = root();
  renderTitle(r, { title: 'Notes' });
  assert.equal(r.nodes['#title'].textContent, 'Notes       ');
});
`;

export const FILES: Record<string, string> = {
  'manifest.json': MANIFEST,
  'popup.html': POPUP_HTML,
  'src/main.js': MAIN,
  'src/popup.js': POPUP,
  'src/util.js': UTIL,
  'test/popup.test.js': POPUP_TEST,
};

/** The null read: `state.notes.length` when storage has no notes. */
export const NULL_READ_LINE = '  label.textContent = formatCount(state.notes.length);';
/** The logic error: a title longer than the width gives `repeat` a negative count. */
export const REPEAT_LINE = "  return label + ' '.repeat(width - label.length);";
export const REPEAT_FIXED = "  return label + ' '.repeat(Math.max(0, width - label.length));";

/** 1-based line and column of `needle` in `file` (where V8 reports the failing operation). */
export function position(file: string, line: string, needle: string): string {
  const lines = file.split('\n');
  const index = lines.indexOf(line);
  if (index === -1) throw new Error(`no line ${line}`);
  const column = line.indexOf(needle);
  if (column === -1) throw new Error(`no ${needle} in ${line}`);
  return `${index + 1}:${column + 1}`;
}

export function nullReadStack(extensionId: string): string {
  const at = position(POPUP, NULL_READ_LINE, 'length');
  return [
    "TypeError: Cannot read properties of undefined (reading 'length')",
    `    at renderCount (chrome-extension://${extensionId}/src/popup.js:${at})`,
    `    at chrome-extension://${extensionId}/src/main.js:5:1`,
  ].join('\n');
}

export function repeatStack(extensionId: string): string {
  const at = position(UTIL, REPEAT_LINE, 'repeat');
  const caller = position(POPUP, '  title.textContent = padLabel(note.title, 12);', 'padLabel');
  return [
    'RangeError: Invalid count value: -3',
    '    at String.repeat (<anonymous>)',
    `    at padLabel (chrome-extension://${extensionId}/src/util.js:${at})`,
    `    at renderTitle (chrome-extension://${extensionId}/src/popup.js:${caller})`,
  ].join('\n');
}

const LETTERS = 'abcdefghijklmnop';
let beds = 0;

function extensionId(): string {
  const random = crypto.getRandomValues(new Uint8Array(28));
  const tag = beds.toString(16).padStart(4, '0');
  return [...tag]
    .map((c) => LETTERS[Number.parseInt(c, 16)])
    .concat([...random].map((b) => LETTERS[b % 16]))
    .join('');
}

export interface BedOptions {
  mode?: 'live' | 'dry-run';
  visibility?: 'public' | 'private';
  /** The one model provider's `privateCode`; null: no provider at all. */
  privateCode?: boolean | null;
}

export type Bed = Awaited<ReturnType<typeof fixBed>>;

export async function fixBed(options: BedOptions = {}) {
  beds++;
  const mode = options.mode ?? 'live';
  const clock = createClock(Date.parse('2026-11-21T10:00:00.000Z') + beds * 3 * 86_400_000);
  const ext = extensionId();
  const slug = `octo-org/notes-fix-${beds}-${ext.slice(-6)}`;
  const config = parseHomeostatConfig({
    version: 1,
    github: { apiBaseUrl: API_BASE },
    extensions: [
      {
        id: ext,
        name: 'notes',
        ingestKeys: [`hs_pub_fix_consumer_${ext.slice(0, 12)}`],
        repo: slug,
      },
    ],
    repositories: [
      {
        slug,
        visibility: options.visibility ?? 'public',
        labels: { extra: ['from-homeostat'] },
        requiredChecks: ['test'],
        // Not a seed rule: this repository's maintainers call the negative-repeat bug safe.
        policy: {
          rules: [{ id: 'repeat-count', class: 'safe', pattern: 'Invalid count value' }],
        },
      },
    ],
    models: {
      providers:
        options.privateCode === null
          ? []
          : [
              {
                name: 'fixer',
                baseUrl: MODEL_BASE,
                model: MODEL_NAME,
                pricing: PRICING,
                privateCode: options.privateCode ?? false,
              },
            ],
      candidates: 3,
    },
    canary: {},
  });

  // Dry-run has no token: the repository reader reads anonymously, as a public repository allows.
  const bed = createGitHubTestbed(inject('githubOpenApi'), {
    now: clock.now,
    baseUrl: API_BASE,
    ...(mode === 'live' ? { token: GITHUB_TOKEN } : {}),
  });
  const baseSha = await bed.emulator.addRepo(slug, {
    files: FILES,
    firstIssueNumber: beds * 100 + 1,
  });
  const model = createModelEmulator({ baseUrl: MODEL_BASE, apiKey: MODEL_KEY, now: clock.now });
  const toModel = modelFetch(model);
  const fetch: FetchLike = (input, init) => {
    const request = new Request(input, init);
    return request.url.startsWith(`${API_BASE}/`) ? bed.fetch(request) : toModel(request);
  };

  const sent: unknown[] = [];
  const fixQueue = {
    send: async (body: unknown) => {
      sent.push(body);
    },
    sendBatch: async (messages: Iterable<{ body: unknown }>) => {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue;
  const bindings: Env = {
    ...env,
    GITHUB_TOKEN: mode === 'live' ? GITHUB_TOKEN : '',
    MODEL_API_KEY: MODEL_KEY,
    FIX_QUEUE: fixQueue,
  };
  const deps = { fetch, now: clock.now, sleep: clock.sleep };
  const triage = createTriageConsumer({ config, ...deps });
  const fixer = createFixConsumer({
    config,
    now: clock.now,
    build: (e, runId) => createFixRuntime(e, config, { ...deps, random: () => 0 }, runId),
  });

  /** A fingerprint as ingest writes it, then one triage delivery; returns the fix messages sent. */
  async function report(
    stack: string,
    culprit: string,
  ): Promise<{
    fingerprint: string;
    fixMessages: FixQueueMessage[];
    triaged: Awaited<ReturnType<typeof deliver>>;
  }> {
    const fingerprint = freshFingerprint();
    const [first = '', ...rest] = stack.split('\n');
    const colon = first.indexOf(': ');
    await seedFingerprint(env.DB, {
      extensionId: ext,
      fingerprint,
      type: first.slice(0, colon),
      message: first.slice(colon + 2),
      stack: [first, ...rest].join('\n'),
      culprit,
      installs: 2,
      events: 5,
    });
    const from = sent.length;
    const triaged = await deliver(triage, bindings, 'homeostat-triage', [
      { id: `triage-${fingerprint}`, body: fingerprintMessage(ext, fingerprint) },
    ]);
    const fixMessages = sent.slice(from).map((m) => FixQueueMessageSchema.parse(m));
    return { fingerprint, fixMessages, triaged };
  }

  return {
    mode,
    clock,
    config,
    repo: config.repositories[0],
    ext,
    slug,
    baseSha,
    github: bed.emulator,
    violations: bed.violations,
    model,
    bindings,
    sent,
    report,
    /** Redelivers the triage message of a fingerprint (same id, so `deliveries` counts it). */
    retriage: (fingerprint: string, id = `triage-${fingerprint}`) =>
      deliver(triage, bindings, 'homeostat-triage', [
        { id, body: fingerprintMessage(ext, fingerprint) },
      ]),
    fix: (messages: Delivery[]) => deliver(fixer, bindings, env.FIX_QUEUE_NAME, messages),
    deadLetters: (messages: Delivery[]) =>
      deliver(fixer, bindings, env.FIX_DEAD_LETTER_QUEUE, messages),
    /** Requests that change GitHub state (every method but GET), as `METHOD /path`. */
    writes: (from = 0) =>
      bed.emulator.requests
        .slice(from)
        .filter((r) => r.method !== 'GET')
        .map((r) => `${r.method} ${r.path}`),
  };
}
