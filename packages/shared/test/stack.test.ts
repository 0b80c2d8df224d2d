import { describe, test } from 'vitest';
import { stackText } from '../../../test/fixtures/stacks/index.ts';
import { normalizeFramePath, parseStack, type StackFrame } from '../src/index.ts';
import { junk } from './support/junk.ts';

const STORE = 'chrome-extension://kembcdlbgbcnnchcnbdhbmbhbejnedjf';
const FIREFOX = 'moz-extension://8ca81811-66d2-4876-b2fd-f2022a96fb1a';
const SAFARI = 'safari-web-extension://47469A4D-8CDB-405F-9D2E-16096E36AAB0';

type Flags = Partial<Pick<StackFrame, 'native' | 'eval' | 'async' | 'inApp'>>;

function frame(
  fn: string | null,
  file: string | null,
  line: number | null,
  column: number | null,
  flags: Flags = {},
): StackFrame {
  return {
    function: fn,
    file,
    line,
    column,
    native: false,
    eval: false,
    async: false,
    inApp: false,
    ...flags,
  };
}
const app = (
  fn: string | null,
  file: string,
  line: number,
  column: number | null,
  flags: Flags = {},
) => frame(fn, file, line, column, { inApp: true, ...flags });
const builtin = (fn: string, flags: Flags = {}) =>
  frame(fn, null, null, null, { native: true, ...flags });

describe('parseStack: V8 (Chrome 156)', () => {
  const bg = `${STORE}/js/background.3f2a1c.js`;
  test.for<[string, StackFrame[]]>([
    [
      'chrome/sync-batch',
      [
        app('Object.formatDate', bg, 214, 31),
        app('serializeEntry', bg, 301, 18),
        builtin('Array.map'),
        app('uploadEntries', bg, 265, 34),
        app('syncBatch', bg, 88, 5, { async: true }),
        app(null, bg, 1207, 3, { async: true }),
      ],
    ],
    [
      // The message's second line starts with "at " and is still not a frame.
      'chrome/json-parse',
      [
        builtin('JSON.parse'),
        app('readCache', `${STORE}/popup.js`, 57, 23),
        app('loadSettings', `${STORE}/popup.js`, 71, 20, { async: true }),
      ],
    ],
    [
      // The eval frame points at the script that called eval, as Sentry's parser does.
      'chrome/eval',
      [
        app('eval', `${STORE}/sandbox.js`, 18, 5, { eval: true }),
        app('run', `${STORE}/sandbox.js`, 18, 5),
        app(null, `${STORE}/sandbox.js`, 30, 3),
      ],
    ],
    [
      'chrome/promise-foreach',
      [
        app(null, `${STORE}/popup.js`, 33, 28),
        builtin('new Promise'),
        app('queryActiveTab', `${STORE}/popup.js`, 32, 10),
        builtin('Array.forEach'),
        app('renderTabs', `${STORE}/popup.js`, 58, 12),
        app('HTMLDocument.<anonymous>', `${STORE}/popup.js`, 91, 3),
      ],
    ],
    [
      // Page frames in a content script's stack are not the extension's code.
      'chrome/content-listener',
      [
        app('extractPrice', `${STORE}/content.js`, 41, 22),
        app('HTMLButtonElement.<anonymous>', `${STORE}/content.js`, 12, 7),
        frame(
          'HTMLButtonElement.dispatch',
          'https://shop.example.com/static/js/jquery-3.7.1.min.js',
          2,
          40035,
        ),
        frame('v.handle', 'https://shop.example.com/static/js/jquery-3.7.1.min.js', 2, 38006),
      ],
    ],
    [
      'chrome/vendor-over-app',
      [
        frame('Object.encode', `${STORE}/js/vendors~background.3f2a1c.js`, 2, 14551),
        frame('t.put', `${STORE}/js/vendors~background.3f2a1c.js`, 2, 19302),
        app('saveDraft', bg, 140, 22),
        app(null, bg, 1211, 5, { async: true }),
      ],
    ],
    [
      // Helpers inlined by Babel are not the extension's own code.
      'chrome/babel',
      [
        app('Object.formatDate', `${STORE}/js/background.js`, 214, 31),
        app('serializeEntry', `${STORE}/js/background.js`, 301, 18),
        builtin('Array.map'),
        app('uploadEntries', `${STORE}/js/background.js`, 265, 34),
        builtin('Generator.next'),
        frame('asyncGeneratorStep', `${STORE}/js/background.js`, 9, 24),
        frame('_next', `${STORE}/js/background.js`, 11, 9),
        app('syncBatch', `${STORE}/js/background.js`, 88, 5, { async: true }),
        app(null, `${STORE}/js/background.js`, 1207, 3, { async: true }),
      ],
    ],
    ['chrome/native-only', [builtin('JSON.parse'), builtin('Promise.all', { async: true })]],
    ['chrome/no-tab', []],
    ['chrome/no-receiver', []],
  ])('%s', ([name, expected], { expect }) => {
    expect(parseStack(stackText(name))).toEqual(expected);
  });

  test.for<[string, StackFrame]>([
    ['at Array.forEach (native)', builtin('Array.forEach')],
    [
      'at Object.callback (async http://localhost:5000/:25:7)',
      frame('Object.callback', 'http://localhost:5000/', 25, 7, { async: true }),
    ],
    [
      'at I.e.fn.(anonymous function) [as index] (http://localhost:8080/file.js:10:3651)',
      frame('I.e.fn.(anonymous function) [as index]', 'http://localhost:8080/file.js', 10, 3651),
    ],
    [
      'at baz (eval at foo (eval at speak (http://localhost:8080/file.js:21:17)), <anonymous>:1:30)',
      frame('baz', 'http://localhost:8080/file.js', 21, 17, { eval: true }),
    ],
    ['at <anonymous>:1:5', frame(null, null, 1, 5, { eval: true })],
    [
      'at new Foo (webpack://my-ext/./src/foo.ts:3:9)',
      frame('new Foo', 'webpack://my-ext/./src/foo.ts', 3, 9, { inApp: true }),
    ],
    [
      'at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      frame('process.processTicksAndRejections', 'node:internal/process/task_queues', 95, 5),
    ],
    [
      'at onClick (http://localhost:3002/_next/static/chunks/app/(group)/[route]/script.js:1:644)',
      frame(
        'onClick',
        'http://localhost:3002/_next/static/chunks/app/(group)/[route]/script.js',
        1,
        644,
      ),
    ],
  ])('one line: %s', ([line, expected], { expect }) => {
    expect(parseStack(`Error: x\n    ${line}`)).toEqual([expected]);
  });
});

