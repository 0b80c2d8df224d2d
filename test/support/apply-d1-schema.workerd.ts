import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// The whole schema file as one migration: D1-schema.sql stays the single source of truth.
await applyD1Migrations(env.DB, [{ name: 'D1-schema.sql', queries: env.TEST_D1_SCHEMA }]);
