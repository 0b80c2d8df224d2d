import { describe, test } from 'vitest';
import { codeWindows, enclosingFunction } from '../../src/fix/localize/code-window.ts';
import { cappedEvent, capStack, truncateUtf8 } from '../../src/fix/localize/event-caps.ts';
import { noSourceMaps } from '../../src/fix/localize/frame-mapper.ts';
import { directImports, importSpecifiers } from '../../src/fix/localize/imports.ts';
import { localize } from '../../src/fix/localize/localize.ts';
import { parseSource } from '../../src/fix/localize/parse-source.ts';
import { relatedTests } from '../../src/fix/localize/related-tests.ts';
import {
  extension,
  frame,
  lines,
  report,
  repository,
  snapshotOf,
  stack,
} from './localize-fixtures.ts';

const TS_REPO = {
  sourceRoots: [{ from: '/', to: 'src/' }],
  paths: { include: ['src/**'] },
};

const BACKGROUND = [
  "import { handleMessage } from './handlers';",
  "import { log } from './util.js';",
  "import type { Note } from './types';",
  "export * from './shared/constants';",
  "import debounce from 'lodash/debounce';",
  "import './missing';",
  "const legacy = require('./legacy');",
  "import config from '/config.js';",
  "import tsLegacy = require('./ts-legacy');",
  '',
  'export async function start(note: Note) {',
  "  const { render } = await import('./popup/view');",
  "  const lazy = await import('./lazy/' + note.id);",
  '  log(render(note), lazy, tsLegacy);',
  '  return handleMessage(note, legacy, config, debounce);',
  '}',
  '',
].join('\n');

const TS_FILES = {
  'src/background.ts': BACKGROUND,
  'src/handlers/index.ts': 'export function handleMessage(...a: unknown[]) { return a; }\n',
  'src/util.ts': 'export const log = (...a: unknown[]) => a;\n',
  'src/types.ts': 'export interface Note { id: string }\n',
  'src/shared/constants.ts': 'export const A = 1;\n',
  'src/legacy.js': 'module.exports = {};\n',
  'src/config.ts': 'export default {};\n',
  'src/ts-legacy.ts': 'export = {};\n',
  'src/popup/view.tsx': 'export const render = (n: { id: string }) => <li>{n.id}</li>;\n',
  'src/popup/view.test.tsx': "import { render } from './view';\n",
  'src/popup/__tests__/view.tsx': '// test\n',
  'test/popup/view.spec.ts': '// mirrored test\n',
  'test/view.test.js': '// shallow test\n',
  'test/options/view.test.ts': '// another view\n',
  'src/background.test.ts': "import { start } from './background';\n",
  'node_modules/lodash/debounce.js': 'module.exports = () => {};\n',
};

describe('direct imports', () => {
  test('every kind of literal specifier is found, in source order', ({ expect }) => {
    const program = parseSource('src/background.ts', BACKGROUND);
    expect(program).not.toBeNull();
    if (program === null) return;
    expect(importSpecifiers(program)).toEqual([
      './handlers',
      './util.js',
      './types',
      './shared/constants',
      'lodash/debounce',
      './missing',
      './legacy',
      '/config.js',
      './ts-legacy',
      './popup/view',
    ]);
  });

  test('relative and package-root specifiers resolve like a bundler; packages are skipped', ({
    expect,
  }) => {
    const program = parseSource('src/background.ts', BACKGROUND);
    if (program === null) throw new Error('parse');
    const paths = new Set(Object.keys(TS_FILES));
    expect(
      directImports('src/background.ts', program, repository(TS_REPO), (p) => paths.has(p)),
    ).toEqual([
      'src/handlers/index.ts',
      'src/util.ts',
      'src/types.ts',
      'src/shared/constants.ts',
      'src/legacy.js',
      'src/config.ts',
      'src/ts-legacy.ts',
      'src/popup/view.tsx',
    ]);
  });

  test("a classic service worker's importScripts and a climbing specifier", ({ expect }) => {
    const code = "importScripts('config.js', '/lib/a.js');\nconst x = require('../../outside');\n";
    const program = parseSource('ext/sw.js', code);
    if (program === null) throw new Error('parse');
    const paths = new Set(['ext/config.js', 'ext/lib/a.js', 'outside.js']);
    const repo = repository({ sourceRoots: [{ from: '/', to: 'ext/' }] });
    // '../../outside' climbs above the repository root: not a file of it.
    expect(directImports('ext/sw.js', program, repo, (p) => paths.has(p))).toEqual([
      'ext/config.js',
      'ext/lib/a.js',
    ]);
  });
});