describe('parseStack: SpiderMonkey (Firefox)', () => {
  const bg = `${FIREFOX}/js/background.3f2a1c.js`;
  test.for<[string, StackFrame[]]>([
    [
      'firefox/sync-batch',
      [
        app('formatDate', bg, 214, 31),
        app('serializeEntry', bg, 301, 18),
        app('uploadEntries', bg, 265, 34),
        app('syncBatch', bg, 88, 5, { async: true }),
        app(null, bg, 1207, 3, { async: true }),
      ],
    ],
    [
      // Firefox gives an eval frame the line of the eval call and no column.
      'firefox/popup-handler',
      [
        app('handler', `${FIREFOX}/popup.js`, 4, 11),
        app('render/<', `${FIREFOX}/popup.js`, 19, 7),
        app(null, `${FIREFOX}/popup.js`, 27, null, { eval: true }),
        app('queryTabs', `${FIREFOX}/popup.js`, 27, 5, { async: true }),
        app(null, `${FIREFOX}/popup.js`, 40, 9, { async: true }),
      ],
    ],
  ])('%s', ([name, expected], { expect }) => {
    expect(parseStack(stackText(name))).toEqual(expected);
  });
});

describe('parseStack: JavaScriptCore (Safari)', () => {
  test.for<[string, StackFrame[]]>([
    [
      'safari/sync-batch',
      [
        app('formatDate', `${SAFARI}/js/background.3f2a1c.js`, 214, 31),
        app('serializeEntry', `${SAFARI}/js/background.3f2a1c.js`, 301, 18),
        builtin('map'),
        app('uploadEntries', `${SAFARI}/js/background.3f2a1c.js`, 265, 34),
      ],
    ],
    [
      'safari/content-global',
      [
        app('extractPrice', `${SAFARI}/content.js`, 41, 22),
        app(null, `${SAFARI}/content.js`, 12, 7),
        builtin('forEach'),
        app('global code', `${SAFARI}/content.js`, 3, 1),
        frame(null, null, null, null, { native: true }),
      ],
    ],
    [
      // JSC's bare `eval code` line has no location at all, so it is not a frame.
      'safari/eval',
      [
        builtin('eval'),
        app('run', `${SAFARI}/sandbox.js`, 18, 5),
        app('global code', `${SAFARI}/sandbox.js`, 30, 3),
      ],
    ],
  ])('%s', ([name, expected], { expect }) => {
    expect(parseStack(stackText(name))).toEqual(expected);
  });
});

