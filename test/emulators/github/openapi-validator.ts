import { z } from 'zod';
import { graphqlUrl } from './github-objects.ts';
import type { OpenApiIndex, OperationIndex } from './openapi-index.schema.ts';

/**
 * Checks requests and responses against the compact index of GitHub's OpenAPI description
 * (openapi-index.ts), so neither the Worker's GitHub client nor the emulator can drift from the
 * real API (issue 5, item 9). Schemas become zod validators through `z.fromJSONSchema` with the
 * OpenAPI 3.0 dialect (`nullable`), compiled lazily and cached: only what a test touches is built.
 */

export interface Violation {
  /** `METHOD /template`, or the raw `METHOD /path` when nothing matched. */
  operation: string;
  side: 'request' | 'response';
  problem: string;
}

/**
 * GitHub answers these on any endpoint although the description lists them only on some: 401
 * for bad credentials (docs.github.com/rest/authentication), 403 or 429 when the primary or a
 * secondary rate limit is exceeded (docs.github.com/rest/using-the-rest-api/
 * rate-limits-for-the-rest-api), and any request may meet a 5xx. Their bodies are `basic-error`.
 */
const UNDOCUMENTED_ANYWHERE = new Set([401, 403, 429, 500, 502, 503, 504]);

interface Template {
  template: string;
  methods: readonly string[];
  regex: RegExp;
  names: string[];
  literalSegments: number;
}

export interface OperationMatch {
  key: string;
  template: string;
  op: OperationIndex | undefined;
  params: Record<string, string>;
}

type JsonNode = unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileTemplate(template: string, methods: readonly string[]): Template {
  const names: string[] = [];
  const segments = template.split('/');
  let literalSegments = 0;
  const pattern = segments
    .map((segment, i) => {
      const m = /^\{([^}]+)\}$/.exec(segment);
      if (m?.[1] === undefined) {
        literalSegments++;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(m[1]);
      // A file path or a git ref in last position may hold slashes, as GitHub accepts.
      const greedy = i === segments.length - 1 && (m[1] === 'path' || m[1] === 'ref');
      return greedy ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { template, methods, regex: new RegExp(`^${pattern}$`), names, literalSegments };
}

function coerce(raw: string, schema: unknown): unknown {
  const type = isRecord(schema) ? schema.type : undefined;
  if (type === 'integer' || type === 'number') {
    const n = Number(raw);
    return raw.trim() === '' || Number.isNaN(n) ? raw : n;
  }
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (type === 'array') return raw.split(',');
  return raw;
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

export class OpenApiValidator {
  readonly #index: OpenApiIndex;
  readonly #templates: Template[];
  readonly #compiled = new WeakMap<object, z.ZodType>();

  constructor(index: OpenApiIndex) {
    this.#index = index;
    this.#templates = Object.entries(index.paths).map(([t, methods]) =>
      compileTemplate(t, methods),
    );
  }

  /** The most specific path template (most literal segments) that matches, as routers do. */
  match(method: string, pathname: string): OperationMatch | undefined {
    let best: { t: Template; m: RegExpExecArray } | undefined;
    for (const t of this.#templates) {
      if (!t.methods.includes(method)) continue;
      const m = t.regex.exec(pathname);
      if (m !== null && (best === undefined || t.literalSegments > best.t.literalSegments)) {
        best = { t, m };
      }
    }
    if (best === undefined) return undefined;
    const params: Record<string, string> = {};
    best.t.names.forEach((name, i) => {
      params[name] = decodeURIComponent(best.m[i + 1] ?? '');
    });
    const key = `${method} ${best.t.template}`;
    return { key, template: best.t.template, op: this.#index.operations[key], params };
  }

  #validator(schema: JsonNode): z.ZodType {
    if (!isRecord(schema)) return z.unknown();
    const cached = this.#compiled.get(schema);
    if (cached !== undefined) return cached;
    const definitions: Record<string, unknown> = {};
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const n of node) visit(n);
        return;
      }
      if (!isRecord(node)) return;
      const ref = node.$ref;
      if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
        const name = ref.slice('#/definitions/'.length);
        if (!(name in definitions)) {
          definitions[name] = this.#index.definitions[name];
          visit(definitions[name]);
        }
      }
      for (const value of Object.values(node)) visit(value);
    };
    visit(schema);
    const validator = z.fromJSONSchema(
      { ...schema, definitions } as Parameters<typeof z.fromJSONSchema>[0],
      { defaultTarget: 'openapi-3.0' },
    );
    this.#compiled.set(schema, validator);
    return validator;
  }

  #check(schema: JsonNode, value: unknown): string | undefined {
    const result = this.#validator(schema).safeParse(value);
    return result.success ? undefined : describe(result.error.issues);
  }

  /** Validates method, path, path and query parameters, and the JSON body of a request. */
  checkRequest(
    method: string,
    pathname: string,
    query: URLSearchParams,
    body: unknown,
  ): { match: OperationMatch | undefined; violations: Violation[] } {
    const match = this.match(method, pathname);
    if (match === undefined) {
      return {
        match,
        violations: [
          {
            operation: `${method} ${pathname}`,
            side: 'request',
            problem: 'no such operation in GitHub’s REST API description',
          },
        ],
      };
    }
    const violations: Violation[] = [];
    const add = (problem: string) =>
      violations.push({ operation: match.key, side: 'request', problem });
    const op = match.op;
    if (op === undefined) {
      add('operation exists but the index has no schemas for it (add it to EMULATED_PATH)');
      return { match, violations };
    }
    const seen = new Set<string>();
    for (const p of op.parameters) {
      const raw = p.in === 'path' ? match.params[p.name] : (query.get(p.name) ?? undefined);
      seen.add(`${p.in}:${p.name}`);
      if (raw === undefined) {
        if (p.required) add(`missing required ${p.in} parameter ${p.name}`);
        continue;
      }
      const problem = this.#check(p.schema, coerce(raw, p.schema));
      if (problem !== undefined) add(`${p.in} parameter ${p.name}: ${problem}`);
    }
    for (const name of new Set(query.keys())) {
      if (!seen.has(`query:${name}`)) add(`query parameter ${name} is not in the description`);
    }
    if (op.requestBody === undefined) {
      if (body !== undefined) add('sends a body the operation does not take');
    } else if (body === undefined) {
      if (op.requestBody.required) add('missing required JSON body');
    } else {
      const problem = this.#check(op.requestBody.schema, body);
      if (problem !== undefined) add(`body: ${problem}`);
    }
    return { match, violations };
  }

  /** Validates that the status is documented for the operation and the body fits its schema. */
  checkResponse(match: OperationMatch, status: number, body: unknown): Violation[] {
    const op = match.op;
    if (op === undefined) return [];
    const violations: Violation[] = [];
    const add = (problem: string) =>
      violations.push({ operation: match.key, side: 'response', problem });
    const declared = op.responses[String(status)] ?? op.responses.default;
    let schema: unknown;
    if (declared !== undefined) schema = declared.schema;
    else if (UNDOCUMENTED_ANYWHERE.has(status)) schema = { $ref: '#/definitions/basic-error' };
    else {
      add(`status ${status} is not documented for this operation`);
      return violations;
    }
    if (schema === undefined) {
      if (body !== undefined) add(`status ${status} documents no body but one was sent`);
      return violations;
    }
    if (body === undefined) {
      add(`status ${status} documents a JSON body but none was sent`);
      return violations;
    }
    const problem = this.#check(schema, body);
    if (problem !== undefined) add(`status ${status} body: ${problem}`);
    return violations;
  }
}

