import { env } from 'cloudflare:workers';
import { describe, test } from 'vitest';
import { LIST_MAX, renderDigest } from '../src/issue/digest-issue.ts';
import { listOutbox } from '../src/outbox/outbox.ts';
import { createClock } from './support/clock.ts';
import { EXT_A, EXT_B, REPO_A, REPO_B, testConfig } from './support/config.ts';
import { freshFingerprint, seedFingerprint } from './support/fingerprints.ts';
import { decodeEntities, renderGfm, textOutsideCode } from './support/gfm.ts';
import { messageId, triageHarness } from './support/harness.ts';
import { fingerprintMessage } from './support/queue.ts';

// Issue 11, item 2: the public ingest key must not be a lever on GitHub. At most
// `limits.newIssuesPerDay` new issues per repository and UTC day; the rest go into one digest.
// D1 is shared by this file's tests: each test runs on its own day.

const DAY = 86_400_000;
const HOSTILE = 'x|![x](http://evil.example/p.png) @octocat #1 <img src=y> `tick`';

async function seeded(extensionId: string, n: number, message?: (i: number) => string) {
  const fps: string[] = [];
  for (let i = 0; i < n; i++) {
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, {
      extensionId,
      fingerprint: fp,
      ...(message === undefined ? {} : { message: message(i) }),
    });
    fps.push(fp);
  }
  return fps;
}

function messages(extensionId: string, fps: string[], reason: 'new' | 'threshold' = 'new') {
  return fps.map((fp) => ({ id: messageId(), body: fingerprintMessage(extensionId, fp, reason) }));
}

