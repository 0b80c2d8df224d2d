// Bindings that exist only under test (see test/support/worker-project.ts).
declare namespace Cloudflare {
  interface Env {
    /** migrations/*.sql, each split into statements, applied by apply-d1-schema.workerd.ts. */
    TEST_D1_MIGRATIONS: { name: string; queries: string[] }[];
    /** triage only: a producer on the queue triage consumes. */
    TEST_TRIAGE_QUEUE: Queue;
  }
}
