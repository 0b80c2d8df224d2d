import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'vitest';
import { stackFixture, stackFixtureNames } from '../../../test/fixtures/stacks/index.ts';
import {
  computeFingerprint,
  FINGERPRINT_VERSION,
  type FingerprintInput,
  parseStack,
  type Surface,
} from '../src/index.ts';

const fingerprintOf = async (input: FingerprintInput) =>
  (await computeFingerprint(input)).fingerprint;
const fixtureFingerprint = (name: string) => fingerprintOf(stackFixture(name));

describe('one bug keeps one fingerprint', () => {
  test.for<[string, string, string]>([
    ['chrome/sync-batch', 'chrome/sync-batch.unpacked', 'store vs unpacked extension id'],
    ['chrome/sync-batch', 'chrome/sync-batch.rehashed', 'another content hash in the bundle name'],
    ['chrome/sync-batch', 'chrome/sync-batch.shifted', 'lines and columns moved by a new version'],
    ['chrome/sync-batch', 'chrome/sync-batch.offscreen', 'another surface, with frames'],
    ['chrome/sync-batch', 'chrome/babel', 'Babel helpers and an unhashed bundle'],
    ['chrome/sync-batch', 'firefox/sync-batch', 'Chrome and Firefox print the same frames'],
    ['firefox/sync-batch', 'firefox/sync-batch.other-install', 'another moz-extension UUID'],
    ['chrome/sync-batch.recursion-3', 'chrome/sync-batch.recursion-8', 'recursion depth'],
    [
      'chrome/content-listener',
      'chrome/content-listener.other-site',
      'page frames of another site',
    ],
    ['chrome/vendor-over-app', 'chrome/vendor-over-app.upgraded', 'library frames changed'],
    ['chrome/vendor-only', 'chrome/vendor-only.other-message', 'library-only, other message'],
    ['chrome/eval', 'chrome/eval.other-script', 'eval frames'],
    ['chrome/no-tab', 'chrome/no-tab.other-id', 'frameless, another tab id'],
    ['chrome/no-tab', 'chrome/no-tab.no-stack', 'frameless, no stack at all'],
    // A limit, not a goal: without lines, two anonymous callers in one file look the same.
    ['chrome/content-listener', 'chrome/content-timeout', 'anonymous callers in one file'],
  ])('%s = %s (%s)', async ([a, b], { expect }) => {
    expect(await fixtureFingerprint(a)).toBe(await fixtureFingerprint(b));
  });
});

describe('different bugs get different fingerprints', () => {
  test.for<[string, string, string]>([
    ['chrome/sync-batch', 'chrome/sync-batch.other-function', 'another throwing function'],
    ['chrome/sync-batch', 'chrome/sync-batch.other-file', 'another file'],
    ['chrome/sync-batch', 'chrome/sync-batch.range-error', 'another error type'],
    ['chrome/vendor-only', 'chrome/vendor-only.other-function', 'library-only, another function'],
    ['chrome/no-tab', 'chrome/no-receiver', 'frameless, another message'],
    ['chrome/no-tab', 'chrome/no-tab.popup', 'frameless, another surface'],
  ])('%s ≠ %s (%s)', async ([a, b], { expect }) => {
    expect(await fixtureFingerprint(a)).not.toBe(await fixtureFingerprint(b));
  });
});