async function jsonBody(message: Request | Response): Promise<unknown> {
  const text = await message.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { __notJson: text.slice(0, 200) };
  }
}

export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Wraps a GitHub API handler (the emulator) so that every request reaching it and every response
 * leaving it is checked; violations are collected for the test to assert on. A request that
 * violates the description is answered 422 like GitHub's own validation, so the caller cannot
 * mistake it for success.
 */
export function validatingFetch(
  handler: FetchHandler,
  validator: OpenApiValidator,
  baseUrl: string,
  violations: Violation[],
): FetchHandler {
  const basePath = new URL(baseUrl).pathname.replace(/\/$/, '');
  const graphqlPath = new URL(graphqlUrl(baseUrl)).pathname;
  return async (request) => {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === graphqlPath) {
      // GitHub's GraphQL endpoint is not part of the REST description this validates against
      // (its schema is published separately), so it would otherwise be flagged as an unknown
      // path. Exactly this one URL passes; the emulator answers only the ready-for-review
      // mutation there and refuses anything else with GraphQL errors.
      return handler(request);
    }
    const pathname = url.pathname.startsWith(basePath)
      ? url.pathname.slice(basePath.length) || '/'
      : url.pathname;
    const body = await jsonBody(request.clone());
    const { match, violations: found } = validator.checkRequest(
      request.method,
      pathname,
      url.searchParams,
      body,
    );
    violations.push(...found);
    if (found.length > 0 || match === undefined) {
      return Response.json(
        { message: 'Invalid request (OpenAPI validation in tests)', documentation_url: '' },
        { status: 422 },
      );
    }
    const response = await handler(request);
    violations.push(
      ...validator.checkResponse(match, response.status, await jsonBody(response.clone())),
    );
    return response;
  };
}
