import { describe, test } from 'vitest';
import { noSourceMaps } from '../../src/fix/localize/frame-mapper.ts';
import { extensionFrames } from '../../src/fix/localize/in-app-frames.ts';
import { localize } from '../../src/fix/localize/localize.ts';
import {
  extension,
  frame,
  lines,
  report,
  repository,
  STORE_ID,
  scriptedMapper,
  snapshotOf,
  stack,
  UNPACKED_ID,
} from './localize-fixtures.ts';

// An unbundled MV3 extension kept under extension/, packaged as is.
const POPUP = [
  "import { formatNote } from '../shared/format.js';",
  "import { loadNotes } from '../shared/storage.js';",
  '',
  'export function render(list, notes) {',
  '  for (const note of notes) {',
  "    const item = document.createElement('li');",
  '    item.textContent = formatNote(note);',
  '    list.append(item);',
  '  }',
  '}',
  '',
  'export async function main() {',
  '  const notes = await loadNotes();',
  "  render(document.getElementById('notes'), notes);",
  '}',
  '',
  'main();',
  '',
].join('\n');
const FORMAT = [
  'export function formatNote(note) {',
  "  return note.title.trim() + ' (' + note.tags.length + ')';",
  '}',
  '',
].join('\n');
const FILES = {
  'extension/manifest.json': JSON.stringify({
    manifest_version: 3,
    background: { service_worker: 'background.js', type: 'module' },
    action: { default_popup: 'popup/popup.html' },
  }),
  'extension/popup/popup.html':
    '<ul id="notes"></ul><script type="module" src="popup.js"></script>',
  'extension/popup/popup.js': POPUP,
  'extension/shared/format.js': FORMAT,
  'extension/shared/storage.js':
    'export async function loadNotes() {\n  return (await chrome.storage.local.get("notes")).notes;\n}\n',
  'extension/generated/strings.js': 'export const s = {};\n',
  'extension/vendor/jquery.min.js': '!function(){}();\n',
  'extension/background.js': 'chrome.runtime.onInstalled.addListener(() => {});\n',
};
const REPO_CONFIG = {
  sourceRoots: [{ from: '/', to: 'extension/' }],
  paths: { include: ['extension/**'], exclude: ['extension/generated/**'] },
};
const MESSAGE = "Cannot read properties of undefined (reading 'trim')";
const HEADER = `TypeError: ${MESSAGE}`;

