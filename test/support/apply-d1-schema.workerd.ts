import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// migrations/*.sql, recorded in d1_migrations as `wrangler d1 migrations apply` records them in
// production (issue 12, section 3): the tests' schema is the deployed one.
await applyD1Migrations(env.DB, env.TEST_D1_MIGRATIONS);
