import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { OpenApiIndex, OperationIndex, ParameterIndex } from './openapi-index.schema.ts';

/**
 * Builds, on the Node side of the test run, a compact index of GitHub's own OpenAPI description
 * (`@octokit/openapi`, api.github.com.json, ~13 MB) for the tests that run inside workerd: every
 * path template and method (so a request to something that is not GitHub's API is caught), and
 * full request/response schemas for the operations Homeostat's emulator serves (issue 5, item 9).
 * `$ref`s to `#/components/schemas/*` are rewritten to `#/definitions/*` and the referenced
 * components collected once, which is the shape `z.fromJSONSchema` resolves.
 */

/** Path templates whose operations get full schemas: what the triage and fixer Workers use. */
const EMULATED_PATH = [
  /^\/repos\/\{owner\}\/\{repo\}$/,
  /^\/repos\/\{owner\}\/\{repo\}\/issues(\/|$)/,
  /^\/repos\/\{owner\}\/\{repo\}\/labels(\/|$)/,
  /^\/repos\/\{owner\}\/\{repo\}\/contents\/\{path\}$/,
  /^\/repos\/\{owner\}\/\{repo\}\/git\/(ref|refs|blobs|trees|commits)(\/|$)/,
  /^\/repos\/\{owner\}\/\{repo\}\/pulls(\/\{pull_number\}(\/merge|\/requested_reviewers)?)?$/,
  /^\/repos\/\{owner\}\/\{repo\}\/merges$/,
  /^\/repos\/\{owner\}\/\{repo\}\/check-(runs|suites)(\/|$)/,
  /^\/repos\/\{owner\}\/\{repo\}\/commits\/\{ref\}\/(check-runs|check-suites|status)$/,
  /^\/repos\/\{owner\}\/\{repo\}\/statuses\/\{sha\}$/,
  /^\/repos\/\{owner\}\/\{repo\}\/compare\/\{basehead\}$/,
  /^\/repos\/\{owner\}\/\{repo\}\/collaborators\/\{username\}\/permission$/,
  /^\/search\/issues$/,
  /^\/app\/installations\/\{installation_id\}\/access_tokens$/,
];

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Documentation-only keywords: dropping them shrinks the index several times over. */
const DROPPED_KEYS = new Set(['description', 'example', 'examples', 'summary', 'externalDocs']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointer(root: JsonObject, ref: string): Json {
  let node: Json = root;
  for (const segment of ref.replace(/^#\//, '').split('/')) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) throw new Error(`unresolvable $ref ${ref}`);
    node = node[key] ?? null;
  }
  return node;
}

export async function buildGitHubOpenApiIndex(): Promise<OpenApiIndex> {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(await readFile(file, 'utf8')) as JsonObject;
  const schemas = pointer(spec, '#/components/schemas') as JsonObject;
  const definitions: Record<string, Json> = {};

  // Inlines parameter/response refs, rewrites schema refs and collects what they reach.
  const compact = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(compact);
    if (!isObject(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string') {
      if (ref.startsWith('#/components/schemas/')) {
        const name = ref.slice('#/components/schemas/'.length);
        if (!(name in definitions)) {
          definitions[name] = true; // placeholder: breaks cycles
          definitions[name] = compact(schemas[name] ?? null);
        }
        return { $ref: `#/definitions/${name}` };
      }
      return compact(pointer(spec, ref));
    }
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (!DROPPED_KEYS.has(key)) out[key] = compact(value);
    }
    return out;
  };

  const paths: Record<string, string[]> = {};
  const operations: Record<string, OperationIndex> = {};
  for (const [template, item] of Object.entries(pointer(spec, '#/paths') as JsonObject)) {
    if (!isObject(item)) continue;
    const methods = METHODS.filter((m) => isObject(item[m]));
    paths[template] = methods.map((m) => m.toUpperCase());
    if (!EMULATED_PATH.some((re) => re.test(template))) continue;
    for (const method of methods) {
      const op = item[method] as JsonObject;
      const parameters: ParameterIndex[] = [];
      const rawParams = [
        ...(Array.isArray(item.parameters) ? item.parameters : []),
        ...(Array.isArray(op.parameters) ? op.parameters : []),
      ];
      for (const raw of rawParams) {
        const p = compact(raw);
        if (!isObject(p) || (p.in !== 'path' && p.in !== 'query')) continue;
        parameters.push({
          name: String(p.name),
          in: p.in,
          required: p.required === true,
          schema: p.schema ?? {},
        });
      }
      let requestBody: OperationIndex['requestBody'];
      const body = op.requestBody === undefined ? undefined : compact(op.requestBody);
      if (isObject(body) && isObject(body.content)) {
        const json = body.content['application/json'];
        requestBody = {
          required: body.required === true,
          schema: isObject(json) ? (json.schema ?? {}) : {},
        };
      }
      const responses: OperationIndex['responses'] = {};
      for (const [status, raw] of Object.entries(isObject(op.responses) ? op.responses : {})) {
        const res = compact(raw);
        const content = isObject(res) && isObject(res.content) ? res.content : {};
        const json = content['application/json'] ?? content['application/scim+json'];
        responses[status] =
          isObject(json) && json.schema !== undefined ? { schema: json.schema } : {};
      }
      operations[`${method.toUpperCase()} ${template}`] = {
        operationId: String(op.operationId),
        parameters,
        ...(requestBody === undefined ? {} : { requestBody }),
        responses,
      };
    }
  }
  // Bodies of the statuses GitHub may answer on any endpoint (see openapi-validator.ts).
  compact({ $ref: '#/components/schemas/basic-error' });
  const info = pointer(spec, '#/info');
  return {
    version: isObject(info) ? String(info.version) : 'unknown',
    paths,
    operations,
    definitions,
  };
}