async function run(
  stackText: string,
  options: {
    files?: Record<string, string | Uint8Array>;
    repo?: Record<string, unknown>;
    mapper?: Parameters<typeof localize>[0]['mapper'];
    version?: string;
  } = {},
) {
  const { snapshot, violations } = await snapshotOf(options.files ?? FILES);
  const outcome = await localize({
    report: report({ message: MESSAGE, stack: stackText }),
    repo: repository(options.repo ?? REPO_CONFIG),
    extension,
    snapshot,
    mapper: options.mapper ?? noSourceMaps,
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  return { outcome, violations, snapshot };
}

describe('in-app frames', () => {
  test('plain frames map through sourceRoots; the innermost is the culprit', async ({ expect }) => {
    const { outcome, violations, snapshot } = await run(
      stack(
        HEADER,
        frame('shared/format.js', 2, 22, 'formatNote'),
        frame('popup/popup.js', 7, 24, 'render'),
        frame('popup/popup.js', 14, 3, 'main'),
      ),
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const { context } = outcome;
    expect(context.frames).toEqual([
      {
        function: 'formatNote',
        path: 'extension/shared/format.js',
        line: 2,
        column: 22,
        via: 'source_roots',
      },
      {
        function: 'render',
        path: 'extension/popup/popup.js',
        line: 7,
        column: 24,
        via: 'source_roots',
      },
      {
        function: 'main',
        path: 'extension/popup/popup.js',
        line: 14,
        column: 3,
        via: 'source_roots',
      },
    ]);
    expect(context.culprit).toEqual(context.frames[0]);
    expect(context.files['extension/shared/format.js']).toMatchObject({
      role: 'frame',
      content: FORMAT,
    });
    expect(context.files['extension/popup/popup.js']?.role).toBe('frame');
    expect(context.commitSha).toBe(snapshot.commitSha);
    expect(context.repo).toBe('octo-org/notes-extension');
    expect(context.event).toEqual({
      type: 'TypeError',
      message: MESSAGE,
      stack: expect.stringContaining('formatNote'),
      surface: 'popup',
      version: '1.3.0',
      mechanism: null,
    });
    expect(context.evidence).toMatchObject({
      events: 14,
      installs: 3,
      versions: ['1.3.0', '1.2.0'],
    });
    expect(outcome.stats).toMatchObject({ inAppFrames: 3, dropped: {}, framelessRule: null });
    expect(violations).toEqual([]);
  });

  test('frames of another build id are the same extension; vendor, helper and built-in frames are not', async ({
    expect,
  }) => {
    const { outcome } = await run(
      stack(
        HEADER,
        `    at Object.each (chrome-extension://${STORE_ID}/vendor/jquery.min.js:2:3000)`,
        '    at JSON.parse (<anonymous>)',
        // A lib/ directory at the package root holds copied third-party scripts (parse-stack.ts).
        frame('lib/jquery.js', 1, 100, 'each'),
        frame('shared/format.js', 2, 22, 'formatNote', UNPACKED_ID),
        `    at _asyncToGenerator (chrome-extension://${STORE_ID}/popup/popup.js:1:900)`,
        frame('popup/popup.js', 7, 24, 'render', UNPACKED_ID),
        '    at https://example.com/page.js:10:5',
      ),
    );
    expect(outcome.ok && outcome.context.frames.map((f) => `${f.path}:${f.line}`)).toEqual([
      'extension/shared/format.js:2',
      'extension/popup/popup.js:7',
    ]);
    expect(outcome.stats.inAppFrames).toBe(2);
  });

  test('frames in paths.exclude are not in-app: the next frame is the culprit', async ({
    expect,
  }) => {
    const { outcome } = await run(
      stack(
        HEADER,
        frame('generated/strings.js', 1, 10, 'lookup'),
        frame('popup/popup.js', 7, 24, 'render'),
      ),
    );
    expect(outcome.ok && outcome.context.culprit?.path).toBe('extension/popup/popup.js');
    expect(outcome.ok && Object.keys(outcome.context.files)).not.toContain(
      'extension/generated/strings.js',
    );
    expect(outcome.stats.dropped).toEqual({ excluded: 1 });
  });

  test('only excluded frames: no in-app frame', async ({ expect }) => {
    const { outcome } = await run(stack(HEADER, frame('generated/strings.js', 1, 10, 'lookup')));
    expect(outcome).toMatchObject({ ok: false, reason: 'no_in_app_frame' });
  });

  test('minified frames go through the FrameMapper with the configured id and the version', async ({
    expect,
  }) => {
    const files = {
      'src/popup/render.ts': lines(40, (i) =>
        i === 12 ? '  const t = note.title.trim();' : `// ${i}`,
      ),
      'src/lib/api.ts': lines(10),
    };
    const mapper = scriptedMapper({
      '/dist/popup.min.js:1:5310': {
        ok: true,
        path: 'src/popup/render.ts',
        line: 12,
        column: 13,
        function: 'renderList',
      },
      '/dist/popup.min.js:1:220': { ok: false, reason: 'map_invalid' },
      '/dist/popup.min.js:1:90': {
        ok: true,
        path: 'src/lib/api.ts',
        line: 3,
        column: 1,
        function: null,
      },
    });
    const { outcome } = await run(
      stack(
        HEADER,
        frame('dist/popup.min.js', 1, 5310, 'e', UNPACKED_ID),
        frame('dist/popup.min.js', 1, 220, 't', UNPACKED_ID),
        frame('dist/popup.min.js', 1, 90, 'n', UNPACKED_ID),
      ),
      { files, repo: { paths: { include: ['src/**'] } }, mapper, version: '1.2.0' },
    );
    expect(mapper.calls).toEqual([
      {
        extensionId: STORE_ID,
        version: '1.2.0',
        packagePath: '/dist/popup.min.js',
        line: 1,
        column: 5310,
      },
      {
        extensionId: STORE_ID,
        version: '1.2.0',
        packagePath: '/dist/popup.min.js',
        line: 1,
        column: 220,
      },
      {
        extensionId: STORE_ID,
        version: '1.2.0',
        packagePath: '/dist/popup.min.js',
        line: 1,
        column: 90,
      },
    ]);
    expect(outcome.ok && outcome.context.frames).toEqual([
      {
        function: 'renderList',
        path: 'src/popup/render.ts',
        line: 12,
        column: 13,
        via: 'source_map',
      },
      // Unnamed in the map: the frame's own (minified) name is all there is.
      { function: 'n', path: 'src/lib/api.ts', line: 3, column: 1, via: 'source_map' },
    ]);
    // The invalid map fell back to sourceRoots, where dist/ is not in the repository.
    expect(outcome.stats.dropped).toEqual({ not_in_repo: 1 });
    expect(outcome.ok && outcome.context.event.version).toBe('1.2.0');
  });

  test('built JavaScript maps to its TypeScript source by name when no map exists', async ({
    expect,
  }) => {
    const { outcome } = await run(stack(HEADER, frame('background.js', 3, 5, 'start')), {
      files: { 'src/background.ts': lines(10) },
      repo: { sourceRoots: [{ from: '/', to: 'src/' }], paths: { include: ['src/**'] } },
    });
    expect(outcome.ok && outcome.context.culprit).toMatchObject({
      path: 'src/background.ts',
      line: 3,
      via: 'source_roots',
    });
  });

  test('a frame pointing outside the repository is a typed outcome, never a read', async ({
    expect,
  }) => {
    const mapper = scriptedMapper({
      '/popup/popup.js:7:24': {
        ok: true,
        path: '../../etc/passwd',
        line: 1,
        column: 1,
        function: null,
      },
    });
    const crafted = [
      frame('../../../etc/passwd', 1, 1, 'a'),
      frame('%2e%2e/%2e%2e/secrets.js', 1, 1, 'b'),
      frame('shared/deleted-since-release.js', 4, 2, 'c'),
    ];
    const alone = await run(stack(HEADER, ...crafted), { mapper });
    expect(alone.outcome).toMatchObject({ ok: false, reason: 'frames_outside_repo' });
    expect(alone.outcome.stats.dropped).toEqual({ outside_repo: 2, not_in_repo: 1 });
    expect(alone.violations).toEqual([]);

    // Mixed with a good frame, the bad ones are dropped; a map pointing outside falls back.
    const mixed = await run(stack(HEADER, ...crafted, frame('popup/popup.js', 7, 24, 'render')), {
      mapper,
    });
    expect(mixed.outcome.ok && mixed.outcome.context.frames).toEqual([
      {
        function: 'render',
        path: 'extension/popup/popup.js',
        line: 7,
        column: 24,
        via: 'source_roots',
      },
    ]);
  });

  test('a frame file that cannot be read as text is dropped; none left is source_unreadable', async ({
    expect,
  }) => {
    const files = {
      ...FILES,
      'extension/shared/huge.js': `// ${'x'.repeat(600 * 1024)}\n`,
      'extension/shared/blob.js': new Uint8Array([0x66, 0x00, 0x6f]),
    };
    const only = await run(
      stack(HEADER, frame('shared/huge.js', 1, 1, 'a'), frame('shared/blob.js', 1, 1, 'b')),
      { files },
    );
    expect(only.outcome).toMatchObject({ ok: false, reason: 'source_unreadable' });
    const mixed = await run(
      stack(
        HEADER,
        frame('shared/huge.js', 1, 1, 'a'),
        frame('shared/format.js', 2, 22, 'formatNote'),
      ),
      { files },
    );
    expect(mixed.outcome.ok && mixed.outcome.context.culprit?.path).toBe(
      'extension/shared/format.js',
    );
    expect(mixed.outcome.stats.dropped).toEqual({ unreadable: 1 });
  });

  test('no sample, or no in-app frame and no known Chrome message', async ({ expect }) => {
    const { snapshot } = await snapshotOf(FILES);
    const base = {
      repo: repository(REPO_CONFIG),
      extension,
      snapshot,
      mapper: noSourceMaps,
    };
    expect(
      await localize({ ...base, report: report({ message: MESSAGE }, { sample: false }) }),
    ).toMatchObject({ ok: false, reason: 'no_sample' });
    expect(
      await localize({
        ...base,
        report: report({
          message: MESSAGE,
          stack: stack(HEADER, '    at https://example.com/a.js:1:1'),
        }),
      }),
    ).toMatchObject({ ok: false, reason: 'no_in_app_frame' });
  });

  test('at most 30 frames are considered, and recursion is counted once', async ({ expect }) => {
    const deep = Array.from({ length: 45 }, (_, i) =>
      frame('popup/popup.js', (i % 3) + 5, 1, 'render'),
    );
    expect(extensionFrames(stack(HEADER, ...deep))).toHaveLength(30);
    const mapper = scriptedMapper({});
    const { outcome } = await run(stack(HEADER, ...deep), { mapper });
    expect(mapper.calls).toHaveLength(30);
    expect(outcome.ok && outcome.context.frames.map((f) => f.line)).toEqual([5, 6, 7]);
  });
});
