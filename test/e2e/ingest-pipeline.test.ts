import { EventsResponseSchema } from '@homeostat/shared';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { type InProcessStack, startInProcessStack } from '../support/in-process-stack.ts';

const KEY = 'hs_pub_demo_local_key_0001';
const EXTENSION_ID = 'hbmcgnlkdaoflhnpdbdamjhfjinoangf';

let stack: InProcessStack;
beforeAll(async () => {
  stack = await startInProcessStack({ vars: { ingest: { FLUSH_INTERVAL_SECONDS: '1' } } });
});
afterAll(async () => {
  await stack?.dispose();
});

/**
 * `address` stands in for the `CF-Connecting-IP` Cloudflare sets (the local stack keeps a
 * client's own): a problem is "new" only when seen from two networks (issue 11, item 2).
 */
function post(path: string, body: unknown, address = '192.0.2.10') {
  return fetch(`${stack.urls.ingest}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-homeostat-key': KEY,
      'cf-connecting-ip': address,
    },
    body: JSON.stringify(body),
  });
}

function eventsFrom(install: string, version: string, ids: string[]) {
  return {
    sdk: { name: 'e2e', version: '0.0.0' },
    extension: { id: 'abcdefghijklmnopabcdefghijklmnop', version },
    install: { id: install },
    events: ids.map((eventId, i) => ({
      eventId,
      timestamp: Date.now(),
      surface: 'popup',
      sessionId: `${install}-session`,
      error: {
        type: 'TypeError',
        message: `Cannot read properties of null (reading 'value') for order ${1000 + i} of jane@example.com`,
        stack: `TypeError: x\n    at renderOrder (chrome-extension://abcdefghijklmnopabcdefghijklmnop/popup.4f2a1c.js:${10 + i}:5)`,
      },
    })),
  };
}

describe('ingest → D1 → queue → triage → one issue, through the real local stack', () => {
  test('two installs make one problem "new": one message, one issue (dry-run outbox)', async ({
    expect,
  }) => {
    const first = await post('/v1/sessions', {
      sdk: { name: 'e2e', version: '0.0.0' },
      extension: { id: EXTENSION_ID, version: '2.0.0' },
      install: { id: 'install-aaaaaaaa' },
      sessions: [{ sessionId: 'install-aaaaaaaa-session', startedAt: Date.now() }],
    });
    expect(first.status).toBe(202);
    const a = EventsResponseSchema.parse(
      await (
        await post(
          '/v1/events',
          eventsFrom('install-aaaaaaaa', '2.0.0', ['e2e-evt-0001', 'e2e-evt-0002']),
        )
      ).json(),
    );
    const b = EventsResponseSchema.parse(
      await (
        await post(
          '/v1/events',
          eventsFrom('install-bbbbbbbb', '2.0.0', ['e2e-evt-0003']),
          '198.51.100.20',
        )
      ).json(),
    );
    const fingerprints = new Set([...a.results, ...b.results].map((r) => r.fingerprint));
    expect(fingerprints.size).toBe(1); // line shifts, hashed bundle names and order ids do not split it
    const [fp] = fingerprints;

    const row = await stack.until(async () => {
      const rows = await stack.query<{
        events: number;
        installs: number;
        state: string;
        title: string;
      }>('SELECT events, installs, state, title FROM fingerprints WHERE fingerprint = ?', fp);
      return rows[0]?.state === 'open' ? rows[0] : null;
    });
    expect(row).toMatchObject({ events: 3, installs: 2 });
    expect(row.title).not.toContain('jane@example.com');

    const inbox = await stack.until(async () => {
      const rows = await stack.query<{ body: string; status: string }>(
        'SELECT body, status FROM queue_inbox WHERE body LIKE ?',
        `%${fp}%`,
      );
      return rows.length > 0 ? rows : null;
    });
    expect(inbox).toHaveLength(1);
    expect(JSON.parse(inbox[0]?.body ?? '{}')).toMatchObject({
      reason: 'new',
      fingerprintId: fp,
      extensionId: EXTENSION_ID,
    });

    // Triage (dry-run: no GitHub credentials here) records the one issue it would file.
    const issues = await stack.until(async () => {
      const rows = await stack.query<{ method: string; path: string; body: string }>(
        "SELECT method, path, body FROM triage_outbox WHERE key LIKE ? AND method = 'POST' AND path LIKE '%/issues'",
        `%${fp}%`,
      );
      return rows.length > 0 ? rows : null;
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('/repos/homeostat-demo/demo-extension/issues');
    const issue = JSON.parse(issues[0]?.body ?? '{}') as {
      title: string;
      body: string;
      labels: string[];
    };
    expect(issue.title).toContain('[demo-extension] TypeError');
    expect(issue.labels).toEqual(
      expect.arrayContaining(['homeostat', 'extension:demo-extension', 'surface:popup']),
    );
    expect(`${issue.title}${issue.body}`).not.toContain('jane@example.com');

    const health = await stack.until(async () => {
      const rows = await stack.query<{
        sessions: number;
        error_sessions: number;
        error_events: number;
      }>(
        "SELECT sum(sessions) AS sessions, sum(error_sessions) AS error_sessions, sum(error_events) AS error_events FROM release_health WHERE version = '2.0.0'",
      );
      return rows[0]?.error_events === 3 && rows[0]?.sessions === 1 ? rows[0] : null;
    });
    expect(health).toEqual({ sessions: 1, error_sessions: 2, error_events: 3 });
  }, 60_000);
});
