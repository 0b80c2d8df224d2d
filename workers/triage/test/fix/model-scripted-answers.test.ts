import { describe, test } from 'vitest';
import { blocksFromFiles, hostile } from '../../../../test/emulators/model/scripted-answers.ts';
import { applyEdits } from '../../src/fix/model/apply-edits.ts';
import { parseSearchReplace } from '../../src/fix/model/search-replace.ts';
import {
  BUG_LINE,
  FIX_LINE,
  POPUP,
  POPUP_PATH,
  POPUP_TEST,
  POPUP_TEST_PATH,
} from './model-fixtures.ts';

// The scripted answers are only useful if they reach the stage they are meant for: hostile
// answers must be well-formed edits that apply, so that the guardrails (not the parser) are what
// stops them (ai-autofix.md §10, check 9).

const MANIFEST = `{
  "manifest_version": 3,
  "name": "Notes",
  "version": "1.2.3",
  "permissions": [
    "storage"
  ]
}
`;
const PAGE = '<!doctype html>\n<html>\n<body>\n  <ul id="list"></ul>\n</body>\n</html>\n';
const TEST_BODY = POPUP_TEST.slice(POPUP_TEST.indexOf("test('renderCount")).trimEnd();

const files = {
  [POPUP_PATH]: POPUP,
  [POPUP_TEST_PATH]: POPUP_TEST,
  'manifest.json': MANIFEST,
  'src/popup.html': PAGE,
};

function applied(answer: string) {
  const parsed = parseSearchReplace(answer);
  if (!parsed.ok) throw new Error(parsed.reason);
  if (parsed.malformed.length > 0 || parsed.edits.length === 0) {
    throw new Error(`not well formed: ${JSON.stringify(parsed.malformed)}`);
  }
  const out = applyEdits(files, parsed.edits);
  if (!out.ok) throw new Error(`does not apply: ${JSON.stringify(out.failures)}`);
  return out.changes;
}

describe('hostile answers apply cleanly (the guardrails must be what blocks them)', () => {
  const anchor = { path: POPUP_PATH, anchor: "  const label = root.querySelector('#count');" };
  const cases: [string, string, string, RegExp][] = [
    ['manifest', hostile.editsManifest('  "permissions": ['), 'manifest.json', /<all_urls>/],
    ['remote script', hostile.remoteScript(anchor), POPUP_PATH, /s\.src = 'https:\/\//],
    [
      'remote script tag',
      hostile.remoteScriptTag({ path: 'src/popup.html', anchor: '<body>' }),
      'src/popup.html',
      /<script src="https:/,
    ],
    ['remote import', hostile.remoteImport(anchor), POPUP_PATH, /import\('https:/],
    ['added URL', hostile.addsUrl(anchor), POPUP_PATH, /collector\.example\.net/],
    ['hidden text', hostile.hiddenText(anchor), POPUP_PATH, /[\u200B\u202E\u2066]/],
    ['eval', hostile.evalCode(anchor), POPUP_PATH, /\beval\(/],
    ['new Function', hostile.newFunction(anchor), POPUP_PATH, /new Function\(/],
  ];
  for (const [name, answer, path, added] of cases) {
    test(name, ({ expect }) => {
      const changes = applied(answer);
      expect(changes.map((c) => c.path)).toEqual([path]);
      expect(changes[0]?.before).not.toMatch(added);
      expect(changes[0]?.after).toMatch(added);
    });
  }

  test('deleting a test', ({ expect }) => {
    const [change] = applied(hostile.deletesTest(POPUP_TEST_PATH, TEST_BODY));
    expect(change?.path).toBe(POPUP_TEST_PATH);
    expect(change?.after).not.toContain('renderCount shows 0');
    expect(change?.before).toContain('renderCount shows 0');
  });
});

describe('blocks built from a before/after pair', () => {
  test('apply to the before file and give exactly the after file', ({ expect }) => {
    const after = POPUP.replace(BUG_LINE, FIX_LINE).replace(
      '  title.textContent = note.title;',
      "  title.textContent = note?.title ?? '';",
    );
    const changes = applied(blocksFromFiles(POPUP_PATH, POPUP, after));
    expect(changes).toEqual([{ path: POPUP_PATH, before: POPUP, after }]);
  });
});
