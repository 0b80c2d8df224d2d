import { env } from 'cloudflare:workers';
import { describe, inject, test } from 'vitest';
import { OpenApiValidator } from '../../../test/emulators/github/openapi-validator.ts';
import { listOutbox } from '../src/outbox/outbox.ts';
import { EXT_A, REPO_A } from './support/config.ts';
import { freshFingerprint, recordRegression, seedFingerprint } from './support/fingerprints.ts';
import { messageId, triageHarness } from './support/harness.ts';
import { fingerprintMessage } from './support/queue.ts';

const validator = new OpenApiValidator(inject('githubOpenApi'));

async function outboxFor(fingerprint: string) {
  const all = await listOutbox(env.DB, { limit: 1000 });
  return all.filter((e) => e.key.includes(fingerprint));
}

/** Every recorded request must be one GitHub would accept (the placeholder stands for a number). */
function violations(entries: Awaited<ReturnType<typeof outboxFor>>) {
  return entries.flatMap(
    (e) =>
      validator.checkRequest(
        e.method,
        e.path.replace('{issue_number}', '1'),
        new URLSearchParams(),
        e.body ?? undefined,
      ).violations,
  );
}

describe('dry-run mode (no GITHUB_TOKEN)', () => {
  test('the issue is recorded in the outbox as the exact request, once, and nothing is sent', async ({
    expect,
  }) => {
    const h = await triageHarness({ mode: 'dry-run' });
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp });
    const id = messageId();
    const r = await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp) }]);
    expect(r.acked).toEqual([id]);
    await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp), attempts: 2 }]);
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') }]);
    const entries = await outboxFor(fp);
    expect(entries).toHaveLength(1);
    const [create] = entries;
    expect(create).toMatchObject({
      repo: REPO_A,
      purpose: 'create_issue',
      method: 'POST',
      path: `/repos/octo-org/notes-extension/issues`,
      dependsOn: null,
      body: {
        title: "[notes] TypeError: Cannot read properties of undefined (reading 'id')",
        labels: expect.arrayContaining([
          'homeostat',
          `fingerprint:${fp.slice(4, 12)}`,
          'class:safe',
        ]),
        body: expect.stringContaining(`homeostat:metadata {"v":1,"fingerprint":"${fp}"`),
      },
    });
    expect(violations(entries)).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
  });

  test('updates and a regression are recorded against the pending issue', async ({ expect }) => {
    const h = await triageHarness({ mode: 'dry-run' });
    const fp = freshFingerprint();
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 3 });
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp) }]);
    await seedFingerprint(env.DB, { extensionId: EXT_A, fingerprint: fp, events: 40 });
    h.clock.advance(61 * 60_000);
    await h.deliver([{ id: messageId(), body: fingerprintMessage(EXT_A, fp, 'threshold') }]);
    await seedFingerprint(env.DB, {
      extensionId: EXT_A,
      fingerprint: fp,
      events: 41,
      state: 'regressed',
      fixedInVersion: '1.2.0',
      versions: [{ version: '1.5.0', surface: 'popup', events: 1 }],
    });
    await recordRegression(env.DB, EXT_A, fp, '1.5.0', h.clock.now());
    const id = messageId();
    await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp, 'regression') }]);
    await h.deliver([{ id, body: fingerprintMessage(EXT_A, fp, 'regression'), attempts: 2 }]);
    const entries = await outboxFor(fp);
    const create = entries[0];
    expect(entries.map((e) => [e.purpose, e.method, e.path])).toEqual([
      ['create_issue', 'POST', '/repos/octo-org/notes-extension/issues'],
      ['update_issue', 'PATCH', '/repos/octo-org/notes-extension/issues/{issue_number}'],
      ['update_issue', 'PATCH', '/repos/octo-org/notes-extension/issues/{issue_number}'],
      ['create_comment', 'POST', '/repos/octo-org/notes-extension/issues/{issue_number}/comments'],
    ]);
    expect(entries.slice(1).every((e) => e.dependsOn === create?.key)).toBe(true);
    expect(entries[1]?.body).toMatchObject({ body: expect.stringContaining('| Events | 40 |') });
    expect(entries[2]?.body).toEqual({ state: 'open' });
    expect(entries[3]?.body).toMatchObject({ body: expect.stringContaining('version `1.5.0`') });
    expect(violations(entries)).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
  });
});
