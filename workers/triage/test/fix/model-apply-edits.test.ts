import { describe, test } from 'vitest';
import { applyEdits } from '../../src/fix/model/apply-edits.ts';

// The SEARCH/REPLACE applier (ai-autofix.md §6, "How to apply the blocks").

const POPUP = [
  'export function render(notes) {',
  '  const list = document.querySelector("#list");',
  '  for (const note of notes) {',
  '    const li = document.createElement("li");',
  '    li.textContent = note.title;',
  '    list.append(li);',
  '  }',
  '}',
  '',
  'export function count(notes) {',
  '  return notes.length;',
  '}',
  '',
].join('\n');

const files = { 'src/popup.js': POPUP };

describe('exact matches', () => {
  test('a unique SEARCH is replaced, the rest of the file untouched', ({ expect }) => {
    const out = applyEdits(files, [
      {
        path: 'src/popup.js',
        search: '  return notes.length;',
        replace: '  return notes?.length ?? 0;',
      },
    ]);
    expect(out).toEqual({
      ok: true,
      changes: [
        {
          path: 'src/popup.js',
          before: POPUP,
          after: POPUP.replace('return notes.length;', 'return notes?.length ?? 0;'),
        },
      ],
    });
  });

  test('a whole-file SEARCH quoted through its final newline still matches, once', ({ expect }) => {
    const file = 'export function f(a) {\n  return a.b;\n}\n';
    const out = applyEdits({ 'src/f.js': file }, [
      { path: 'src/f.js', search: file, replace: file.replace('a.b', 'a?.b') },
    ]);
    expect(out).toEqual({
      ok: true,
      changes: [{ path: 'src/f.js', before: file, after: file.replace('a.b', 'a?.b') }],
    });
  });

  test('several edits to one file apply in order, each to the previous result', ({ expect }) => {
    const out = applyEdits(files, [
      { path: 'src/popup.js', search: '  return notes.length;', replace: '  return size(notes);' },
      // Matches only the text the first edit wrote.
      {
        path: 'src/popup.js',
        search: '  return size(notes);',
        replace: '  return size(notes ?? []);',
      },
    ]);
    expect(out.ok && out.changes[0]?.after).toContain('  return size(notes ?? []);\n');
  });

  test('lines are matched whole: a SEARCH inside a longer line does not match', ({ expect }) => {
    const out = applyEdits(files, [{ path: 'src/popup.js', search: 'notes.length', replace: 'x' }]);
    expect(out).toEqual({
      ok: false,
      failures: [{ path: 'src/popup.js', edit: 0, reason: 'no_match' }],
    });
  });

  test('CRLF files stay CRLF', ({ expect }) => {
    const crlf = POPUP.replace(/\n/g, '\r\n');
    const out = applyEdits({ 'src/popup.js': crlf }, [
      {
        path: 'src/popup.js',
        search: '  return notes.length;',
        replace: '  if (!notes) return 0;\n  return notes.length;',
      },
    ]);
    expect(out.ok && out.changes[0]?.after).toBe(
      crlf.replace('  return notes.length;', '  if (!notes) return 0;\r\n  return notes.length;'),
    );
  });
});

describe('whitespace-relative matches', () => {
  test('SEARCH without the file indentation matches, and REPLACE is re-indented', ({ expect }) => {
    const out = applyEdits(files, [
      {
        path: 'src/popup.js',
        search: 'const li = document.createElement("li");\nli.textContent = note.title;',
        replace:
          'const li = document.createElement("li");\nif (note) {\n  li.textContent = note.title;\n}',
      },
    ]);
    expect(out.ok && out.changes[0]?.after).toContain(
      [
        '    const li = document.createElement("li");',
        '    if (note) {',
        '      li.textContent = note.title;',
        '    }',
        '    list.append(li);',
      ].join('\n'),
    );
  });

  test('trailing whitespace in SEARCH is ignored', ({ expect }) => {
    const out = applyEdits(files, [
      { path: 'src/popup.js', search: '  return notes.length;   \t', replace: '  return 0;' },
    ]);
    expect(out.ok && out.changes[0]?.after).toContain('\n  return 0;\n');
  });

  test('indentation that differs per line is no match (not a fuzzy one)', ({ expect }) => {
    const out = applyEdits(files, [
      {
        path: 'src/popup.js',
        search: 'for (const note of notes) {\nconst li = document.createElement("li");',
        replace: 'x',
      },
    ]);
    expect(out).toMatchObject({ ok: false, failures: [{ reason: 'no_match' }] });
  });

  test('a near miss (one character off) is no match: never edit distance', ({ expect }) => {
    const out = applyEdits(files, [
      { path: 'src/popup.js', search: '  return note.length;', replace: '  return 0;' },
    ]);
    expect(out).toMatchObject({ ok: false, failures: [{ reason: 'no_match' }] });
  });
});

