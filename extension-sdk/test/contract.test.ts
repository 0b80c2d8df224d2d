import { readFile } from 'node:fs/promises';
import type * as Shared from '@homeostat/shared';
import { computeFingerprint, fingerprintOf, INGEST_LIMITS } from '@homeostat/shared';
import { describe, expectTypeOf, test } from 'vitest';
import { stackFixture, stackFixtureNames } from '../../test/fixtures/stacks/index.ts';
import * as LIMITS from '../src/limits.ts';
import type { Breadcrumb, ChromeApi, IngestEvent, Surface } from '../src/types.ts';
import { SDK_VERSION } from '../src/version.ts';

describe('the SDK stays on the shared wire contract', () => {
  test('its copied limits equal INGEST_LIMITS, all of them', ({ expect }) => {
    expect(Object.keys(LIMITS).sort()).toEqual(Object.keys(INGEST_LIMITS).sort());
    for (const [name, value] of Object.entries(LIMITS)) {
      expect([name, value]).toEqual([name, INGEST_LIMITS[name as keyof typeof INGEST_LIMITS]]);
    }
  });

  test('its public types are the zod-inferred wire types', () => {
    expectTypeOf<IngestEvent>().toEqualTypeOf<Shared.IngestEvent>();
    expectTypeOf<Breadcrumb>().toEqualTypeOf<Shared.Breadcrumb>();
    expectTypeOf<Surface>().toEqualTypeOf<Shared.Surface>();
  });

  test('the real chrome, as @types/chrome types it, is what the SDK takes', () => {
    expectTypeOf<typeof chrome>().toExtend<ChromeApi>();
  });

  test('the fingerprint the SDK computes is computeFingerprint’s, on every stack fixture', async ({
    expect,
  }) => {
    const names = stackFixtureNames;
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const input = stackFixture(name);
      expect([name, await fingerprintOf(input)]).toEqual([
        name,
        (await computeFingerprint(input)).fingerprint,
      ]);
    }
  });

  test('sdk.version is the package version', async ({ expect }) => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
