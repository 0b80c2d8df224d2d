import { describe, test } from 'vitest';
import { isTriageError } from '../../src/errors.ts';
import { fixBranchName, isValidRefName } from '../../src/fix/pr/fix-branch.ts';
import { gitBlobSha } from '../../src/fix/pr/git-object-hash.ts';
import {
  type FixPullRequestContent,
  fixCommitMessage,
  fixPullRequestTitle,
  PR_BODY_MAX,
  renderFixPullRequestBody,
} from '../../src/fix/pr/pr-template.ts';
import { EVIDENCE, POPUP_BEFORE, patternCandidate, uniqueRepo } from './pr-support.ts';

const HOSTILE =
  'Bad </code><script>alert(1)</script> @octocat cc @org/team ![img](http://x.example/p.png) [click](https://evil.example/a) www.evil.example #99 GH-7 ```\n# heading\n<!-- hidden -->';

function content(overrides: Partial<FixPullRequestContent> = {}): FixPullRequestContent {
  return {
    repo: uniqueRepo(),
    fingerprint: 'fp1:0123456789abcdef0123456789abcdef',
    extensionName: 'notes',
    issue: { kind: 'github', number: 12 },
    report: EVIDENCE,
    candidate: patternCandidate(),
    stats: { files: 1, added: 1, removed: 1 },
    attempt: 1,
    maxAttempts: 3,
    branch: 'homeostat/fix-0123456789ab',
    baseSha: 'a'.repeat(40),
    headSha: 'b'.repeat(40),
    ...overrides,
  };
}

/** What must never be in a PR body or title that event text reached. */
function expectInert(
  expect: (v: unknown) => { not: { toContain(s: string): void } },
  text: string,
) {
  for (const bad of [
    '<script',
    '</code>',
    '@octocat',
    '@org',
    '![',
    '](',
    'http://',
    'https://',
    'www.evil',
    '#99',
    'GH-7',
  ]) {
    expect(text).not.toContain(bad);
  }
}

