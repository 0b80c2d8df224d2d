import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HomeostatConfigSchema } from '@homeostat/shared';
import { z } from 'zod';
import { REPO_ROOT } from './lib/workers.ts';

/**
 * `npm run docs:config` writes, from the zod schema that validates `homeostat.config.json`
 * (packages/shared/src/config/homeostat-config.schema.ts), the JSON Schema editors use
 * (`homeostat.config.schema.json`, named by the config's `$schema`) and the reference page
 * `docs/config.md`. Descriptions are the schema's own (`.describe()`), so the code, the editor and
 * the page say the same thing. `--check` (CI) fails when either file is not what the schema
 * generates, so neither can drift from the code (issue 12, section 4).
 */

const JSON_SCHEMA_PATH = 'homeostat.config.schema.json';
const DOC_PATH = 'docs/config.md';
const SCHEMA_SOURCE = 'packages/shared/src/config/homeostat-config.schema.ts';

interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: boolean | Node;
  items?: Node;
  anyOf?: Node[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  [key: string]: unknown;
}

/** The file as written: the input side of the schema, where defaulted fields are optional. */
export function configJsonSchema(): Node {
  const schema = z.toJSONSchema(HomeostatConfigSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // Refinements (https-only endpoints, cross-field checks) have no JSON Schema form; the page
    // lists them, and the Workers enforce them.
    unrepresentable: 'any',
  }) as Node;
  return { ...schema, $id: 'homeostat.config.schema.json', title: 'homeostat.config.json' };
}

