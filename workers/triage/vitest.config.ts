import { workerProject } from '../../test/support/worker-project.ts';

export default workerProject('triage', {
  // Lets a test send on the real local queue that triage consumes (ingest is its producer).
  queueProducers: { TEST_TRIAGE_QUEUE: { queueName: 'homeostat-triage' } },
});