describe('related tests', () => {
  test('beside, in __tests__ and in a mirrored test tree; not another directory of the same name', ({
    expect,
  }) => {
    const paths = Object.keys(TS_FILES);
    expect(relatedTests('src/popup/view.tsx', paths, 10)).toEqual([
      'src/popup/view.test.tsx',
      'src/popup/__tests__/view.tsx',
      'test/popup/view.spec.ts',
      'test/view.test.js',
    ]);
    expect(relatedTests('src/popup/view.tsx', paths)).toHaveLength(2);
    expect(relatedTests('src/popup/view.test.tsx', paths)).toEqual([]);
    expect(relatedTests('src/util.ts', paths)).toEqual([]);
  });
});

describe('windows', () => {
  const FN_FILE = [
    'const helper = () => 1;',
    'class Store {',
    '  save(note) {',
    '    if (!note) {',
    '      throw new Error("no note");',
    '    }',
    '    return helper();',
    '  }',
    '}',
    'const api = {',
    '  load() { return 2; },',
    '};',
    'export const handler = async (event) => {',
    '  return event.detail.id;',
    '};',
    '',
  ].join('\n');

  test('the smallest enclosing function, named by its method, property or binding', ({
    expect,
  }) => {
    const program = parseSource('a.js', FN_FILE);
    if (program === null) throw new Error('parse');
    expect(enclosingFunction(program, 5)).toEqual({ startLine: 3, endLine: 8, name: 'save' });
    expect(enclosingFunction(program, 11)).toEqual({ startLine: 11, endLine: 11, name: 'load' });
    expect(enclosingFunction(program, 14)).toEqual({ startLine: 13, endLine: 15, name: 'handler' });
    expect(enclosingFunction(program, 1)).toEqual({ startLine: 1, endLine: 1, name: 'helper' });
    expect(enclosingFunction(program, 10)).toBeNull();
  });

  test('±25 lines around each frame and the whole function, merged when they overlap', ({
    expect,
  }) => {
    const content = lines(200);
    const windows = codeWindows('a.js', content, [60, 150, 90], {
      startLine: 50,
      endLine: 112,
      name: 'f',
    });
    expect(windows.map((w) => [w.startLine, w.endLine])).toEqual([
      [35, 115],
      [125, 175],
    ]);
    expect(windows[0]?.text.split('\n')).toHaveLength(81);
    expect(windows[0]?.text.split('\n')[0]).toBe('// line 35');
    // Clamped at both ends of the file.
    expect(
      codeWindows('a.js', lines(30), [3, 29], null).map((w) => [w.startLine, w.endLine]),
    ).toEqual([[1, 30]]);
  });

  test('a function longer than 200 lines is cut around the line', ({ expect }) => {
    const windows = codeWindows('a.js', lines(500), [300], {
      startLine: 1,
      endLine: 450,
      name: 'iife',
    });
    expect(windows.map((w) => [w.startLine, w.endLine])).toEqual([[200, 400]]);
  });
});

