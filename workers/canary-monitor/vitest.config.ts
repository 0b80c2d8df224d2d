import { workerProject } from '../../test/support/worker-project.ts';

/**
 * workerd refuses to start a service binding whose service does not exist, and the canary tests
 * run without the triage Worker: a stub stands in for its `TriageRpc` entrypoint and answers as
 * triage does in dry-run mode. Tests that look at deliveries use a recording notifier instead.
 */
const triageStub = {
  name: 'homeostat-triage',
  modules: true,
  compatibilityDate: '2026-11-01',
  script: `import { WorkerEntrypoint } from 'cloudflare:workers';
export default { fetch() { return new Response(null, { status: 404 }); } };
export class TriageRpc extends WorkerEntrypoint {
  async postReleaseComment() { return { status: 'recorded' }; }
}`,
};
export default workerProject('canary-monitor', { workers: [triageStub] });
