import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import {
  buildLearnedPattern,
  extractPattern,
  type MergedFix,
} from '../../src/fix/patterns/pattern-extractor.ts';
import { matchPattern } from '../../src/fix/patterns/pattern-matcher.ts';
import { getPattern } from '../../src/fix/patterns/pattern-store.ts';
import { code, fixContext, parses, withFiles } from './patterns-context.ts';

/**
 * The extractor (seed 001 "PatternExtractor"; issue 10 item 5): a human-merged fix becomes a
 * repository-scoped token-rewrite pattern that applies to other code of the same shape, and
 * nothing is learned outside production or from a PR Homeostat merged unreviewed.
 */

const NOW = Date.parse('2026-11-21T09:00:00.000Z');
const MESSAGE = "Cannot set properties of null (setting 'textContent')";

const before = code`
  export function renderStatus(status: Status): void {
    const badge = document.querySelector('#badge');
    badge.textContent = status.label;
  }
`;
const fixed = code`
  export function renderStatus(status: Status): void {
    const badge = document.querySelector('#badge');
    if (badge) badge.textContent = status.label;
  }
`;

function merged(overrides: Partial<MergedFix> = {}): MergedFix {
  return {
    repo: 'Acme/Tab-Tools',
    prUrl: 'https://github.com/Acme/Tab-Tools/pull/42',
    mergedBy: 'human',
    humanReviewed: true,
    changes: [{ path: 'src/popup/status.ts', before, after: fixed }],
    errorType: 'TypeError',
    message: MESSAGE,
    culprit: { path: 'src/popup/status.ts', line: 3, column: 23 },
    env: 'production',
    now: NOW,
    ...overrides,
  };
}