describe('refusals', () => {
  test('a SEARCH found twice is ambiguous, exactly or whitespace-relative', ({ expect }) => {
    expect(applyEdits(files, [{ path: 'src/popup.js', search: '}', replace: '};' }])).toEqual({
      ok: false,
      failures: [{ path: 'src/popup.js', edit: 0, reason: 'ambiguous' }],
    });
    const twice = { 'src/a.js': 'if (a) {\n  go();\n}\nif (b) {\n    go();\n}\n' };
    expect(applyEdits(twice, [{ path: 'src/a.js', search: 'go();', replace: 'x();' }])).toEqual({
      ok: false,
      failures: [{ path: 'src/a.js', edit: 0, reason: 'ambiguous' }],
    });
  });

  test('a file that is not given is unknown, even a prototype key', ({ expect }) => {
    for (const path of ['src/other.js', '__proto__', 'constructor']) {
      expect(applyEdits(files, [{ path, search: 'x', replace: 'y' }])).toEqual({
        ok: false,
        failures: [{ path, edit: 0, reason: 'unknown_file' }],
      });
    }
  });

  test('all failures are reported, and any failure means no changes', ({ expect }) => {
    const out = applyEdits(files, [
      { path: 'src/popup.js', search: '  return notes.length;', replace: '  return 0;' },
      { path: 'src/popup.js', search: 'nothing like this', replace: 'y' },
      { path: 'src/nope.js', search: 'x', replace: 'y' },
    ]);
    expect(out).toEqual({
      ok: false,
      failures: [
        { path: 'src/popup.js', edit: 1, reason: 'no_match' },
        { path: 'src/nope.js', edit: 2, reason: 'unknown_file' },
      ],
    });
  });
});

describe('new files', () => {
  test('an empty SEARCH creates a file that does not exist', ({ expect }) => {
    const out = applyEdits(files, [
      { path: 'src/popup.test.js', search: '', replace: "test('count', () => {});" },
    ]);
    expect(out).toEqual({
      ok: true,
      changes: [{ path: 'src/popup.test.js', before: '', after: "test('count', () => {});\n" }],
    });
  });

  test('an empty SEARCH for an existing file is refused', ({ expect }) => {
    expect(applyEdits(files, [{ path: 'src/popup.js', search: '', replace: 'x' }])).toEqual({
      ok: false,
      failures: [{ path: 'src/popup.js', edit: 0, reason: 'file_exists' }],
    });
    // Creating twice: the second finds the first.
    const twice = applyEdits(files, [
      { path: 'src/n.js', search: '', replace: 'a' },
      { path: 'src/n.js', search: '', replace: 'b' },
    ]);
    expect(twice).toMatchObject({ ok: false, failures: [{ edit: 1, reason: 'file_exists' }] });
  });

  test('a created file can be edited by a later block', ({ expect }) => {
    const out = applyEdits(files, [
      { path: 'src/n.js', search: '', replace: 'export const a = 1;' },
      { path: 'src/n.js', search: 'export const a = 1;', replace: 'export const a = 2;' },
    ]);
    expect(out.ok && out.changes).toEqual([
      { path: 'src/n.js', before: '', after: 'export const a = 2;\n' },
    ]);
  });

  test('an edit that changes nothing yields no change', ({ expect }) => {
    const out = applyEdits(files, [
      { path: 'src/popup.js', search: '  return notes.length;', replace: '  return notes.length;' },
    ]);
    expect(out).toEqual({ ok: true, changes: [] });
  });
});