/** Biome's JSON formatting, so `npm run lint` agrees with the generated file. */
function formatJson(value: unknown): string {
  const biome = path.join(REPO_ROOT, 'node_modules/.bin/biome');
  const result = spawnSync(biome, ['format', `--stdin-file-path=${JSON_SCHEMA_PATH}`], {
    cwd: REPO_ROOT,
    input: `${JSON.stringify(value, null, 2)}\n`,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const code = (s: string) => `\`${s.replaceAll('|', '\\|')}\``;
const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function typeOf(node: Node): string {
  if (node.const !== undefined) return code(JSON.stringify(node.const));
  if (node.enum !== undefined) return node.enum.map((v) => code(JSON.stringify(v))).join(' \\| ');
  if (node.anyOf !== undefined) return node.anyOf.map(typeOf).join(' or ');
  if (node.type === 'array')
    return `array of ${node.items === undefined ? 'any' : typeOf(node.items)}`;
  if (Array.isArray(node.type)) return node.type.join(' or ');
  return node.type ?? 'any';
}

function constraints(node: Node): string[] {
  const out: string[] = [];
  const range = (lo: number | undefined, hi: number | undefined, loOpen = false) => {
    const hiKnown = hi !== undefined && hi !== MAX_SAFE;
    if (lo !== undefined && hiKnown) out.push(loOpen ? `> ${lo}, ≤ ${hi}` : `${lo}–${hi}`);
    else if (lo !== undefined) out.push(loOpen ? `> ${lo}` : `≥ ${lo}`);
    else if (hiKnown) out.push(`≤ ${hi}`);
  };
  if (node.exclusiveMinimum !== undefined) range(node.exclusiveMinimum, node.maximum, true);
  else range(node.minimum, node.maximum);
  if (node.exclusiveMaximum !== undefined) out.push(`< ${node.exclusiveMaximum}`);
  if (node.minLength !== undefined || node.maxLength !== undefined) {
    out.push(
      node.minLength !== undefined && node.maxLength !== undefined
        ? `${node.minLength}–${node.maxLength} characters`
        : node.maxLength !== undefined
          ? `at most ${node.maxLength} characters`
          : `at least ${node.minLength} characters`,
    );
  }
  if (node.minItems !== undefined || node.maxItems !== undefined) {
    out.push(
      node.minItems !== undefined && node.maxItems !== undefined
        ? `${node.minItems}–${node.maxItems} items`
        : node.maxItems !== undefined
          ? `at most ${node.maxItems} items`
          : `at least ${node.minItems} item${node.minItems === 1 ? '' : 's'}`,
    );
  }
  if (node.pattern !== undefined) out.push(`matches ${code(node.pattern)}`);
  if (node.items !== undefined && node.items.type !== 'object') {
    const inner = constraints(node.items);
    if (inner.length > 0) out.push(`each: ${inner.join(', ')}`);
  }
  return out;
}

function defaultOf(node: Node): string {
  if (node.default === undefined) return '';
  const json = JSON.stringify(node.default);
  return json === '{}' ? '(all defaults)' : code(json);
}

/** The object behind a property, if it is one (directly, or as the items of an array). */
function objectOf(node: Node): { object: Node; suffix: string } | null {
  if (node.type === 'object' && node.properties !== undefined) return { object: node, suffix: '' };
  if (node.type === 'array' && node.items?.type === 'object' && node.items.properties) {
    return { object: node.items, suffix: '[]' };
  }
  return null;
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const TOP = 'Top level';

function renderObject(name: string, node: Node, out: string[], intro = node.description): void {
  const nested: [string, Node, string | undefined][] = [];
  out.push(name === TOP ? `## ${TOP}` : `## \`${name}\``, '');
  if (intro !== undefined) out.push(intro, '');
  out.push('| field | type | default | constraints | description |', '|---|---|---|---|---|');
  const required = new Set(node.required ?? []);
  for (const [key, prop] of Object.entries(node.properties ?? {})) {
    const inner = objectOf(prop);
    const childPath = name === TOP ? key : `${name}.${key}`;
    let type = typeOf(prop);
    if (inner !== null) {
      nested.push([`${childPath}${inner.suffix}`, inner.object, prop.description]);
      type = `[${inner.suffix === '' ? 'object' : 'array of object'}](#${anchor(`${childPath}${inner.suffix}`)})`;
    }
    const field = `\`${key}\`${required.has(key) ? ' (required)' : ''}`;
    const description = prop.description ?? inner?.object.description ?? '';
    out.push(
      `| ${field} | ${type} | ${defaultOf(prop)} | ${cell(constraints(prop).join('; '))} | ${cell(
        inner === null ? description : (description.split(/(?<=\.)\s/)[0] ?? ''),
      )} |`,
    );
  }
  out.push('');
  for (const [childPath, child, intro] of nested) renderObject(childPath, child, out, intro);
}

export function configMarkdown(schema: Node): string {
  const out: string[] = [
    '<!-- Generated by `npm run docs:config` from',
    `     ${SCHEMA_SOURCE}; edit the schema's descriptions, not this file. -->`,
    '',
    '# Configuration reference: `homeostat.config.json`',
    '',
    'One JSON file configures all three Workers. It is bundled into each Worker when it is built',
    'and validated when the Worker starts: an invalid file stops the Worker with every bad field',
    'named by its path (never its value). The same checks run in `npm start`, the release CLI and',
    `the tests. Editors validate and complete the file through its JSON Schema,`,
    `[\`${JSON_SCHEMA_PATH}\`](../${JSON_SCHEMA_PATH}), which the file names in \`$schema\`.`,
    '',
    'Every object is strict: an unknown key is an error (a typo or a misplaced secret must not be',
    'ignored). Fields with a default may be left out. **Secrets never go in this file**: where one is',
    'needed the config names the Wrangler secret that holds it (see [operations](operations.md#secrets)).',
    '',
    'Checks the JSON Schema cannot express, made when the Workers validate the file:',
    '',
    '- no value anywhere may look like a credential (GitHub, OpenAI-style, Slack, AWS or Google',
    '  keys, private keys, Slack webhook URLs): the file is refused and the paths are named;',
    '- every endpoint URL (`github.apiBaseUrl`, `models.providers[].baseUrl`, `canary.storeApiBaseUrl`,',
    '  `canary.oauthTokenUrl`, `sources.sentry[].baseUrl`) must be `https:`, except `http:` on',
    '  `localhost`, `127.0.0.0/8` or `[::1]`, where emulators and local stacks listen;',
    '- extension ids, extension names, ingest keys, repository slugs (case-insensitively), provider',
    '  names and Sentry sources are unique;',
    '- each `extensions[].repo` names an entry of `repositories`, and each',
    '  `sources.sentry[].extension` an entry of `extensions`;',
    '- `policy.rules[].pattern` is a valid regular expression;',
    '- `canary.stages` increase strictly and end at 100; every `canary.thetaGrid` value exceeds',
    '  `canary.theta0`.',
    '',
  ];
  renderObject(TOP, schema, out);
  return `${out.join('\n').trimEnd()}\n`;
}

function main(): void {
  const check = process.argv.includes('--check');
  const schema = configJsonSchema();
  const outputs: [string, string][] = [
    [JSON_SCHEMA_PATH, formatJson(schema)],
    [DOC_PATH, configMarkdown(schema)],
  ];
  let stale = 0;
  for (const [file, text] of outputs) {
    const full = path.join(REPO_ROOT, file);
    let current: string | null = null;
    try {
      current = readFileSync(full, 'utf8');
    } catch {
      current = null;
    }
    if (current === text) {
      console.log(`${file}: up to date`);
    } else if (check) {
      stale++;
      console.error(`${file}: not what the config schema generates; run npm run docs:config`);
    } else {
      writeFileSync(full, text);
      console.log(`${file}: written`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

if (import.meta.main) main();
