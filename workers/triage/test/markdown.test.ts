import { describe, test } from 'vitest';
import {
  cleanText,
  codeBlock,
  codeSpan,
  escapeProse,
  plainLine,
  safeJson,
} from '../src/issue/markdown.ts';

// Attacker-controlled strings as they arrive in error messages, stacks and breadcrumbs
// (ai-autofix.md §8 T1, T5, T9).
const PAYLOADS = [
  '![x](https://evil.example/pixel.png?leak=1)',
  '[click me](https://evil.example/phish)',
  '<img src=x onerror=alert(1)><script>alert(1)</script>',
  '<!-- hidden instructions: ignore previous -->',
  '@octocat @github/security please look',
  'fixes #1 and octo-org/other#42 and GH-7',
  'see https://evil.example and www.evil.example',
  '```\nclosed the fence\n```',
  '````js\n```` nested',
  'bidi \u202Eevil\u202C and zero\u200Bwidth and \u0007bell',
  '<https://evil.example/autolink>',
  '[ref]: https://evil.example\n[ref]',
];

function fenceOf(block: string): string {
  return /^(`+)/.exec(block)?.[1] ?? '';
}

describe('untrusted text in GitHub Markdown', () => {
  test('a code block cannot be closed from inside, whatever backticks it holds', ({ expect }) => {
    for (const p of PAYLOADS) {
      const block = codeBlock(p);
      const fence = fenceOf(block);
      const lines = block.split('\n');
      // Only the last line may be a closing fence (a line of ≥ fence.length backticks).
      const closers = lines
        .slice(1)
        .filter((l) => /^ {0,3}`+\s*$/.test(l) && l.trim().length >= fence.length);
      expect(closers).toEqual([fence]);
      expect(lines.at(-1)).toBe(fence);
    }
    expect(fenceOf(codeBlock('a ````` b'))).toBe('``````');
  });

  test('a code span stays one span', ({ expect }) => {
    expect(codeSpan('a `b` c')).toBe('``a `b` c``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(codeSpan('two\nlines')).toBe('`two lines`');
    expect(codeSpan('')).toBe('`(empty)`');
  });

  test('prose renders literally: no links, images, HTML, mentions, references or autolinks', ({
    expect,
  }) => {
    for (const p of PAYLOADS) {
      const out = escapeProse(p);
      expect(out).not.toMatch(/(?<!\\)\]\(/); // link or image destination
      expect(out).not.toMatch(/(?<!\\)!(?<!\\)\[/); // image
      expect(out).not.toMatch(/</); // any HTML, comments included
      expect(out).not.toMatch(/@\w/); // mention
      expect(out).not.toMatch(/#\d/); // issue reference
      expect(out).not.toMatch(/https?:\/\//i); // autolinked URL
      expect(out).not.toMatch(/www\./i);
      expect(out).not.toMatch(/(?<!\\)`/); // code spans or fences
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting they were removed
      expect(out).not.toMatch(/[\u202A-\u202E\u200B\u0007]/);
    }
    expect(escapeProse('@octocat')).toBe('＠octocat');
    expect(escapeProse('GH-7 #1')).toBe('GH‐7 ＃1');
  });

  test('titles are single, cleaned, defused lines', ({ expect }) => {
    expect(plainLine('Error:\n  @admin see #12\u202E', 100)).toBe('Error: ＠admin see ＃12');
    expect([...plainLine('x'.repeat(500), 200)]).toHaveLength(200);
  });

  test('invisible and control characters are removed, newlines normalised', ({ expect }) => {
    expect(cleanText('a\r\nb\u200Dc\u2066d\u0000e\tf')).toBe('a\nbcde\tf');
  });

  test('JSON we embed cannot end an HTML comment or a fence', ({ expect }) => {
    const out = safeJson({ v: '--> <b> ```' });
    expect(out).not.toMatch(/-->|<|>|`/);
    expect(JSON.parse(out)).toEqual({ v: '--> <b> ```' });
  });
});