describe('in-app: the extension’s own code, not its libraries nor the page', () => {
  test.for<[string, boolean]>([
    [`${STORE}/js/background.js`, true],
    [`${FIREFOX}/popup.js`, true],
    [`${SAFARI}/content.js`, true],
    [`${STORE}/src/lib/dates.js`, true],
    [`${STORE}/js/vendor-settings-panel.js`, false],
    ['webpack://my-ext/./src/background/sync.ts', true],
    ['webpack://my-ext/./node_modules/idb-keyval/dist/index.js', false],
    [`${STORE}/node_modules/.vite/deps/react.js`, false],
    [`${STORE}/js/vendor.js`, false],
    [`${STORE}/js/vendor.3f2a1c.js`, false],
    [`${STORE}/js/vendors~main.js`, false],
    [`${STORE}/js/vendors-node_modules_react-dom_index_js.js`, false],
    [`${STORE}/js/chunk-vendors.8e3f1a2b.js`, false],
    [`${STORE}/assets/vendor-DiwrgTda.js`, false],
    [`${STORE}/vendor/lodash.min.js`, false],
    [`${STORE}/js/third_party/purify.js`, false],
    [`${STORE}/lib/jquery-3.7.1.min.js`, false],
    [`${STORE}/libs/browser-polyfill.min.js`, false],
    [`${STORE}/browser-polyfill.js`, false],
    ['https://shop.example.com/static/js/app.js', false],
    ['file:///home/dev/ext/background.js', false],
  ])('%s → %s', ([file, inApp], { expect }) => {
    expect(parseStack(`Error: x\n    at work (${file}:1:1)`)[0]?.inApp).toBe(inApp);
  });

  test.for<[string, boolean]>([
    ['asyncGeneratorStep', false],
    ['_asyncToGenerator', false],
    ['_next', false],
    ['_throw', false],
    ['__awaiter', false],
    ['__generator', false],
    ['Generator._invoke', false],
    ['_callSuper', false],
    ['step', true],
    ['nextPage', true],
  ])('function %s → %s', ([fn, inApp], { expect }) => {
    expect(parseStack(`Error: x\n    at ${fn} (${STORE}/js/background.js:1:1)`)[0]?.inApp).toBe(
      inApp,
    );
  });
});

describe('normalizeFramePath', () => {
  test.for<[string, string | null]>([
    [`${STORE}/js/background.3f2a1c.js`, 'js/background.js'],
    [
      'chrome-extension://dgldcbgpnkooljhfhcjpkojcdnfkepnb/js/background.9b7e44.js',
      'js/background.js',
    ],
    [`${FIREFOX}/popup.js`, 'popup.js'],
    [`${SAFARI}/scripts/content-script.js`, 'scripts/content-script.js'],
    [`${STORE}/js/background.js?v=1.4.2#main`, 'js/background.js'],
    [`${STORE}/chunk-4f8e2a1b.js`, 'chunk.js'],
    [`${STORE}/main.a1b2c3d4e5f6.js`, 'main.js'],
    [`${STORE}/static/js/main.a1b2c3d4.chunk.js`, 'static/js/main.chunk.js'],
    [`${STORE}/js/background.d1cae9cfc9917df88de7.js`, 'js/background.js'],
    [`${STORE}/assets/index-DiwrgTda.js`, 'assets/index.js'],
    [`${STORE}/assets/index-ab-cdEF1.js`, 'assets/index.js'],
    [`${STORE}/assets/popup.Bx3kQ9zL.js`, 'assets/popup.js'],
    [`${STORE}/chunk-OTSMPHHC.js`, 'chunk.js'],
    [`${STORE}/js/v2-api.js`, 'js/v2-api.js'],
    [`${STORE}/js/utf8.js`, 'js/utf8.js'],
    [`${STORE}/js/popup-settings.js`, 'js/popup-settings.js'],
    [`${STORE}/js/polyfill-es2015.js`, 'js/polyfill-es2015.js'],
    [`${STORE}/lib/jquery-3.7.1.min.js`, 'lib/jquery-3.7.1.min.js'],
    [`${STORE}/js/content_script.js`, 'js/content_script.js'],
    [`${STORE}/build-3f2a1c/background.js`, 'build-3f2a1c/background.js'],
    ['webpack://my-ext/./src/background/sync.ts', 'src/background/sync.ts'],
    ['webpack:///./src/components/test/test.jsx?', 'src/components/test/test.jsx'],
    ['https://cdn.example.com/lib.3f2a1c.js', 'cdn.example.com/lib.js'],
    ['file:///home/dev/ext/background.js', '/home/dev/ext/background.js'],
    ['<anonymous>', null],
    ['native', null],
    ['[native code]', null],
    ['', null],
    [`${STORE}/`, null],
  ])('%s → %s', ([file, expected], { expect }) => {
    expect(normalizeFramePath(file)).toBe(expected);
  });
});

