import { readFile } from 'node:fs/promises';
import type * as Shared from '@homeostat/shared';
import { INGEST_LIMITS } from '@homeostat/shared';
import { describe, expectTypeOf, test } from 'vitest';
import * as LIMITS from '../src/limits.ts';
import type { Breadcrumb, IngestEvent, Surface } from '../src/types.ts';
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

  test('sdk.version is the package version', async ({ expect }) => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