describe('pattern extractor', () => {
  test('round trip: learned from one fix, applied to other code with other names', async ({
    expect,
  }) => {
    const learned = await extractPattern(env.DB, merged());
    if (learned.status !== 'learned') throw new Error(JSON.stringify(learned));
    expect(learned.created).toBe(true);
    expect(await getPattern(env.DB, learned.patternId)).toMatchObject({
      scope: 'acme/tab-tools',
      provenance: 'learned',
      transform: 'token-rewrite',
      error_type: 'TypeError',
      message_template: MESSAGE,
      frame_shape: 'member-read',
      confidence: 0.8,
      state: 'active',
      source_pr_url: 'https://github.com/Acme/Tab-Tools/pull/42',
      source_repo: 'Acme/Tab-Tools',
      learned_env: 'production',
    });

    const other = code`
      const showCount = (info) => {
        const counter = document.getElementById('counter');
        if (!info) return;
        counter.textContent = info.label;
      };
    `;
    const ctx = fixContext({
      repo: 'acme/tab-tools',
      files: { 'src/content/count.js': other },
      frames: [{ path: 'src/content/count.js', line: 4 }],
      type: 'TypeError',
      message: MESSAGE,
    });
    const result = await matchPattern(env.DB, ctx, { repo: 'acme/tab-tools' });
    if (!result.ok) throw new Error(JSON.stringify(result));
    expect(result.candidate.source).toEqual({
      kind: 'pattern',
      patternId: learned.patternId,
      confidence: 0.8,
      fuzzy: false,
    });
    const after = result.candidate.changes[0]?.after ?? '';
    expect(after).toBe(
      other.replace('  counter.textContent', '  if (counter) counter.textContent'),
    );
    expect(parses('src/content/count.js', after)).toBe(true);

    // Applied twice, nothing changes the second time.
    const again = await matchPattern(env.DB, withFiles(ctx, result.candidate.changes), {
      repo: 'acme/tab-tools',
    });
    expect(again).toMatchObject({ ok: false, reason: 'already_fixed' });
    expect(again.tried[0]).toMatchObject({
      patternId: learned.patternId,
      outcome: 'already_guarded',
    });

    // Only this repository learned it.
    const elsewhere = await matchPattern(
      env.DB,
      { ...ctx, repo: 'other/ext' },
      { repo: 'other/ext' },
    );
    expect(elsewhere.tried.some((t) => t.patternId === learned.patternId)).toBe(false);
  });

  test('the templates hold holes for the code’s own names and nothing else', ({ expect }) => {
    const built = buildLearnedPattern(merged());
    if (!built.ok) throw new Error(built.reason);
    expect(built.params.search).toEqual([
      { hole: 1 },
      { t: '.' },
      { t: 'textContent' },
      { t: '=' },
      { hole: 2 },
      { t: '.' },
      { t: 'label' },
      { t: ';' },
    ]);
    expect(built.params.replace).toEqual([
      { text: 'if (' },
      { hole: 1 },
      { text: ') ' },
      { hole: 1 },
      { text: '.textContent = ' },
      { hole: 2 },
      { text: '.label;' },
    ]);
    expect(built.params.window).toBe(2);
  });

  test('the same fix redelivered is stored once', async ({ expect }) => {
    const first = await extractPattern(env.DB, merged({ repo: 'acme/other' }));
    const second = await extractPattern(env.DB, merged({ repo: 'acme/other', now: NOW + 1000 }));
    expect(first).toMatchObject({ status: 'learned', created: true });
    expect(second).toEqual({
      status: 'learned',
      patternId: (first as { patternId: string }).patternId,
      created: false,
    });
  });

  test('learns only in production, and never from its own unreviewed merge', async ({ expect }) => {
    expect(await extractPattern(env.DB, merged({ env: 'dev' }))).toEqual({
      status: 'skipped_env',
      env: 'dev',
    });
    expect(await extractPattern(env.DB, merged({ env: 'test' }))).toEqual({
      status: 'skipped_env',
      env: 'test',
    });
    expect(
      await extractPattern(env.DB, merged({ mergedBy: 'homeostat', humanReviewed: false })),
    ).toEqual({
      status: 'refused',
      reason: 'not_human_reviewed',
    });
    expect(
      await extractPattern(
        env.DB,
        merged({ repo: 'acme/reviewed', mergedBy: 'homeostat', humanReviewed: true }),
      ),
    ).toMatchObject({ status: 'learned' });
  });

  test('refuses more than one file or hunk, large changes, far changes, and shapes with no anchor', ({
    expect,
  }) => {
    const refuse = (o: Partial<MergedFix>) => {
      const r = buildLearnedPattern(merged(o));
      return r.ok ? 'learned' : r.reason;
    };
    const twoFiles = [
      { path: 'src/popup/status.ts', before, after: fixed },
      { path: 'src/popup/other.ts', before: 'a;\n', after: 'b;\n' },
    ];
    expect(refuse({ changes: twoFiles })).toBe('multiple_files');
    const far = `${before}${'\n'.repeat(30)}export const version = 1;\n`;
    const farFixed = `${fixed}${'\n'.repeat(30)}export const version = 2;\n`;
    expect(
      refuse({ changes: [{ path: 'src/popup/status.ts', before: far, after: farFixed }] }),
    ).toBe('multiple_hunks');
    const big = before.replace('}\n', `${'  log(status);\n'.repeat(25)}}\n`);
    expect(refuse({ changes: [{ path: 'src/popup/status.ts', before, after: big }] })).toBe(
      'too_large',
    );
    const long = `${'// filler\n'.repeat(20)}${before}`;
    const longFixed = `${'// filler\n'.repeat(20)}${fixed}`;
    expect(
      refuse({
        changes: [{ path: 'src/popup/status.ts', before: long, after: longFixed }],
        culprit: { path: 'src/popup/status.ts', line: 3, column: null },
      }),
    ).toBe('far_from_culprit');
    const bare = 'function f(a, b) {\n  a = b;\n}\n';
    expect(
      refuse({
        changes: [{ path: 'src/x.js', before: bare, after: bare.replace('a = b', 'a = b || a') }],
        culprit: { path: 'src/x.js', line: 2, column: null },
      }),
    ).toBe('no_anchor');
    expect(refuse({ culprit: null })).toBe('no_culprit');
    expect(refuse({ changes: [{ path: 'src/popup/status.ts', before, after: before }] })).toBe(
      'no_change',
    );
    expect(
      refuse({ changes: [{ path: 'src/popup/status.ts', before, after: 'export function (' }] }),
    ).toBe('parse_failed');
  });
});