describe('parseStack: robustness against hostile input', () => {
  const KIB32 = 32 * 1024;
  test.for<[string, string]>([
    ['empty', ''],
    ['blank lines', '\n\n \r\n\t\n'],
    ['garbage', '%%%@@@ at at ((( ))) :::'],
    ['only "at"', 'at\nat \n at )\n at (\n at ()'],
    ['only "@"', '@\n@@\n@:\n@:1\nfoo@'],
    ['CRLF line ends', `Error: x\r\n    at f (${STORE}/a.js:1:2)\r\n`],
    ['a 32 KiB line of parentheses', `Error\n    at ${'('.repeat(KIB32)})`],
    ['32 KiB of "at (" ', 'at ('.repeat(KIB32 / 4)],
    ['32 KiB of "@:"', '@:'.repeat(KIB32 / 2)],
    ['32 KiB of digits and colons', `Error\n    at f (${':1'.repeat(KIB32 / 2)})`],
    ['32 KiB of "eval at ("', `Error\n    at f (${'eval at ('.repeat(KIB32 / 9)})`],
    ['32 KiB of " line 1 > "', `f@a.js${' line 1 > '.repeat(KIB32 / 10)}eval:1:1`],
    ['32 KiB of seeded junk', junk(KIB32, 'at (@):/.-0123456789 \n*[]<>native', 1)],
    ['32 KiB of seeded frame-shaped junk', junk(KIB32, 'at (chrome-extension://x/a.js:1:2)\n', 2)],
  ])('%s: no throw, at most 50 well-formed frames, in linear time', ([, stack], { expect }) => {
    const started = performance.now();
    const frames = parseStack(stack);
    // A guard against catastrophic backtracking (seconds to hours), not a speed target: the
    // bound is loose so a loaded CI machine cannot fail it.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(frames.length).toBeLessThanOrEqual(50);
    for (const f of frames) {
      expect(f.line === null || Number.isSafeInteger(f.line)).toBe(true);
      expect(f.column === null || Number.isSafeInteger(f.column)).toBe(true);
      expect([f.native, f.eval, f.async, f.inApp].every((b) => typeof b === 'boolean')).toBe(true);
    }
  });

  test('a 10,000-line stack keeps its first 50 frames', ({ expect }) => {
    const lines = Array.from(
      { length: 10_000 },
      (_, i) => `    at f${i} (${STORE}/a.js:${i + 1}:1)`,
    );
    const frames = parseStack(`RangeError: Maximum call stack size exceeded\n${lines.join('\n')}`);
    expect(frames).toHaveLength(50);
    expect(frames[0]?.function).toBe('f0');
    expect(frames[49]?.function).toBe('f49');
  });

  test('a 10,000-line Firefox stack keeps its first 50 frames', ({ expect }) => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `f${i}@${FIREFOX}/a.js:${i + 1}:1`);
    const frames = parseStack(lines.join('\n'));
    expect(frames).toHaveLength(50);
    expect(frames[49]?.line).toBe(50);
  });

  test('message lines before V8 frames never become frames, even when they look like Firefox ones', ({
    expect,
  }) => {
    const stack = `Error: bad reply from alice@example.com:25\nsee foo@${FIREFOX}/a.js:1:1\n    at f (${STORE}/a.js:3:4)`;
    expect(parseStack(stack).map((f) => f.function)).toEqual(['f']);
  });
});
