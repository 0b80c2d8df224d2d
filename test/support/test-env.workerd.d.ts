// Bindings that exist only under test (see test/support/worker-project.ts).
declare namespace Cloudflare {
  interface Env {
    /** D1-schema.sql split into statements, applied by apply-d1-schema.workerd.ts. */
    TEST_D1_SCHEMA: string[];
    /** triage only: a producer on the queue triage consumes. */
    TEST_TRIAGE_QUEUE: Queue;
  }
}
