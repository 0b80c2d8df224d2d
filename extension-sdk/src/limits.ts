import type { INGEST_LIMITS } from '@homeostat/shared';

/*
 * The wire limits the SDK cuts events to, copied from `INGEST_LIMITS` because importing that
 * module at run time bundles zod into every extension (~94 KB min+gz: its schemas are built at
 * module load, which a bundler cannot prove free of side effects). Even from a zod-free module
 * the object would cost the core ~120 B min+gz (its literal and every property access), which
 * the 6 KB budget cannot spare; separate constants are inlined by esbuild and cost nothing.
 * Only the types are imported, and test/contract.test.ts holds each value equal to the shared one.
 */
type Limit<K extends keyof typeof INGEST_LIMITS> = (typeof INGEST_LIMITS)[K];

export const maxBodyBytes: Limit<'maxBodyBytes'> = 256 * 1024;
export const maxEvents: Limit<'maxEvents'> = 50;
export const maxSessions: Limit<'maxSessions'> = 100;
export const type: Limit<'type'> = 200;
export const message: Limit<'message'> = 8 * 1024;
export const stack: Limit<'stack'> = 32 * 1024;
export const breadcrumbs: Limit<'breadcrumbs'> = 100;
export const breadcrumbMessage: Limit<'breadcrumbMessage'> = 1024;
export const breadcrumbCategory: Limit<'breadcrumbCategory'> = 64;
export const tags: Limit<'tags'> = 50;
export const tagKey: Limit<'tagKey'> = 64;
export const tagValue: Limit<'tagValue'> = 256;
export const contextBytes: Limit<'contextBytes'> = 16 * 1024;
export const breadcrumbDataBytes: Limit<'breadcrumbDataBytes'> = 2 * 1024;
export const userReport: Limit<'userReport'> = 4 * 1024;
