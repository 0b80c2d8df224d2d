/**
 * Writes `sentry-openapi.subset.json`: the operations of Sentry's published OpenAPI description
 * that the importer calls, with their parameters, response schemas and examples, so the emulator
 * and the importer are checked against Sentry's own description without a 3.9 MB file in the
 * repository. Source: github.com/getsentry/sentry-api-schema, `openapi-derefed.json` (already
 * dereferenced: no `$ref` to resolve). Run again with a newer copy to follow the API:
 *
 *   npm exec -- node test/emulators/sentry/extract-openapi-subset.ts <openapi-derefed.json> <commit>
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const OPERATIONS = [
  ['get', '/api/0/organizations/{organization_id_or_slug}/issues/'],
  ['get', '/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/events/{event_id}/'],
] as const;

const [source, commit] = process.argv.slice(2);
if (source === undefined || commit === undefined || !/^[0-9a-f]{40}$/.test(commit)) {
  console.error('usage: extract-openapi-subset.ts <openapi-derefed.json> <40-hex commit>');
  process.exit(2);
}
const spec = JSON.parse(await readFile(source, 'utf8')) as {
  info: unknown;
  paths: Record<string, Record<string, unknown>>;
};
const paths: Record<string, Record<string, unknown>> = {};
for (const [method, template] of OPERATIONS) {
  const op = spec.paths[template]?.[method];
  if (op === undefined) throw new Error(`${method.toUpperCase()} ${template} is not in ${source}`);
  paths[template] = { ...paths[template], [method]: op };
}
const out = {
  source: {
    repository: 'https://github.com/getsentry/sentry-api-schema',
    path: 'openapi-derefed.json',
    commit,
  },
  info: spec.info,
  paths,
};
const target = path.join(import.meta.dirname, 'sentry-openapi.subset.json');
await writeFile(target, `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${target}`);