describe('context', () => {
  test('frame files, their direct imports and tests; editable only inside paths.include', async ({
    expect,
  }) => {
    const { snapshot, violations } = await snapshotOf(TS_FILES);
    const outcome = await localize({
      report: report({
        message: "Cannot read properties of undefined (reading 'id')",
        stack: stack(
          "TypeError: Cannot read properties of undefined (reading 'id')",
          frame('popup/view.js', 1, 60, 'render'),
          frame('background.js', 14, 7, 'start'),
        ),
      }),
      repo: repository(TS_REPO),
      extension,
      snapshot,
      mapper: noSourceMaps,
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const roles = Object.fromEntries(
      Object.entries(outcome.context.files).map(([path, f]) => [path, f.role]),
    );
    expect(roles).toEqual({
      'src/popup/view.tsx': 'frame',
      'src/background.ts': 'frame',
      'src/popup/view.test.tsx': 'test',
      'src/popup/__tests__/view.tsx': 'test',
      'src/handlers/index.ts': 'import',
      'src/util.ts': 'import',
      'src/types.ts': 'import',
      'src/shared/constants.ts': 'import',
      'src/legacy.js': 'import',
      'src/config.ts': 'import',
      'src/ts-legacy.ts': 'import',
      'src/background.test.ts': 'test',
    });
    expect(outcome.context.editablePaths).toEqual(Object.keys(roles).sort());
    expect(outcome.context.windows.map((w) => [w.path, w.startLine, w.endLine])).toEqual([
      ['src/popup/view.tsx', 1, 1],
      ['src/background.ts', 1, 16],
    ]);
    expect(violations).toEqual([]);
  });

  test('tests outside paths.include are context but not editable', async ({ expect }) => {
    const { snapshot } = await snapshotOf(TS_FILES);
    const outcome = await localize({
      report: report({
        message: 'x',
        stack: stack('Error: x', frame('popup/view.js', 1, 60, 'render')),
      }),
      repo: repository(TS_REPO),
      extension,
      snapshot,
      mapper: noSourceMaps,
      limits: { maxTestsPerFile: 4 },
    });
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.context.files['test/popup/view.spec.ts']?.role).toBe('test');
    expect(outcome.context.editablePaths).not.toContain('test/popup/view.spec.ts');
    expect(outcome.context.editablePaths).toContain('src/popup/view.test.tsx');
  });

  test('at most 12 files and 256 KiB, the frames first', async ({ expect }) => {
    const many = (n: number, bytes: number) => {
      const files: Record<string, string> = {};
      const imports: string[] = [];
      for (let i = 0; i < n; i++) {
        files[`src/m${String(i).padStart(2, '0')}.js`] = `// ${'x'.repeat(bytes)}\n`;
        imports.push(`import './m${String(i).padStart(2, '0')}.js';`);
      }
      files['src/main.js'] = `${imports.join('\n')}\nexport function go() { return null.x; }\n`;
      return files;
    };
    const run = async (files: Record<string, string>) => {
      const { snapshot } = await snapshotOf(files);
      const outcome = await localize({
        report: report({
          message: 'x',
          stack: stack('TypeError: x', frame('main.js', 21, 32, 'go')),
        }),
        repo: repository(TS_REPO),
        extension,
        snapshot,
        mapper: noSourceMaps,
      });
      if (!outcome.ok) throw new Error(outcome.reason);
      const sizes = Object.values(outcome.context.files).map(
        (f) => new TextEncoder().encode(f.content).byteLength,
      );
      return { count: sizes.length, total: sizes.reduce((a, b) => a + b, 0), outcome };
    };
    const byCount = await run(many(20, 1000));
    expect(byCount.count).toBe(12);
    expect(byCount.outcome.context.files['src/main.js']?.role).toBe('frame');
    const byBytes = await run(many(20, 40 * 1024));
    expect(byBytes.count).toBe(7); // main.js and six 40 KiB modules
    expect(byBytes.total).toBeLessThanOrEqual(256 * 1024);
  });

  test('a frame file over the byte budget is left out and the next frame is the culprit', async ({
    expect,
  }) => {
    const { snapshot } = await snapshotOf({
      'src/big.js': `// ${'y'.repeat(300 * 1024)}\n`,
      'src/small.js': lines(10),
    });
    const outcome = await localize({
      report: report({
        message: 'x',
        stack: stack('Error: x', frame('big.js', 1, 1, 'a'), frame('small.js', 4, 1, 'b')),
      }),
      repo: repository(TS_REPO),
      extension,
      snapshot,
      mapper: noSourceMaps,
    });
    expect(outcome.ok && outcome.context.culprit?.path).toBe('src/small.js');
    expect(outcome.stats.dropped).toEqual({ over_budget: 1 });
  });
});

describe('the event in the context', () => {
  test('message capped at 2 KiB on a character boundary, stack at 30 frames', ({ expect }) => {
    expect(truncateUtf8('é'.repeat(10), 9)).toBe('ééé…');
    const message = `Unexpected token ${'ü'.repeat(3000)}`;
    const frames = Array.from({ length: 50 }, (_, i) => frame('a.js', i + 1, 1, `f${i}`));
    const event = cappedEvent(
      {
        eventId: 'evt_0123456789',
        timestamp: 0,
        surface: 'background',
        error: { type: 'SyntaxError', message, stack: stack(`SyntaxError: ${message}`, ...frames) },
      },
      '1.0.0',
    );
    expect(new TextEncoder().encode(event.message).byteLength).toBeLessThanOrEqual(2048);
    expect(event.message.endsWith('ü…')).toBe(true);
    const stackLines = event.stack?.split('\n') ?? [];
    expect(stackLines.filter((l) => l.trim().startsWith('at '))).toHaveLength(30);
    expect(stackLines.at(-1)).toContain('f29');
    expect(new TextEncoder().encode(stackLines[0]).byteLength).toBeLessThanOrEqual(2048);
    expect(capStack('a@x.js:1:1\nb@y.js:2:2')).toBe('a@x.js:1:1\nb@y.js:2:2');
    expect(event).toMatchObject({ type: 'SyntaxError', surface: 'background', version: '1.0.0' });
  });
});