describe('fix branch names and git object ids', () => {
  test('the branch is homeostat/fix-<first 12 hex> and a valid ref; other input is refused', ({
    expect,
  }) => {
    expect(fixBranchName('fp1:0123456789abcdef0123456789abcdef')).toBe(
      'homeostat/fix-0123456789ab',
    );
    for (const bad of ['fp1:xyz', 'fp1:0123', '../fp1:0123456789abcdef0123456789abcdef', '']) {
      expect(() => fixBranchName(bad)).toThrow(
        expect.objectContaining({ code: 'invalid_request' }),
      );
    }
    try {
      fixBranchName('fp1:0123456789ABCDEF0123456789ABCDEF');
      expect.unreachable();
    } catch (err) {
      expect(isTriageError(err)).toBe(true);
    }
    expect(isValidRefName('refs/heads/homeostat/fix-0123456789ab')).toBe(true);
    for (const bad of [
      'refs/heads/a..b',
      'refs/heads/.hidden',
      'refs/heads/x.lock',
      'refs/heads/a b',
      'refs/heads/a~1',
      'refs/heads/a^',
      'refs/heads/a:b',
      'refs/heads/a?',
      'refs/heads/a*',
      'refs/heads/a[b',
      'refs/heads/a\\b',
      'refs/heads/x/',
      'refs/heads/x.',
      'refs/heads//x',
      'refs/heads/a@{1}',
      'heads',
      '@',
      'refs/heads/a\u0007',
    ]) {
      expect(isValidRefName(bad), bad).toBe(false);
    }
  });

  test('blob ids are SHA-1 over "blob <bytes>\\0<content>", as `git hash-object` prints them', async ({
    expect,
  }) => {
    expect(await gitBlobSha('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(await gitBlobSha('')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    // Multi-byte UTF-8: the length is in bytes, not characters.
    expect(await gitBlobSha('const s = "héllo – 🚀";\n')).toBe(
      '568784cc4c46891267283bd27b320a5f3567e748',
    );
  });
});

describe('fix PR title, body and commit message', () => {
  test('hostile event text becomes inert text: no tags, mentions, images, links or references', ({
    expect,
  }) => {
    const c = content({
      report: {
        ...EVIDENCE,
        errorType: 'Type<b>Error',
        title: `TypeError: ${HOSTILE}`,
        versions: [],
      },
      extensionName: '@evil <img src=x>',
      candidate: { ...patternCandidate(), summary: `Guard ${HOSTILE}` },
    });
    const body = renderFixPullRequestBody(c);
    const title = fixPullRequestTitle(c);
    const message = fixCommitMessage(c);
    expectInert(expect, body);
    expectInert(expect, title);
    expectInert(expect, message);
    expect(body).not.toContain('<img');
    expect(body).not.toContain('<b>');
    // The only HTML comment is Homeostat's own marker, and the only reference its own issue.
    expect(body.match(/<!--/g)).toHaveLength(1);
    expect(body).toMatch(
      /<!-- homeostat:fix \{"v":1,"fingerprint":"fp1:0123456789abcdef0123456789abcdef","attempt":1,/,
    );
    expect(body.match(/#\d+/g)).toEqual(['#12']);
    expect(body.split('\n').filter((l) => /^Fixes #/.test(l))).toEqual(['Fixes #12']);
    // Every line of event text stays on one line inside its code span (no heading injected).
    expect(body).not.toMatch(/^# heading/m);
    expect(title.length).toBeLessThanOrEqual(200);
    expect(title).not.toContain('\n');
  });

  test('the diff sits in a fence longer than any backtick run in it', ({ expect }) => {
    const after = POPUP_BEFORE.replace('return user.id;', 'return `````+user?.id+`;');
    const body = renderFixPullRequestBody(content({ candidate: patternCandidate(after) }));
    const open = body.indexOf('``````diff\n');
    expect(open).toBeGreaterThan(-1);
    const close = body.indexOf('\n``````\n', open);
    expect(close).toBeGreaterThan(open);
    expect(body.slice(open, close)).toContain('+  return `````+user?.id+`;');
    expect(body.slice(open, close)).toContain('-  return user.id;');
  });

  test('the body stays under GitHub’s limit: the diff is truncated first, whole lines, with a note', ({
    expect,
  }) => {
    const big = Array.from(
      { length: 4_000 },
      (_, i) => `export const v${i} = ${'x'.repeat(30)};`,
    ).join('\n');
    const body = renderFixPullRequestBody(
      content({ candidate: patternCandidate(`${POPUP_BEFORE}${big}\n`) }),
    );
    expect(body.length).toBeLessThanOrEqual(PR_BODY_MAX);
    expect(body).toMatch(
      /_Diff truncated: \d+ of 4\d{3} lines shown; the commit holds the whole change\._/,
    );
    // Everything after the diff survived the cut.
    expect(body).toContain('### How it was validated');
    expect(body).toContain('Fixes #12');
    expect(body.trimEnd().endsWith('-->')).toBe(true);
  });

  test('validation, attempt and source figures come from the validated fields', ({ expect }) => {
    const body = renderFixPullRequestBody(
      content({ repo: uniqueRepo({ requiredChecks: ['unit tests', 'lint'] }), attempt: 2 }),
    );
    expect(body).toContain('Guardrails: passed (1 file, +1 −1 lines');
    expect(body).toContain(
      `CI pending on \`${'b'.repeat(40)}\` (required checks: \`unit tests\`, \`lint\`)`,
    );
    expect(body).toContain('Attempt 2 of 3');
    expect(body).toContain(
      "Pattern `optional-read` from Homeostat's pattern library, confidence 0.92",
    );
    expect(body).toContain('| Installs affected | 7 |');
    expect(body).toContain('| Versions | `1.2.0`, `1.2.1` |');
    expect(body).toContain('`src/popup.js` | +1 | −1');
    const unrecorded = renderFixPullRequestBody(
      content({ candidate: { ...patternCandidate(), source: { kind: 'other' } as never } }),
    );
    expect(unrecorded).toContain('Source: not recorded.');
  });
});
