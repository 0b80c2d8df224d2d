import { FakeWrangler } from './fake-wrangler.ts';

// The fake as a command, for running the real `npm run deploy` CLI against it
// (HOMEOSTAT_WRANGLER): the account's state lives in the JSON file FAKE_WRANGLER_STATE names.
const file = process.env.FAKE_WRANGLER_STATE;
if (file === undefined) throw new Error('FAKE_WRANGLER_STATE is not set');
const fake = await FakeWrangler.load(file);
const result = await fake.run(process.argv.slice(2));
await fake.save(file);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