describe('components: exactly what was hashed', () => {
  test.for<[string, string[]]>([
    [
      'chrome/sync-batch',
      [
        'fp1',
        'TypeError',
        'js/background.js:formatDate',
        'js/background.js:serializeEntry',
        'js/background.js:uploadEntries',
        'js/background.js:syncBatch',
        'js/background.js:',
      ],
    ],
    [
      // Recursion counts once; the anonymous caller keeps its file.
      'chrome/sync-batch.recursion-8',
      [
        'fp1',
        'RangeError',
        'js/background.js:walkTree',
        'js/background.js:indexBookmarks',
        'js/background.js:',
      ],
    ],
    // Page frames of the site do not count while the content script's own frames do.
    ['chrome/content-listener', ['fp1', 'TypeError', 'content.js:extractPrice', 'content.js:']],
    // Only the page's frames: they are what is left.
    [
      'chrome/page-only',
      [
        'fp1',
        'TypeError',
        'www.example.org/assets/app.js:renderList',
        'www.example.org/assets/app.js:',
      ],
    ],
    // Library frames do not count while the extension's own code is on the stack…
    [
      'chrome/vendor-over-app',
      ['fp1', 'TypeError', 'js/background.js:saveDraft', 'js/background.js:'],
    ],
    // …and do when nothing else is.
    [
      'chrome/vendor-only',
      [
        'fp1',
        'Error',
        'assets/vendor.js:Rs',
        'assets/vendor.js:Ps',
        'assets/vendor.js:setState',
        'assets/vendor.js:O',
      ],
    ],
    ['chrome/eval', ['fp1', 'ReferenceError', 'sandbox.js:run', 'sandbox.js:']],
    ['chrome/json-parse', ['fp1', 'SyntaxError', 'popup.js:readCache', 'popup.js:loadSettings']],
    [
      'chrome/promise-foreach',
      [
        'fp1',
        'TypeError',
        'popup.js:',
        'popup.js:queryActiveTab',
        'popup.js:renderTabs',
        'popup.js:',
      ],
    ],
    [
      'firefox/popup-handler',
      ['fp1', 'TypeError', 'popup.js:handler', 'popup.js:', 'popup.js:queryTabs', 'popup.js:'],
    ],
    ['safari/content-global', ['fp1', 'TypeError', 'content.js:extractPrice', 'content.js:']],
    ['safari/eval', ['fp1', 'ReferenceError', 'sandbox.js:run', 'sandbox.js:']],
    // No frame contributes: the parameterised message and the surface.
    ['chrome/no-tab', ['fp1', 'Error', 'No tab with id: <int>.', 'background']],
    ['chrome/no-tab.popup', ['fp1', 'Error', 'No tab with id: <int>.', 'popup']],
    [
      'chrome/native-only',
      ['fp1', 'SyntaxError', '"[object Object]" is not valid JSON', 'background'],
    ],
  ])('%s', async ([name, expected], { expect }) => {
    expect((await computeFingerprint(stackFixture(name))).components).toEqual(expected);
  });

  test.for(stackFixtureNames)(
    '%s: fp1 and the first 128 bits of SHA-256 over the components',
    async (name, { expect }) => {
      const { fingerprint, components } = await computeFingerprint(stackFixture(name));
      const sha256 = createHash('sha256').update(JSON.stringify(components)).digest('hex');
      expect(components[0]).toBe(FINGERPRINT_VERSION);
      expect(fingerprint).toMatch(/^fp1:[0-9a-f]{32}$/);
      expect(fingerprint).toBe(`fp1:${sha256.slice(0, 32)}`);
    },
  );
});

const STORE = 'chrome-extension://kembcdlbgbcnnchcnbdhbmbhbejnedjf';
const v8Stack = (functions: string[]) =>
  ['Error: boom', ...functions.map((fn, i) => `    at ${fn} (${STORE}/js/bg.js:${10 + i}:3)`)].join(
    '\n',
  );
const base: FingerprintInput = { type: 'Error', message: 'boom', surface: 'background' };

