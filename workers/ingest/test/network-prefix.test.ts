import { env } from 'cloudflare:workers';
import { EventsResponseSchema } from '@homeostat/shared';
import { beforeEach, describe, test } from 'vitest';
import { forgetExtensionLeases } from '../src/extension-lease.ts';
import { networkPrefix, UNKNOWN_NETWORK } from '../src/network-prefix.ts';
import { createApp, fingerprintStub, flush, makeBody, makeEvent, uid } from './ingest-test-kit.ts';

beforeEach(() => forgetExtensionLeases());

describe('network prefixes (issue 11, item 2)', () => {
  test.for([
    ['203.0.113.7', 'v4:203.0.113'],
    ['203.0.113.250', 'v4:203.0.113'],
    ['198.51.100.1', 'v4:198.51.100'],
    ['2001:db8:1:2::5', 'v6:2001:db8:1'],
    ['2001:DB8:0001:ffff:0:0:0:1', 'v6:2001:db8:1'],
    ['2001:db8::1', 'v6:2001:db8:0'],
    ['::1', 'v6:0:0:0'],
    ['::ffff:203.0.113.9', 'v4:203.0.113'],
    ['64:ff9b::192.0.2.1', 'v6:64:ff9b:0'],
  ] as const)('%s is in %s', ([address, prefix], { expect }) => {
    expect(networkPrefix(address)).toBe(prefix);
  });

  test.for([
    null,
    '',
    'not an address',
    '256.1.1.1',
    '1.2.3',
    '1:2:3',
    '1::2::3',
    `${'1:'.repeat(30)}1`,
  ])('%s is the one unknown network', (address, { expect }) => {
    expect(networkPrefix(address)).toBe(UNKNOWN_NETWORK);
  });

  test('installs behind one /24 do not make a problem new; a second network does', async ({
    expect,
  }) => {
    const app = createApp();
    // A problem of its own: a message no other test sends.
    const error = { type: 'TypeError', message: `network gate ${uid('m')}` };
    const from = async (address: string) => {
      const res = await app.post('/v1/events', makeBody([makeEvent({ error })], uid('install')), {
        headers: { 'cf-connecting-ip': address },
      });
      return EventsResponseSchema.parse(await res.json()).results[0]?.fingerprint ?? '';
    };
    const fp = await from('203.0.113.7');
    await from('203.0.113.8');
    await from('203.0.113.200');
    expect(await fingerprintStub(fp).inspect()).toMatchObject({ state: 'pending', installs: 3 });
    await from('2001:db8:7::1');
    expect((await fingerprintStub(fp).inspect()).state).toBe('open');

    // Nothing stored names the address or its prefix.
    await flush([fp]);
    const rows = await env.DB.prepare(
      'SELECT f.*, s.event FROM fingerprints f JOIN samples s USING (extension_id, fingerprint) WHERE f.fingerprint = ?',
    )
      .bind(fp)
      .all();
    const stored = JSON.stringify(rows.results);
    expect(rows.results.length).toBeGreaterThan(0);
    for (const secret of ['203.0.113', '2001:db8']) expect(stored).not.toContain(secret);
  });
});
