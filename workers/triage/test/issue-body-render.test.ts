import { describe, test } from 'vitest';
import type { FingerprintReport } from '../src/issue/fingerprint-source.ts';
import { renderIssue } from '../src/issue/issue-template.ts';
import { tableCode } from '../src/issue/markdown.ts';
import { EXT_A, testConfig } from './support/config.ts';
import { decodeEntities, renderGfm, tagsOf, textOutsideCode } from './support/gfm.ts';

// Issue 11, item 3: the culprit (a function name from the client) sits in a table cell, where a
// `|` ends the cell even inside a code span; whatever is left outside the span renders live.
const INJECTIONS = [
  '![x](http://evil.example/p.png)|render',
  'render|![x](http://evil.example/p.png)',
  '<img src=x onerror=alert(1)>|a',
  '@octocat|fn',
  '#1|fn',
  'fn|`|`[link](https://evil.example)',
  '`|`',
  '||',
  'a\\|![x](http://evil.example)',
  'a\\\\|<b>bold</b>',
  'line one|\nline two <img src=y>|',
  'x | **y** | _z_ | GH-7 | www.evil.example',
  'Object.<anonymous>|<!-- hidden -->',
];

function report(culprit: string): FingerprintReport {
  return {
    extensionId: EXT_A,
    fingerprint: 'fp1:0123456789abcdef0123456789abcdef',
    errorType: 'TypeError',
    title: 'TypeError: x is undefined',
    culprit,
    events: 3,
    installs: 2,
    installsApproximate: false,
    firstSeen: Date.parse('2026-11-20T10:00:00Z'),
    lastSeen: Date.parse('2026-11-21T10:00:00Z'),
    firstVersion: '1.2.0',
    lastVersion: '1.3.0',
    state: 'open',
    fixedInVersion: null,
    versions: [],
    surfaces: ['popup'],
    sample: null,
    sampleVersion: null,
    lastRegressionAt: null,
  };
}

function render(culprit: string): string {
  const config = testConfig();
  const [extension] = config.extensions;
  const [repo] = config.repositories;
  if (extension === undefined || repo === undefined) throw new Error('test config');
  return renderIssue({
    report: report(culprit),
    extension,
    repo,
    policy: { class: 'safe', reasons: [], autoFixable: true },
    state: {
      attempts: 0,
      maxAttempts: 3,
      lastResult: 'none',
      backoffUntil: null,
      decision: 'eligible',
    },
  }).body;
}

/** What the culprit is shown as: one line, controls gone, a space between `\` and `|`. */
function shown(culprit: string): string {
  return culprit
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\\(?=\|)/g, '\\ ');
}

describe('issue body rendered by GitHub table rules', () => {
  const baseline = tagsOf(renderGfm(render('plainFunction')));

  test('a culprit stays one inert code span in its cell, whatever it holds', ({ expect }) => {
    for (const culprit of INJECTIONS) {
      const html = renderGfm(render(culprit));
      // No element appears that a harmless culprit does not produce: no img, a, b, strong…
      expect(tagsOf(html), culprit).toEqual(baseline);
      const cell = /<td>Culprit<\/td>\s*<td>([\s\S]*?)<\/td>/.exec(html)?.[1];
      const code = /^<code>([^<]*)<\/code>$/.exec(cell ?? '')?.[1];
      expect(code === undefined ? cell : decodeEntities(code), culprit).toBe(shown(culprit));
      // Mentions and references are linked by GitHub only outside code.
      const outside = decodeEntities(textOutsideCode(html));
      expect(outside, culprit).not.toMatch(/@octocat|#1\b|evil\.example|GH-7/);
    }
  });

  test('every table cell of untrusted text is written with escaped pipes', ({ expect }) => {
    expect(tableCode('a|b')).toBe('`a\\|b`');
    expect(tableCode('a\\|b')).toBe('`a\\ \\|b`');
    expect(tableCode('`x|y`')).toBe('`` `x\\|y` ``');
    expect(tableCode('')).toBe('`(empty)`');
  });
});
