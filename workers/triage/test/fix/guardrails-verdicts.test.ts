import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { checkCandidate } from '../../src/fix/guardrails/guardrails.ts';
import { diffSha256, recordVerdict, verdictsFor } from '../../src/fix/guardrails/verdict-store.ts';
import { candidate, context, edit, LIMITS, MODEL, PATTERN, REPO } from './guardrails-fixture.ts';

/** Guardrail verdicts in real local D1: recorded once per run, attempt and diff (at-least-once delivery). */

const BG = 'src/background/messaging.js';
let runs = 0;
function runId(): string {
  runs++;
  return `run-guardrails-${runs}-${crypto.randomUUID()}`;
}

const fix = () =>
  edit(
    BG,
    '  return tab.title.length > 20 ? tab.title.slice(0, 20) : tab.title;',
    "  const title = tab?.title ?? '';\n  return title.length > 20 ? title.slice(0, 20) : title;",
  );
const hostile = () =>
  edit(
    BG,
    'export function readBadge(tab) {\n',
    'export function readBadge(tab) {\n  eval(tab.x);\n',
  );

function key(run: string, attempt = 1) {
  return { runId: run, fingerprint: context().fingerprint, attempt };
}

async function record(run: string, c = candidate([fix()], PATTERN), attempt = 1) {
  const ctx = context();
  return recordVerdict(env.DB, {
    runId: run,
    repo: REPO.slug,
    extensionId: ctx.extensionId,
    fingerprint: ctx.fingerprint,
    attempt,
    candidate: c,
    verdict: checkCandidate(c, ctx, REPO, LIMITS),
    now: 1_700_000_000_000 + attempt,
  });
}

describe('guardrail verdicts in D1', () => {
  test('a pass is recorded with its stats, once however often it is redelivered', async ({
    expect,
  }) => {
    const run = runId();
    const first = await record(run);
    const again = await record(run);
    expect(first.recorded).toBe(true);
    expect(again).toEqual({ recorded: false, diffSha256: first.diffSha256 });
    const rows = await verdictsFor(env.DB, key(run));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      repo: REPO.slug,
      candidateKind: 'pattern',
      candidateRef: 'builtin:optional-chaining',
      verdict: 'pass',
      reasons: [],
      stats: { files: 1, added: 2, removed: 1 },
      diffSha256: first.diffSha256,
      createdAt: 1_700_000_000_001,
    });
  });

  test('a rejection stores reason codes and paths only, never details or content', async ({
    expect,
  }) => {
    const run = runId();
    await record(run, candidate([hostile(), { path: '../x', before: '', after: 'y' }], MODEL));
    const rows = await verdictsFor(env.DB, key(run));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      candidateKind: 'model',
      candidateRef: 'deepseek/deepseek-chat',
      verdict: 'reject',
      reasons: [{ reason: 'dangerous_code', path: BG }, { reason: 'path_invalid' }],
    });
    const raw = await env.DB.prepare('SELECT reasons FROM fix_guardrail_verdicts WHERE run_id = ?')
      .bind(run)
      .first<{ reasons: string }>();
    expect(raw?.reasons).not.toContain('eval');
    expect(raw?.reasons).not.toContain('../x');
  });

  test('another diff, another attempt or another run is a new row', async ({ expect }) => {
    const run = runId();
    expect((await record(run)).recorded).toBe(true);
    expect((await record(run, candidate([hostile()]))).recorded).toBe(true);
    expect((await record(run, candidate([fix()], PATTERN), 2)).recorded).toBe(true);
    expect((await record(runId())).recorded).toBe(true);
    expect((await verdictsFor(env.DB, key(run))).map((r) => r.verdict)).toEqual(['pass', 'reject']);
    expect(await verdictsFor(env.DB, key(run, 2))).toHaveLength(1);
  });

  test('the diff hash ignores the source, unchanged files, file order and CRLF', async ({
    expect,
  }) => {
    const a = candidate([fix(), { path: 'src/lib/storage.js', before: 'x', after: 'x' }], PATTERN);
    const b = candidate([fix()], MODEL);
    const crlf = fix();
    const c = candidate([
      {
        ...crlf,
        before: crlf.before.replace(/\n/g, '\r\n'),
        after: crlf.after.replace(/\n/g, '\r\n'),
      },
    ]);
    const other = candidate([hostile()]);
    const two = [
      fix(),
      edit('src/lib/storage.js', 'JSON.parse(stored[key])', "JSON.parse(stored[key] ?? '[]')"),
    ];
    expect(await diffSha256(a)).toBe(await diffSha256(b));
    expect(await diffSha256(c)).toBe(await diffSha256(b));
    expect(await diffSha256(other)).not.toBe(await diffSha256(b));
    expect(await diffSha256(candidate([...two].reverse()))).toBe(await diffSha256(candidate(two)));
    expect(await diffSha256(b)).toMatch(/^[0-9a-f]{64}$/);
  });
});
