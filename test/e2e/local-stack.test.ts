import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HealthSchema } from '@homeostat/shared';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { z } from 'zod';
import {
  queryLocalD1,
  startStack,
  startStackExpectingFailure,
} from '../support/local-stack-process.ts';

let state: string;
beforeAll(async () => {
  state = await mkdtemp(path.join(tmpdir(), 'homeostat-e2e-'));
});
afterAll(async () => {
  await rm(state, { recursive: true, force: true });
});

const CountRow = z.object({ n: z.number() });
async function cronRuns(): Promise<number> {
  const [row] = await queryLocalD1(
    state,
    "SELECT count(*) AS n FROM cron_runs WHERE worker = 'canary-monitor' AND outcome = 'ok'",
  );
  return CountRow.parse(row).n;
}

async function healthOf(url: string) {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: HealthSchema.parse(await res.json()) };
}

describe('npm start', () => {
  let firstRunTicks = 0;

  test('serves all three /healthz credential-free, fires the cron, and stops on Ctrl-C', async ({
    expect,
  }) => {
    // A per-second schedule so a tick is seen in seconds rather than at the next */5 minute.
    const stack = await startStack(['--port', '0', '--persist-to', state, '--cron', '* * * * * *']);
    try {
      const ingest = await healthOf(stack.urls.ingest);
      const triage = await healthOf(stack.urls.triage);
      const canary = await healthOf(stack.urls['canary-monitor']);
      expect(ingest).toMatchObject({ status: 200, body: { name: 'ingest', mode: 'live' } });
      expect(triage).toMatchObject({ status: 200, body: { name: 'triage', mode: 'dry-run' } });
      expect(canary).toMatchObject({
        status: 200,
        body: { name: 'canary-monitor', mode: 'observe' },
      });
      for (const h of [ingest, triage, canary]) {
        expect(h.body.database).toEqual({ ok: true, schemaVersion: 3 });
        expect(h.body.env).toBe('dev');
      }
      const notFound = await fetch(`${stack.urls.ingest}/nope`);
      expect(notFound.status).toBe(404);

      const deadline = Date.now() + 20_000;
      while ((stack.output().match(/fired on canary-monitor/g) ?? []).length < 2) {
        if (Date.now() > deadline) throw new Error(`cron never fired twice:\n${stack.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      const exit = await stack.interrupt();
      // Miniflare's exit hook stops workerd and exits 128 + SIGINT.
      expect(exit.code === 130 || exit.signal === 'SIGINT').toBe(true);
    }
    await expect(fetch(`${stack.urls.ingest}/healthz`)).rejects.toThrow();
    await expect(fetch(`${stack.urls['canary-monitor']}/healthz`)).rejects.toThrow();

    firstRunTicks = await cronRuns();
    expect(firstRunTicks).toBeGreaterThanOrEqual(2);
  });

  test('keeps its local state across restarts', async ({ expect }) => {
    expect(firstRunTicks).toBeGreaterThanOrEqual(2);
    const stack = await startStack(['--port', '0', '--persist-to', state]);
    try {
      expect((await healthOf(stack.urls.triage)).body.database.schemaVersion).toBe(3);
    } finally {
      await stack.interrupt();
    }
    // Re-applying the schema on start must not wipe anything; the */5 schedule may add a tick.
    expect(await cronRuns()).toBeGreaterThanOrEqual(firstRunTicks);
  });

  test('refuses an invalid config and names the bad field', async ({ expect }) => {
    const bad = path.join(state, 'bad.config.json');
    await writeFile(
      bad,
      JSON.stringify({
        version: 1,
        extensions: [
          { id: 'not-an-id', name: 'x', ingestKeys: ['hs_pub_0123456789abcdef'], repo: 'a/b' },
        ],
        repositories: [{ slug: 'a/b' }],
      }),
    );
    const result = await startStackExpectingFailure([
      '--config',
      bad,
      '--port',
      '0',
      '--persist-to',
      state,
    ]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('extensions[0].id');
    expect(result.output).not.toContain('not-an-id');
  });
});
