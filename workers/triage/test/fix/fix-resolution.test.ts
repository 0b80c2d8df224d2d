import { env } from 'cloudflare:workers';
import { describe, expect, test } from 'vitest';
import { createTriageApp } from '../../src/app.ts';
import { FixRunStore } from '../../src/fix/fix-run-store.ts';
import { createClock } from '../support/clock.ts';
import { EXT_A, REPO_A, testConfig } from '../support/config.ts';
import { GITHUB_TOKEN, githubTestbed } from '../support/github.ts';

/**
 * "Fixed in <version>" (issue 10, item 6): registering a release built from a commit that
 * contains a merged fix resolves the fingerprint in that version (ingest then treats the error's
 * return as a regression) and says so on the issue; a release without the fix resolves nothing.
 */

const ADMIN = 'admin-token-for-resolution-tests';

async function setup() {
  const clock = createClock();
  const bed = githubTestbed({ now: clock.now });
  await bed.emulator.addRepo(REPO_A, { files: { 'src/popup.js': 'a.b;\n' } });
  const base = bed.emulator.git(REPO_A).resolve('main')?.sha ?? '';
  // The fix lands on main (its merge commit), then an unrelated commit follows.
  const mergeSha = await bed.emulator.humanPushes(REPO_A, 'main', { 'src/popup.js': 'a?.b;\n' });
  const later = await bed.emulator.humanPushes(REPO_A, 'main', { 'README.md': '# notes\n' });
  const fp = `fp1:${'7e'.repeat(16)}`;
  await env.DB.prepare(
    `INSERT INTO triage_issues (repo, extension_id, fingerprint, state, issue_number, class,
       created_at, updated_at) VALUES (?1, ?2, ?3, 'open', 41, 'safe', 0, 0)`,
  )
    .bind(REPO_A.toLowerCase(), EXT_A, fp)
    .run();
  const issue = await bed.emulator.fetch(
    new Request(`https://api.github.com/repos/${REPO_A}/issues`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GITHUB_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'TypeError in popup' }),
    }),
  );
  const issueNumber = ((await issue.json()) as { number: number }).number;
  await env.DB.prepare('UPDATE triage_issues SET issue_number = ?1 WHERE fingerprint = ?2')
    .bind(issueNumber, fp)
    .run();
  const runs = new FixRunStore(env.DB, clock.now);
  await runs.open(7001, { repo: REPO_A, extensionId: EXT_A, fingerprint: fp }, 1, 'r', null);
  await runs.advance(7001, ['proposing'], 'merged', { mergeSha });
  const app = createTriageApp(testConfig(), { now: clock.now, fetch: bed.clientFetch });
  const e: Env = { ...env, ADMIN_TOKEN: ADMIN, GITHUB_TOKEN };
  const register = (version: string, commitSha: string) =>
    app.request(
      `/admin/releases/${EXT_A}/${version}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ commitSha, buildDir: 'dist' }),
      },
      e,
    );
  return { bed, base, later, fp, issueNumber, register };
}

async function resolution(fp: string) {
  return env.DB.prepare(
    'SELECT fixed_in_version, source FROM fingerprint_resolutions WHERE extension_id = ?1 AND fingerprint = ?2',
  )
    .bind(EXT_A, fp)
    .first();
}

describe('a release that contains a merged fix', () => {
  test('an older release resolves nothing; the first release with the fix is "fixed in" it, once', async () => {
    const { bed, base, later, fp, issueNumber, register } = await setup();
    const before = await register('1.4.0', base);
    expect(before.status).toBe(201);
    expect(await before.json()).toMatchObject({ resolved: [] });
    expect(await resolution(fp)).toBeNull();

    const res = await register('1.5.0', later);
    expect(await res.json()).toMatchObject({ resolved: [{ fingerprint: fp }] });
    expect(await resolution(fp)).toEqual({ fixed_in_version: '1.5.0', source: 'fixed_in_release' });
    const comments = bed.emulator.comments(REPO_A, issueNumber).map((c) => c.body);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain('Fixed in 1.5.0');

    // The next release (and a repeated registration) does not move "fixed in" or comment again.
    await register('1.5.0', later);
    expect(await (await register('1.6.0', later)).json()).toMatchObject({ resolved: [] });
    expect(await resolution(fp)).toEqual({ fixed_in_version: '1.5.0', source: 'fixed_in_release' });
    expect(bed.emulator.comments(REPO_A, issueNumber)).toHaveLength(1);
    expect(bed.violations).toEqual([]);
  });
});
