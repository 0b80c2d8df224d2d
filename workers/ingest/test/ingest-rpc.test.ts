import { runDurableObjectAlarm } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import {
  convertSentryApiEvent,
  type ImportBatch,
  type ImportBatchResult,
  SentryApiEventSchema,
} from '@homeostat/shared';
import { beforeEach, describe, test } from 'vitest';
import { forgetExtensionLeases } from '../src/extension-lease.ts';
import { ingestImported } from '../src/ingest-rpc.ts';
import { EXTENSION_ID, randomExtensionId, testConfig } from './ingest-test-kit.ts';

beforeEach(() => forgetExtensionLeases());

const EXT = `chrome-extension://${EXTENSION_ID}`;
let events = 0;

/** A Sentry API event converted as the importer does, from `user` with a fresh event id. */
async function imported(user: string, ip: string, method = 'syncTabs') {
  events++;
  const api = SentryApiEventSchema.parse({
    id: 'x',
    eventID: crypto.randomUUID().replaceAll('-', ''),
    type: 'error',
    title: 'TypeError',
    dateCreated: new Date(Date.UTC(2026, 10, 20, 10, 0, events)).toISOString(),
    user: { id: user, ip_address: ip },
    release: { version: 'notes@2.0.1' },
    entries: [
      {
        type: 'exception',
        data: {
          values: [
            {
              type: 'TypeError',
              value: `Cannot read properties of undefined (reading '${method}')`,
              stacktrace: {
                frames: [
                  { function: method, absPath: `${EXT}/background.js`, lineNo: 4, colNo: 2 },
                ],
              },
            },
          ],
        },
      },
    ],
  });
  const result = await convertSentryApiEvent(
    api,
    { org: 'acme', project: 'notes', issueId: '1', shortId: 'NOTES-1', permalink: 'https://x/' },
    Date.now(),
  );
  if (!result.ok) throw new Error('not converted');
  const { event, installId, version, clientAddress } = result.value;
  return { event, installId, version, clientAddress };
}

describe('IngestRpc.ingestImported', () => {
  test('imported events go through the pipeline: two users make an open problem; again is duplicate', async ({
    expect,
  }) => {
    const method = `sync${crypto.randomUUID().slice(0, 8)}`;
    const batch: ImportBatch = {
      extensionId: EXTENSION_ID,
      events: [
        await imported('user-1', '198.51.100.7', method),
        await imported('user-2', '203.0.113.9', method),
      ],
    };
    // Through the entrypoint as the service binding reaches it, with the bundled config.
    const first = (await exports.IngestRpc.ingestImported(batch)) as ImportBatchResult;
    if (first.status !== 'ok') throw new Error(first.status);
    expect(first.results.map((r) => r.status)).toEqual(['new', 'known']);
    const fingerprint = first.results[0]?.fingerprint ?? '';
    expect(first.results[1]?.fingerprint).toBe(fingerprint);
    await runDurableObjectAlarm(env.FINGERPRINTS.getByName(`${EXTENSION_ID}:${fingerprint}`));
    const row = await env.DB.prepare(
      'SELECT state, installs, last_version FROM fingerprints WHERE extension_id = ? AND fingerprint = ?',
    )
      .bind(EXTENSION_ID, fingerprint)
      .first();
    expect(row).toEqual({ state: 'open', installs: 2, last_version: '2.0.1' });

    const again = (await exports.IngestRpc.ingestImported(batch)) as ImportBatchResult;
    expect(again.status === 'ok' && again.results.map((r) => r.status)).toEqual([
      'duplicate',
      'duplicate',
    ]);
  });

  test('per-install limits apply as for /v1/events: the rest is rate_limited with a wait', async ({
    expect,
  }) => {
    const extensionId = randomExtensionId();
    const config = testConfig({ id: extensionId, limits: { perInstallPerMinute: 2 } });
    const one = await imported('same-user', '198.51.100.7');
    const batch: ImportBatch = {
      extensionId,
      events: [
        one,
        await imported('same-user', '198.51.100.7'),
        await imported('same-user', '198.51.100.7'),
      ],
    };
    const result = await ingestImported(env, config, batch);
    if (result.status !== 'ok') throw new Error(result.status);
    expect(result.results.map((r) => r.status)).toEqual(['new', 'known', 'rate_limited']);
    expect(result.retryAfterSeconds).toBeGreaterThan(0);
  });

  test('a batch that is not valid or names no configured extension is refused as a value', async ({
    expect,
  }) => {
    const config = testConfig();
    const valid = await imported('u', '198.51.100.7');
    expect(
      await ingestImported(env, config, { extensionId: randomExtensionId(), events: [valid] }),
    ).toEqual({
      status: 'unknown_extension',
    });
    const invalid = await ingestImported(env, config, {
      extensionId: EXTENSION_ID,
      events: [{ ...valid, installId: 'x', version: 'not-a-version' }],
    });
    expect(invalid).toMatchObject({
      status: 'invalid_request',
      issues: [
        { path: 'events[0].installId', code: 'invalid_format' },
        { path: 'events[0].version', code: 'custom' },
      ],
    });
  });
});