async function decision(fingerprint: string) {
  const row = await env.DB.prepare(
    `SELECT reason FROM triage_decisions WHERE fingerprint = ? AND action = 'attempt'
     ORDER BY id DESC LIMIT 1`,
  )
    .bind(fingerprint)
    .first<{ reason: string }>();
  return row?.reason;
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('daily cap on new issues per repository', () => {
  test('past the cap, new problems are listed once in one digest issue; replays change nothing', async ({
    expect,
  }) => {
    const clock = createClock(Date.parse('2026-12-01T09:00:00.000Z'));
    const h = await triageHarness({ clock, config: testConfig({ newIssuesPerDay: 2 }) });
    const fps = await seeded(EXT_A, 5, (i) => (i === 4 ? HOSTILE : `failure number ${i}`));
    const first = messages(EXT_A, fps);
    expect((await h.deliver(first)).acked).toHaveLength(5);

    const issues = h.emulator.issues(REPO_A);
    const digests = issues.filter((i) => i.labels.includes('digest:2026-12-01'));
    expect(issues).toHaveLength(3);
    expect(digests).toHaveLength(1);
    const body = digests[0]?.body ?? '';
    for (const fp of fps.slice(0, 2)) expect(occurrences(body, fp)).toBe(0);
    for (const fp of fps.slice(2)) expect(occurrences(body, fp)).toBe(1);
    expect(body).toContain('failure number 2');
    // The titles are the client's text: listed inert.
    const html = renderGfm(body);
    expect(html).not.toMatch(/<img|<a /);
    expect(decodeEntities(textOutsideCode(html))).not.toMatch(/@octocat|#1\b|evil\.example/);
    for (const fp of fps.slice(2)) expect(await decision(fp)).toBe('issue_capped');
    expect(await decision(fps[0] ?? '')).not.toBe('issue_capped');

    // At-least-once: the same messages again, and new messages about the same problems.
    await h.deliver(first.map((m) => ({ ...m, attempts: 2 })));
    await h.deliver(messages(EXT_A, fps, 'threshold'));
    const after = h.emulator.issues(REPO_A);
    expect(after).toHaveLength(3);
    const again = after.find((i) => i.labels.includes('digest:2026-12-01'))?.body ?? '';
    for (const fp of fps.slice(2)) expect(occurrences(again, fp)).toBe(1);

    // The cap is per repository: the other one still files.
    const [other] = await seeded(EXT_B, 1);
    await h.deliver(messages(EXT_B, [other ?? '']));
    expect(h.emulator.issues(REPO_B)).toHaveLength(1);

    // A new UTC day: a listed problem that keeps occurring gets its own issue, within the cap.
    clock.advance(DAY);
    await h.deliver(messages(EXT_A, [fps[2] ?? ''], 'threshold'));
    const own = h.emulator
      .issues(REPO_A)
      .filter((i) => i.labels.includes(`fingerprint:${(fps[2] ?? '').slice(4, 12)}`));
    expect(own).toHaveLength(1);
    expect(h.violations).toEqual([]);
  });

  test('a digest created whose answer was lost is adopted, not created twice', async ({
    expect,
  }) => {
    const clock = createClock(Date.parse('2026-12-05T09:00:00.000Z'));
    const h = await triageHarness({ clock, config: testConfig({ newIssuesPerDay: 1 }) });
    const [a, b, c] = await seeded(EXT_A, 3);
    await h.deliver(messages(EXT_A, [a ?? '']));
    h.emulator.injectFault({
      method: 'POST',
      path: /^\/repos\/[^/]+\/[^/]+\/issues$/,
      status: 502,
      afterHandling: true,
    });
    const lost = messages(EXT_A, [b ?? '']);
    expect((await h.deliver(lost)).retried).toHaveLength(1);
    await h.deliver(lost.map((m) => ({ ...m, attempts: 2 })));
    await h.deliver(messages(EXT_A, [c ?? '']));
    const digests = h.emulator.issues(REPO_A).filter((i) => i.labels.includes('digest:2026-12-05'));
    expect(digests).toHaveLength(1);
    const body = digests[0]?.body ?? '';
    expect([occurrences(body, b ?? ''), occurrences(body, c ?? '')]).toEqual([1, 1]);
    expect(h.violations).toEqual([]);
  });

  test('dry-run: the cap and the digest apply to the outbox, and replays add nothing', async ({
    expect,
  }) => {
    const clock = createClock(Date.parse('2026-12-09T09:00:00.000Z'));
    const h = await triageHarness({
      mode: 'dry-run',
      clock,
      config: testConfig({ newIssuesPerDay: 1 }),
    });
    const fps = await seeded(EXT_A, 3);
    const sent = messages(EXT_A, fps);
    await h.deliver(sent);
    const mine = async () =>
      (await listOutbox(env.DB, { repo: REPO_A.toLowerCase(), limit: 1000 })).filter(
        (e) => e.key.includes('2026-12-09') || fps.some((fp) => e.key.includes(fp)),
      );
    const entries = await mine();
    const creates = entries.filter((e) => e.purpose === 'create_issue');
    expect(creates.map((e) => e.key.split(':')[0])).toEqual(['create', 'digest']);
    const digestBodies = entries
      .filter((e) => e.key.startsWith('digest'))
      .map((e) => JSON.stringify(e.body));
    const last = digestBodies.at(-1) ?? '';
    for (const fp of fps.slice(1)) expect(occurrences(last, fp)).toBe(1);
    await h.deliver(sent.map((m) => ({ ...m, attempts: 2 })));
    await h.deliver(messages(EXT_A, fps, 'threshold'));
    expect((await mine()).length).toBe(entries.length);
    expect(h.emulator.requests).toEqual([]);
  });

  test('past the listed maximum only the count grows', ({ expect }) => {
    const repo = testConfig().repositories[0];
    if (repo === undefined) throw new Error('no repo');
    const entries = Array.from({ length: LIST_MAX }, (_, i) => ({
      extension_id: EXT_A,
      fingerprint: `fp1:${String(i).padStart(32, '0')}`,
      title: `t${i}`,
    }));
    const { body, title } = renderDigest(repo, '2026-12-10', { entries, total: LIST_MAX + 7 });
    expect(body.split('\n').filter((l) => l.startsWith('| `fp1:'))).toHaveLength(LIST_MAX);
    expect(body).toContain('_and 7 more._');
    expect(title).toBe(
      `[homeostat] ${LIST_MAX + 7} new problems over the daily limit on 2026-12-10`,
    );
  });
});
