import { describe, test } from 'vitest';
import {
  ambiguousSearch,
  block,
  correctFix,
  malformed,
} from '../../../../test/emulators/model/scripted-answers.ts';
import {
  isElisionLine,
  MAX_ANSWER_BYTES,
  parseSearchReplace,
} from '../../src/fix/model/search-replace.ts';

// The SEARCH/REPLACE parser (docs/architecture.md#model-output-format; ai-autofix.md §6).

function parsed(answer: string) {
  const out = parseSearchReplace(answer);
  if (!out.ok) throw new Error(`expected a parse, got ${out.reason}`);
  return out;
}

describe('well-formed blocks', () => {
  test('a fenced block after prose becomes one edit; the prose is ignored', ({ expect }) => {
    const out = parsed(
      correctFix('src/popup.ts', '  const n = notes.length;', '  const n = notes?.length ?? 0;'),
    );
    expect(out.malformed).toEqual([]);
    expect(out.edits).toEqual([
      {
        path: 'src/popup.ts',
        search: '  const n = notes.length;',
        replace: '  const n = notes?.length ?? 0;',
      },
    ]);
  });

  test('unfenced blocks, the path inside the fence, and decorated paths', ({ expect }) => {
    const answer = [
      block({ path: 'src/a.ts', search: 'a();', replace: 'a?.();' }, { fenced: false }),
      '',
      '```ts',
      'src/b.ts',
      '<<<<<<< SEARCH',
      'b();',
      '=======',
      'b?.();',
      '>>>>>>> REPLACE',
      '```',
      '**src/c.ts**',
      '<<<<<<< SEARCH',
      'c();',
      '=======',
      'c?.();',
      '>>>>>>> REPLACE',
      '### `./src/d.ts`:',
      '<<<<<<<< SEARCH', // models miscount the brackets: 5 to 9 are accepted
      'd();',
      '========',
      'd?.();',
      '>>>>>>>> REPLACE',
    ].join('\n');
    const out = parsed(answer);
    expect(out.malformed).toEqual([]);
    expect(out.edits.map((e) => [e.path, e.search, e.replace])).toEqual([
      ['src/a.ts', 'a();', 'a?.();'],
      ['src/b.ts', 'b();', 'b?.();'],
      ['src/c.ts', 'c();', 'c?.();'],
      ['src/d.ts', 'd();', 'd?.();'],
    ]);
  });

  test('multi-line blocks keep indentation; CRLF answers parse the same', ({ expect }) => {
    const search = 'function f(x) {\n  return x.y;\n}';
    const replace = 'function f(x) {\n  if (!x) return null;\n  return x.y;\n}';
    const lf = parsed(correctFix('src/f.js', search, replace));
    const crlf = parsed(correctFix('src/f.js', search, replace).replace(/\n/g, '\r\n'));
    expect(lf.edits).toEqual([{ path: 'src/f.js', search, replace }]);
    expect(crlf.edits).toEqual(lf.edits);
  });

  test('an empty SEARCH (a new file) and an empty REPLACE (a deletion) are edits', ({ expect }) => {
    const out = parsed(
      [
        block({ path: 'src/new.test.ts', search: '', replace: "test('x', () => {});" }),
        block({ path: 'src/old.ts', search: 'debugger;', replace: '' }),
      ].join('\n'),
    );
    expect(out.edits).toEqual([
      { path: 'src/new.test.ts', search: '', replace: "test('x', () => {});" },
      { path: 'src/old.ts', search: 'debugger;', replace: '' },
    ]);
  });

  test('spread syntax is code, not an elision', ({ expect }) => {
    expect(isElisionLine('  ...defaults,')).toBe(false);
    expect(isElisionLine('return [...items];')).toBe(false);
    expect(isElisionLine('...')).toBe(true);
    expect(isElisionLine('  // ... existing code ...')).toBe(true);
    expect(isElisionLine('/* rest of the function */')).toBe(true);
    expect(isElisionLine('# …')).toBe(true);
  });
});