describe('which frames count', () => {
  test.for<[string, string[], string[], boolean]>([
    [
      'the sixth frame and beyond do not',
      ['a', 'b', 'c', 'd', 'e', 'f'],
      ['a', 'b', 'c', 'd', 'e', 'x'],
      true,
    ],
    ['the fifth frame does', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'x'], false],
    ['the receiver does not', ['Object.formatDate'], ['t.formatDate'], true],
    ['an alias does not', ['Object.Ps [as enqueueSetState]'], ['Ps'], true],
    ['`new` does not', ['new Store'], ['Store'], true],
    ['`async` does not', ['async syncBatch'], ['syncBatch'], true],
    ['anonymous names are one name', ['Object.<anonymous>'], ['HTMLDocument.<anonymous>'], true],
    ['the name does', ['formatDate'], ['formatTime'], false],
  ])('%s', async ([, a, b, same], { expect }) => {
    const fa = await fingerprintOf({ ...base, stack: v8Stack(a) });
    const fb = await fingerprintOf({ ...base, stack: v8Stack(b) });
    expect(fa === fb).toBe(same);
  });

  test.for<Surface>(['background', 'content', 'popup'])(
    'with frames, surface %s does not count',
    async (surface, { expect }) => {
      const stack = v8Stack(['formatDate']);
      expect(await fingerprintOf({ ...base, stack, surface })).toBe(
        await fingerprintOf({ ...base, stack, surface: 'options' }),
      );
    },
  );

  test.for<[string, Partial<FingerprintInput>]>([
    ['type', { type: 'TypeError' }],
    ['message', { message: 'boom!' }],
    ['surface', { surface: 'popup' }],
  ])('without frames, the %s counts', async ([, change], { expect }) => {
    expect(await fingerprintOf({ ...base, ...change })).not.toBe(await fingerprintOf(base));
  });
});

describe('title, culprit and frames', () => {
  test.for<[string, string, string | null]>([
    [
      'chrome/sync-batch',
      "TypeError: Cannot read properties of undefined (reading 'toISOString')",
      'Object.formatDate (js/background.js)',
    ],
    [
      'chrome/content-timeout',
      "TypeError: Cannot read properties of null (reading 'textContent')",
      'extractPrice (content.js)',
    ],
    [
      'chrome/promise-foreach',
      "TypeError: Cannot read properties of undefined (reading 'tabs')",
      '<anonymous> (popup.js)',
    ],
    [
      'chrome/vendor-only',
      'Error: Minified React error #<int>; visit <url> for the full message or use the non-minified dev environment for full errors and additional helpful warnings.',
      'Rs (assets/vendor.js)',
    ],
    ['chrome/json-parse', "SyntaxError: Unexpected token 'o', \"not json", 'readCache (popup.js)'],
    ['chrome/no-tab', 'Error: No tab with id: <int>.', null],
  ])('%s', async ([name, title, culprit], { expect }) => {
    const result = await computeFingerprint(stackFixture(name));
    expect(result.title).toBe(title);
    expect(result.culprit).toBe(culprit);
    expect(result.frames).toEqual(parseStack(stackFixture(name).stack ?? ''));
  });

  test.for<[string, string, string]>([
    ['an empty message', '', 'Error'],
    ['a 1,000-character message', 'x'.repeat(1000), `Error: ${'x'.repeat(193)}`],
  ])('title of %s', async ([, message, title], { expect }) => {
    const result = await computeFingerprint({ ...base, message });
    expect(result.title).toBe(title);
    expect(result.title.length).toBeLessThanOrEqual(200);
  });
});

describe('robustness', () => {
  test.for<[string, FingerprintInput]>([
    ['empty everything', { type: '', message: '', stack: '', surface: 'unknown' }],
    ['a 32 KiB stack of junk', { ...base, stack: 'at ('.repeat(8 * 1024) }],
    ['a 32 KiB one-line message', { ...base, message: 'a.'.repeat(16 * 1024) }],
    [
      'a 10,000-frame stack',
      { ...base, stack: v8Stack(Array.from({ length: 10_000 }, (_, i) => `f${i}`)) },
    ],
  ])('%s', async ([, input], { expect }) => {
    const result = await computeFingerprint(input);
    expect(result.fingerprint).toMatch(/^fp1:[0-9a-f]{32}$/);
    expect(result.frames.length).toBeLessThanOrEqual(50);
    expect(result.components.length).toBeLessThanOrEqual(7);
  });
});

describe('portability', () => {
  // The SDK bundles this code into extensions; Safari before 16.4 rejects a regex lookbehind when
  // the script is parsed, which would take the whole SDK down with it.
  test.for([
    '../src/stack/parse-stack.ts',
    '../src/fingerprint/parameterize.ts',
    '../src/fingerprint/compute-fingerprint.ts',
  ])('%s has no regex lookbehind', (file, { expect }) => {
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(source).not.toMatch(/\(\?<[=!]/);
  });
});