describe('malformed blocks are reported with a closed reason and no text', () => {
  const SEARCH = 'const n = notes.length;';
  const cases: [string, string, string][] = [
    ['unterminated', malformed.unterminated('src/a.ts', SEARCH), 'unterminated'],
    ['missing divider', malformed.missingDivider('src/a.ts', SEARCH), 'missing_divider'],
    ['no path', malformed.noPath(SEARCH, 'x'), 'no_path'],
    ['bad path', malformed.badPath(SEARCH, 'x'), 'bad_path'],
    ['elision', malformed.elision('src/a.ts', 'function a() {', '}', 'x'), 'elision'],
    [
      'extra divider',
      'src/a.ts\n<<<<<<< SEARCH\na\n=======\nb\n=======\nc\n>>>>>>> REPLACE',
      'extra_divider',
    ],
    ['stray REPLACE marker', 'src/a.ts\nfoo\n>>>>>>> REPLACE', 'stray_marker'],
  ];
  for (const [name, answer, reason] of cases) {
    test(name, ({ expect }) => {
      const out = parsed(answer);
      expect(out.edits).toEqual([]);
      expect(out.malformed.map((m) => m.reason)).toEqual([reason]);
      // Position only: nothing the model wrote comes back.
      for (const m of out.malformed)
        expect(m.detail).toMatch(/^(?:block \d+ \(line \d+\)|line \d+)$/);
    });
  }

  test('bad paths of every kind', ({ expect }) => {
    for (const path of [
      '/etc/passwd',
      'src/../../x.ts',
      'src//a.ts',
      'C:/x.ts',
      'src\\a.ts',
      'https://evil.example/a.ts',
      'src/a\u202E.ts',
      'src/a\u200B.ts',
      'src/\u{E0061}.ts',
    ]) {
      const out = parsed(block({ path, search: 'a', replace: 'b' }));
      expect(
        out.malformed.map((m) => m.reason),
        path,
      ).toEqual(['bad_path']);
    }
  });

  test('a malformed block does not hide the well-formed ones around it', ({ expect }) => {
    const answer = [
      block({ path: 'src/a.ts', search: 'a();', replace: 'a?.();' }),
      malformed.unterminated('src/b.ts', 'b();'),
      block({ path: 'src/c.ts', search: 'c();', replace: 'c?.();' }),
    ].join('\n');
    const out = parsed(answer);
    expect(out.edits.map((e) => e.path)).toEqual(['src/a.ts', 'src/c.ts']);
    expect(out.malformed.map((m) => m.reason)).toEqual(['unterminated']);
  });

  test('an answer without blocks has no edits and nothing malformed', ({ expect }) => {
    expect(parsed(malformed.proseOnly())).toEqual({ ok: true, edits: [], malformed: [] });
  });

  test('an ambiguous SEARCH parses: the applier refuses it', ({ expect }) => {
    expect(parsed(ambiguousSearch('src/a.ts', '}', '};')).edits).toHaveLength(1);
  });
});

describe('size cap before parsing', () => {
  test('a 1 MB answer is refused as answer_too_large', ({ expect }) => {
    const huge = block({ path: 'src/a.ts', search: 'a', replace: 'x'.repeat(1024 * 1024) });
    const out = parseSearchReplace(huge);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.reason).toBe('answer_too_large');
      expect(out.bytes).toBeGreaterThan(MAX_ANSWER_BYTES);
    }
  });

  test('the cap counts UTF-8 bytes, not characters', ({ expect }) => {
    // 100k three-byte characters: 300 KB, under the cap in UTF-16 units.
    const wide = block({ path: 'src/a.ts', search: 'a', replace: '€'.repeat(100_000) });
    expect(wide.length).toBeLessThan(MAX_ANSWER_BYTES);
    expect(parseSearchReplace(wide)).toMatchObject({ ok: false, reason: 'answer_too_large' });
    const fits = block({ path: 'src/a.ts', search: 'a', replace: 'x'.repeat(200_000) });
    expect(parseSearchReplace(fits).ok).toBe(true);
  });

  test('more than 40 blocks: the excess is reported, not applied', ({ expect }) => {
    const blocks = Array.from({ length: 45 }, (_, i) =>
      block({ path: `src/f${i}.ts`, search: 'a', replace: 'b' }),
    );
    const out = parsed(blocks.join('\n'));
    expect(out.edits).toHaveLength(40);
    expect(out.malformed.map((m) => m.reason)).toEqual(Array(5).fill('too_many_blocks'));
  });
});
